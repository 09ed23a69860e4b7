"""Service configuration from the environment, checked before anything starts.

A missing or malformed variable stops the process with a message naming it, so a
misconfigured deployment fails at boot instead of on the first request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from avito_sync.api.body_limit import DEFAULT_MAX_BODY_BYTES
from avito_sync.api.user_limits import DEFAULT_LIMITS, Limit, parse_limits
from avito_sync.core import env_settings
from avito_sync.core.env_settings import load_settings
from avito_sync.core.settings_types import (
    HttpUrl,
    LogLevel,
    OptionalHttpUrl,
    OptionalSecret32,
    PostgresUrl,
    Secret32,
    http_url,
)

DEFAULT_APP_REDIRECT_URL = "https://app.roomi.pro/auth/avito-callback"


class ServiceSettingsError(env_settings.SettingsError):
    """Configuration is unusable; the message names every offending variable."""


class ServiceSettings(BaseSettings):
    """What `avito-sync serve` reads from the environment (Avito's own: AvitoSettings)."""

    model_config = SettingsConfigDict(
        extra="ignore", case_sensitive=False, populate_by_name=True, hide_input_in_errors=True
    )

    database_url: PostgresUrl = Field(validation_alias="DATABASE_URL")
    supabase_url: HttpUrl = Field(validation_alias="SUPABASE_URL")
    jwks_url: OptionalHttpUrl = Field(default=None, validation_alias="SUPABASE_JWKS_URL")
    jwt_issuer: str | None = Field(default=None, validation_alias="SUPABASE_JWT_ISSUER")
    jwt_secret: OptionalSecret32 = Field(default=None, validation_alias="SUPABASE_JWT_SECRET")
    jwks_cache_seconds: int = Field(
        default=600, ge=10, le=3600, validation_alias="AVITO_SYNC_JWKS_CACHE_SECONDS"
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default=["*"], validation_alias="AVITO_SYNC_CORS_ORIGINS"
    )
    state_secret: Secret32 = Field(validation_alias="AVITO_SYNC_STATE_SECRET")
    forwarder_secret: OptionalSecret32 = Field(
        default=None, validation_alias="AVITO_SYNC_FORWARDER_SECRET"
    )
    app_redirect_url: HttpUrl = Field(
        default=DEFAULT_APP_REDIRECT_URL, validation_alias="AVITO_SYNC_APP_REDIRECT_URL"
    )
    run_worker: bool = Field(default=True, validation_alias="AVITO_SYNC_RUN_WORKER")
    accept_app_state: bool = Field(default=True, validation_alias="AVITO_SYNC_ACCEPT_APP_STATE")
    max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES,
        ge=1024,
        le=16 * 1024 * 1024,
        validation_alias="AVITO_SYNC_MAX_BODY_BYTES",
    )
    user_limits: Annotated[dict[str, Limit], NoDecode] = Field(
        default_factory=lambda: parse_limits(DEFAULT_LIMITS),
        validation_alias="AVITO_SYNC_USER_RATE_LIMITS",
    )
    docs: bool = Field(default=False, validation_alias="AVITO_SYNC_DOCS")
    migrations_dir: Path | None = Field(default=None, validation_alias="AVITO_SYNC_MIGRATIONS_DIR")
    log_level: LogLevel = Field(default="INFO", validation_alias="AVITO_SYNC_LOG_LEVEL")

    @field_validator("user_limits", mode="before")
    @classmethod
    def _user_limits(cls, value: object) -> object:
        # Actions not named keep their default limit.
        if not isinstance(value, str):
            return value
        return {**parse_limits(DEFAULT_LIMITS), **parse_limits(value)}

    @field_validator("migrations_dir")
    @classmethod
    def _migrations_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError("must be an existing directory")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _cors_origins(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        origins = [item.strip().rstrip("/") for item in value.split(",") if item.strip()]
        if not origins:
            raise ValueError("must list at least one origin or *")
        for origin in origins:
            if origin != "*":
                http_url(origin)
        return origins

    @property
    def effective_jwks_url(self) -> str:
        return self.jwks_url or f"{self.supabase_url}/auth/v1/.well-known/jwks.json"

    @property
    def effective_issuer(self) -> str:
        return self.jwt_issuer or f"{self.supabase_url}/auth/v1"


def load_service_settings() -> ServiceSettings:
    return load_settings(ServiceSettings, ServiceSettingsError)

"""Configuration of the Avito client, read from `AVITO_*` environment variables.

Defaults point at real Avito and are deliberately conservative on rate limits: Avito documents
no limit for the short-term-rent endpoints, and a throttled account hurts more than a slow sync.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from avito_sync.core import env_settings
from avito_sync.core.env_settings import load_settings
from avito_sync.core.settings_types import BareHttpUrl, OptionalRedirectUri

ENV_PREFIX = "AVITO_"
DEFAULT_SCOPES = ("user:read", "short_term_rent:read", "short_term_rent:write", "items:info")
_SCOPE = re.compile(r"^[a-z_]+:[a-z_]+$")


class AvitoSettingsError(env_settings.SettingsError):
    """Invalid Avito configuration; the message names every offending environment variable."""


class AvitoSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
    )

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    redirect_uri: OptionalRedirectUri = None
    api_base_url: BareHttpUrl = "https://api.avito.ru"
    oauth_base_url: BareHttpUrl = "https://avito.ru"
    scopes: Annotated[tuple[str, ...], NoDecode] = DEFAULT_SCOPES

    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    read_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    pool_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    max_connections: int = Field(default=20, ge=1, le=1000)

    max_attempts: int = Field(default=4, ge=1, le=10)
    backoff_base_seconds: float = Field(default=0.5, gt=0, le=60)
    backoff_max_seconds: float = Field(default=30.0, gt=0, le=600)
    max_retry_after_seconds: float = Field(default=60.0, ge=0, le=3600)

    account_rate_per_second: float = Field(default=2.0, gt=0, le=1000)
    account_burst: int = Field(default=5, ge=1, le=10000)
    app_rate_per_second: float = Field(default=20.0, gt=0, le=10000)
    app_burst: int = Field(default=40, ge=1, le=100000)
    items_rate_per_minute: float = Field(default=20.0, gt=0, le=25)
    items_burst: int = Field(default=5, ge=1, le=25)
    items_per_page: int = Field(default=50, ge=1, le=99)

    @field_validator("client_secret")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty")
        return value

    @field_validator("scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(s.strip() for s in value.split(",") if s.strip())
        return value

    @field_validator("scopes")
    @classmethod
    def _valid_scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("must list at least one scope")
        bad = [s for s in value if not _SCOPE.match(s)]
        if bad:
            raise ValueError(f"invalid scope(s): {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _backoff_order(self) -> AvitoSettings:
        if self.backoff_max_seconds < self.backoff_base_seconds:
            raise ValueError("AVITO_BACKOFF_MAX_SECONDS must be >= AVITO_BACKOFF_BASE_SECONDS")
        return self


def load_avito_settings(**overrides: Any) -> AvitoSettings:
    """Read settings from the environment; raise `AvitoSettingsError` naming each bad one."""
    return load_settings(
        AvitoSettings, AvitoSettingsError, "invalid Avito configuration", **overrides
    )

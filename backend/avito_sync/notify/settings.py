"""Notifier configuration from the environment, checked before anything starts.

Secrets (the Telegram bot token, the VAPID key, the Supabase key) come only from
the environment and are held as `SecretStr`, so a settings object printed or logged shows
`**********` instead of the value.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from avito_sync.core.env_settings import SettingsError, load_settings
from avito_sync.core.settings_types import (
    LogLevel,
    OptionalHttpUrl,
    OptionalSecret,
    OptionalWsUrl,
    PostgresUrl,
)
from avito_sync.notify import Source
from avito_sync.notify.channel_settings import ChannelSettings


class NotifySettingsError(SettingsError):
    """Invalid notifier configuration; the message names every offending variable."""


class NotifySettings(ChannelSettings):
    """What `avito-sync notify` reads; variable names are the aliases. The channel settings
    (Telegram, VAPID, http hosts, app URL) are shared with the service."""

    database_url: PostgresUrl = Field(validation_alias="DATABASE_URL")
    source: Source = Field(default="realtime", validation_alias="AVITO_SYNC_NOTIFY_SOURCE")

    # Realtime wake-up (production): SUPABASE_URL + /realtime/v1 unless overridden (the local
    # stand-in is ws://127.0.0.1:<port>/realtime/v1).
    supabase_url: OptionalHttpUrl = Field(default=None, validation_alias="SUPABASE_URL")
    realtime_url: OptionalWsUrl = Field(default=None, validation_alias="AVITO_SYNC_REALTIME_URL")
    realtime_key: OptionalSecret = Field(default=None, validation_alias="SUPABASE_SERVICE_ROLE_KEY")
    realtime_max_retries: int = Field(
        default=5, ge=1, le=100, validation_alias="AVITO_SYNC_REALTIME_MAX_RETRIES"
    )
    realtime_initial_backoff: float = Field(
        default=1.0, gt=0, le=60, validation_alias="AVITO_SYNC_REALTIME_INITIAL_BACKOFF"
    )
    # How long the connection may stay down (or the channel unjoined) before the client is
    # thrown away and a new one built: realtime-py stops for good after max_retries.
    realtime_stale_seconds: float = Field(
        default=30.0, gt=0, le=3600, validation_alias="AVITO_SYNC_REALTIME_STALE_SECONDS"
    )

    # Delivery
    sweep_seconds: float = Field(
        default=30.0, gt=0, le=3600, validation_alias="AVITO_SYNC_NOTIFY_SWEEP_SECONDS"
    )
    batch_size: int = Field(
        default=20, ge=1, le=1000, validation_alias="AVITO_SYNC_NOTIFY_BATCH_SIZE"
    )
    concurrency: int = Field(
        default=8, ge=1, le=128, validation_alias="AVITO_SYNC_NOTIFY_CONCURRENCY"
    )
    lease_seconds: int = Field(
        default=60, ge=5, le=3600, validation_alias="AVITO_SYNC_NOTIFY_LEASE_SECONDS"
    )
    max_attempts: int = Field(
        default=8, ge=1, le=100, validation_alias="AVITO_SYNC_NOTIFY_MAX_ATTEMPTS"
    )
    backoff_base_seconds: float = Field(
        default=5.0, gt=0, le=3600, validation_alias="AVITO_SYNC_NOTIFY_BACKOFF_BASE_SECONDS"
    )
    backoff_cap_seconds: float = Field(
        default=1800.0, gt=0, le=86400, validation_alias="AVITO_SYNC_NOTIFY_BACKOFF_CAP_SECONDS"
    )
    http_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, validation_alias="AVITO_SYNC_NOTIFY_HTTP_TIMEOUT_SECONDS"
    )

    metrics_port: int | None = Field(
        default=None, ge=1024, le=65535, validation_alias="AVITO_SYNC_NOTIFY_METRICS_PORT"
    )
    metrics_host: str = Field(
        default="127.0.0.1", validation_alias="AVITO_SYNC_NOTIFY_METRICS_HOST"
    )
    log_level: LogLevel = Field(default="INFO", validation_alias="AVITO_SYNC_LOG_LEVEL")

    @model_validator(mode="after")
    def _consistent(self) -> NotifySettings:
        if self.backoff_cap_seconds < self.backoff_base_seconds:
            raise ValueError("AVITO_SYNC_NOTIFY_BACKOFF_CAP_SECONDS must be >= the base")
        if self.source == "realtime" and self.realtime_endpoint is None:
            raise ValueError("the realtime source needs SUPABASE_URL or AVITO_SYNC_REALTIME_URL")
        return self

    @property
    def realtime_endpoint(self) -> str | None:
        """The URL handed to the realtime client (it appends /websocket itself)."""
        if self.realtime_url:
            return self.realtime_url
        return f"{self.supabase_url}/realtime/v1" if self.supabase_url else None


def load_notify_settings(**overrides: Any) -> NotifySettings:
    """Read settings from the environment; raise `NotifySettingsError` naming each bad one."""
    return load_settings(
        NotifySettings, NotifySettingsError, "invalid notifier configuration", **overrides
    )

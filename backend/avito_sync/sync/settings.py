"""Configuration of the sync worker and the tick, read from `AVITO_SYNC_*` variables.

Defaults match the product: a connected listing is polled every 10 seconds, a failing one
backs off up to an hour, and one process runs a handful of syncs at once so that a slow
Avito answer for one host never stalls the others.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from avito_sync.core.env_settings import SettingsError, load_settings
from avito_sync.core.settings_types import OptionalHttpUrl, OptionalSecret32, PostgresUrl

ENV_PREFIX = "AVITO_SYNC_"


class SyncSettingsError(SettingsError):
    """Invalid sync configuration; the message names every offending variable."""


def _default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class SyncSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
        populate_by_name=True,
    )

    database_url: PostgresUrl = Field(validation_alias="DATABASE_URL")
    worker_id: str = Field(default_factory=_default_worker_id, min_length=1, max_length=200)

    interval_seconds: int = Field(default=10, ge=1, le=86400)
    lease_seconds: int = Field(default=120, ge=5, le=3600)
    backoff_base_seconds: int = Field(default=10, ge=1, le=3600)
    backoff_cap_seconds: int = Field(default=3600, ge=1, le=86400)

    # Syncs in flight per process. A steady-state poll mostly waits for Avito, so this is
    # sized by polls per second x Avito's latency (5,000 listings every 10 s at 100 ms: ~60);
    # the per-account and per-application token buckets still bound what is sent.
    concurrency: int = Field(default=8, ge=1, le=1024)
    # Database connections per process: a poll holds one only for its round trips.
    pool_max_size: int = Field(default=20, ge=2, le=200)
    per_account_concurrency: int = Field(default=2, ge=1, le=64)
    batch_size: int = Field(default=20, ge=1, le=1000)
    fallback_poll_seconds: float = Field(default=5.0, gt=0, le=600)
    shutdown_grace_seconds: float = Field(default=30.0, ge=0, le=600)

    token_refresh_margin_seconds: int = Field(default=300, ge=0, le=86400)
    # How long a request waits for a database connection (and a new connection for its
    # handshake) before giving up: during an outage the API answers 503 in seconds, not 30.
    db_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # A complete push every so often repairs drift (a host editing the listing on Avito).
    full_push_hours: float = Field(default=6.0, gt=0, le=24 * 30)

    poll_secret: OptionalSecret32 = None
    service_url: OptionalHttpUrl = None

    @property
    def full_push_every(self) -> dt.timedelta:
        return dt.timedelta(hours=self.full_push_hours)

    @model_validator(mode="after")
    def _backoff_order(self) -> SyncSettings:
        if self.backoff_cap_seconds < self.backoff_base_seconds:
            raise ValueError("AVITO_SYNC_BACKOFF_CAP_SECONDS must be >= the base")
        return self


def load_sync_settings(**overrides: Any) -> SyncSettings:
    """Read settings from the environment; raise `SyncSettingsError` naming each bad variable."""
    return load_settings(SyncSettings, SyncSettingsError, "invalid sync configuration", **overrides)

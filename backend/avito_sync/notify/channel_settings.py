"""Settings every process that sends to channels shares (the notifier and the service, which
sends `channel-test` messages and answers the Telegram bot): bot, VAPID, outbound hosts, links.

Secrets are `SecretStr` and come only from the environment.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from avito_sync.core.env_settings import SettingsError, load_settings
from avito_sync.core.loopback import is_loopback_host
from avito_sync.core.settings_types import HttpUrl, OptionalHttpUrl, OptionalSecret

_BOT_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_WEBHOOK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


class ChannelSettingsError(SettingsError):
    """Invalid channel configuration; the message names every offending variable."""


class ChannelSettings(BaseSettings):
    model_config = SettingsConfigDict(
        extra="ignore", frozen=True, hide_input_in_errors=True, populate_by_name=True
    )

    telegram_bot_token: OptionalSecret = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: HttpUrl = Field(
        default="https://api.telegram.org", validation_alias="AVITO_SYNC_TELEGRAM_API_URL"
    )
    # The bot's @username without the @, for the https://t.me/<bot>?start=<token> deep link.
    telegram_bot_username: str | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_USERNAME"
    )
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token on every webhook call.
    telegram_webhook_secret: OptionalSecret = Field(
        default=None, validation_alias="TELEGRAM_WEBHOOK_SECRET"
    )
    # Where Telegram posts updates (`avito-sync setup` registers it); default
    # <service URL>/telegram/webhook. Must be https and public in production.
    telegram_webhook_url: OptionalHttpUrl = Field(
        default=None, validation_alias="AVITO_SYNC_TELEGRAM_WEBHOOK_URL"
    )
    telegram_link_ttl_seconds: int = Field(
        default=900, ge=60, le=86400, validation_alias="AVITO_SYNC_TELEGRAM_LINK_TTL_SECONDS"
    )
    vapid_private_key: OptionalSecret = Field(
        default=None, validation_alias="AVITO_SYNC_VAPID_PRIVATE_KEY"
    )
    vapid_subject: str | None = Field(default=None, validation_alias="AVITO_SYNC_VAPID_SUBJECT")
    # Hosts a webhook or push endpoint may be called on over plain http (dev/tests); loopback.
    webhook_http_hosts: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), validation_alias="AVITO_SYNC_NOTIFY_WEBHOOK_HTTP_HOSTS"
    )
    # Base of the links in messages ("Открыть в приложении").
    app_url: HttpUrl = Field(default="https://app.roomi.pro", validation_alias="AVITO_SYNC_APP_URL")

    @field_validator("telegram_bot_username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if not value:
            return None
        value = value.removeprefix("@")
        if not _BOT_USERNAME.match(value):
            raise ValueError("must be a Telegram bot username")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_TOKEN.match(value.get_secret_value()):
            raise ValueError("must be 16-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("vapid_subject")
    @classmethod
    def _subject(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("mailto:", "https://")):
            raise ValueError("must be a mailto: or https: URL")
        return value

    @field_validator("webhook_http_hosts", mode="before")
    @classmethod
    def _loopback_hosts(cls, value: Any) -> frozenset[str]:
        items = value.split(",") if isinstance(value, str) else list(value or [])
        hosts = frozenset(str(h).strip().lower() for h in items if str(h).strip())
        for host in hosts:
            if not is_loopback_host(host):
                raise ValueError(f"{host!r} is not a loopback host (plain http is for dev only)")
        return hosts

    @model_validator(mode="after")
    def _vapid_pair(self) -> ChannelSettings:
        if (self.vapid_private_key is None) != (self.vapid_subject is None):
            raise ValueError(
                "AVITO_SYNC_VAPID_PRIVATE_KEY and AVITO_SYNC_VAPID_SUBJECT go together"
            )
        return self


def load_channel_settings(**overrides: Any) -> ChannelSettings:
    return load_settings(
        ChannelSettings, ChannelSettingsError, "invalid channel configuration", **overrides
    )

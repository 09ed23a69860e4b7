"""Messenger settings: where Avito can reach the service (webhooks) and the safety-net poll."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from avito_sync.core.env_settings import SettingsError, load_settings
from avito_sync.core.settings_types import OptionalHttpUrl


class MessengerSettingsError(SettingsError):
    """Invalid messenger configuration; the message names every offending variable."""


class MessengerSettings(BaseSettings):
    model_config = SettingsConfigDict(
        extra="ignore", frozen=True, hide_input_in_errors=True, populate_by_name=True
    )

    # The service's public base URL; Avito posts webhooks to <it>/avito/messenger/webhook/<token>.
    # Unset: no webhooks, the reconciliation poll alone delivers.
    public_url: OptionalHttpUrl = Field(default=None, validation_alias="AVITO_SYNC_PUBLIC_URL")
    webhooks: bool = Field(default=True, validation_alias="AVITO_SYNC_MESSENGER_WEBHOOKS")
    # The safety-net poll (getChatsV2 per account), as the old avito-message-poller: 2 minutes.
    poll_seconds: int = Field(
        default=120, ge=0, le=86400, validation_alias="AVITO_SYNC_MESSENGER_POLL_SECONDS"
    )

    @property
    def webhooks_on(self) -> bool:
        return self.webhooks and self.public_url is not None


def load_messenger_settings(**overrides: Any) -> MessengerSettings:
    return load_settings(
        MessengerSettings, MessengerSettingsError, "invalid messenger configuration", **overrides
    )

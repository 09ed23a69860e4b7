"""The senders and HTTP clients a process needs to reach channels, built from
`ChannelSettings`: the notifier's delivery loop and the service's `channel-test` and Telegram
bot answers use the same code path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from psycopg_pool import AsyncConnectionPool

from avito_sync.notify import netguard
from avito_sync.notify.channel_settings import ChannelSettings
from avito_sync.notify.channel_store import ChannelStore
from avito_sync.notify.channels.base import ChannelData, Sender
from avito_sync.notify.channels.telegram import TelegramSender
from avito_sync.notify.channels.webhook import WebhookSender
from avito_sync.notify.channels.webpush import WebPushSender


def build_senders(
    settings: ChannelSettings,
    http: httpx.AsyncClient,
    guarded: httpx.AsyncClient,
    channels: ChannelData,
) -> dict[str, Sender]:
    """`http` calls our own Bot API; `guarded` (netguard) calls URLs hosts chose."""
    return {
        "telegram": TelegramSender(http, settings.telegram_api_url, settings.telegram_bot_token),
        "webhook": WebhookSender(guarded, channels, settings.webhook_http_hosts),
        "web_push": WebPushSender(
            guarded,
            channels,
            private_key=settings.vapid_private_key,
            subject=settings.vapid_subject,
            http_hosts=settings.webhook_http_hosts,
        ),
    }


@dataclass(frozen=True)
class ChannelKit:
    settings: ChannelSettings
    http: httpx.AsyncClient
    guarded: httpx.AsyncClient

    def senders(self, pool: AsyncConnectionPool[Any]) -> dict[str, Sender]:
        return build_senders(self.settings, self.http, self.guarded, ChannelStore(pool))


@asynccontextmanager
async def open_kit(
    settings: ChannelSettings, http_timeout: float = 5.0
) -> AsyncIterator[ChannelKit]:
    async with (
        httpx.AsyncClient(timeout=http_timeout, follow_redirects=False, trust_env=False) as http,
        netguard.guarded_client(http_timeout) as guarded,
    ):
        yield ChannelKit(settings, http, guarded)

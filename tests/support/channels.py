"""The service's channel kit swapped, for the time of a test, for one configured against the
stand-ins (tests/fixtures/standins.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from avito_sync.api.context import ServiceContext
from avito_sync.notify.kit import open_kit
from tests.fixtures.standins import channel_settings


@asynccontextmanager
async def standin_channels(context: ServiceContext, telegram_url: str) -> AsyncIterator[None]:
    """Channels of `context` sending to the stand-ins (Telegram at `telegram_url`); the
    service's own kit is put back on exit."""
    async with open_kit(channel_settings(telegram_url)) as kit:
        original, context.channels = context.channels, kit
        try:
            yield
        finally:
            context.channels = original

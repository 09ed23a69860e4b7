"""`avito-sync notify`: deliver outbox notifications until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from avito_sync.core.env_settings import exit_on_settings_error
from avito_sync.core.logs import configure_logging
from avito_sync.core.signals import on_stop_signals
from avito_sync.notify import Source
from avito_sync.notify.runtime import run_notifier
from avito_sync.notify.settings import load_notify_settings


def notify_command(
    source: Annotated[
        Source | None,
        typer.Option(help="Wake-up source (AVITO_SYNC_NOTIFY_SOURCE): realtime or listen."),
    ] = None,
) -> None:
    """Send Telegram/webhook/Web Push notifications for outbox events, woken by Realtime or
    LISTEN.

    Secrets come from the environment only (TELEGRAM_BOT_TOKEN, AVITO_SYNC_VAPID_PRIVATE_KEY,
    SUPABASE_SERVICE_ROLE_KEY) or Vault (each webhook's signing secret), never from arguments.
    """
    with exit_on_settings_error("notify"):
        settings = load_notify_settings(**({"source": source} if source else {}))
    configure_logging(settings.log_level)

    async def run() -> None:
        stop = asyncio.Event()
        on_stop_signals(stop.set)
        await run_notifier(settings, stop)

    asyncio.run(run())

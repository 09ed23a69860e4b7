"""Wiring for `avito-sync notify`: pool, HTTP client, channels, wake-up source, loop."""

from __future__ import annotations

import asyncio
import logging

import httpx
from prometheus_client import start_http_server

from avito_sync.core.database import open_pool
from avito_sync.notify import netguard
from avito_sync.notify.channel_store import ChannelStore
from avito_sync.notify.kit import build_senders
from avito_sync.notify.notifier import LoopSettings, Notifier
from avito_sync.notify.outbox import Outbox
from avito_sync.notify.retry import RetryPolicy
from avito_sync.notify.settings import NotifySettings
from avito_sync.notify.sources import ListenSource, RealtimeSource, WakeSource


def build_source(settings: NotifySettings) -> WakeSource:
    if settings.source == "listen":
        return ListenSource(settings.database_url)
    endpoint = settings.realtime_endpoint
    if endpoint is None:  # refused by the settings' validation already
        raise ValueError("the realtime source needs SUPABASE_URL or AVITO_SYNC_REALTIME_URL")
    return RealtimeSource(
        endpoint,
        settings.realtime_key,
        max_retries=settings.realtime_max_retries,
        initial_backoff=settings.realtime_initial_backoff,
        stale_seconds=settings.realtime_stale_seconds,
    )


async def run_notifier(settings: NotifySettings, stop: asyncio.Event) -> None:
    """Run until `stop` is set; every resource is closed on the way out."""
    # httpx logs each request line at INFO, and a Telegram URL carries the bot token.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port, addr=settings.metrics_host)
    pool = await open_pool(settings.database_url, min_size=1, max_size=settings.concurrency + 2)
    try:
        async with (
            httpx.AsyncClient(
                timeout=settings.http_timeout_seconds, follow_redirects=False, trust_env=False
            ) as http,
            netguard.guarded_client(settings.http_timeout_seconds) as guarded,
        ):
            notifier = Notifier(
                Outbox(pool),
                build_senders(settings, http, guarded, ChannelStore(pool)),
                RetryPolicy(
                    settings.max_attempts,
                    settings.backoff_base_seconds,
                    settings.backoff_cap_seconds,
                ),
                LoopSettings(
                    batch_size=settings.batch_size,
                    concurrency=settings.concurrency,
                    lease_seconds=settings.lease_seconds,
                    sweep_seconds=settings.sweep_seconds,
                ),
                app_url=settings.app_url,
            )
            await notifier.run(build_source(settings), stop)
    finally:
        await pool.close()

"""What wakes the notifier: Supabase Realtime (production) or LISTEN/NOTIFY (local).

Both are hints only; the outbox is the truth. A source calls `wake("event")` when something
was inserted and `wake("subscribed")` after every (re)connect, which makes the notifier claim
everything due (the catch-up for whatever happened while it was not listening). The notifier
also sweeps periodically, so a source that goes silent delays notifications but loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, Protocol

import psycopg
from pydantic import SecretStr
from realtime import (
    AsyncRealtimeClient,
    RealtimePostgresChangesListenEvent,
    RealtimeSubscribeStates,
)

from avito_sync.core.logs import get_logger

log = get_logger(__name__)

Wake = Callable[[str], None]

NOTIFY_CHANNEL = "avito_notify"
REALTIME_TOPIC = "avito-sync-notifier"
OUTBOX_TABLE = "notification_events"
RECONNECT_MIN_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 30.0


class WakeSource(Protocol):
    @property
    def name(self) -> str: ...

    async def run(self, wake: Wake) -> None:
        """Call `wake` on hints until cancelled; reconnect on its own after failures."""
        ...


def _next_pause(pause: float) -> float:
    return min(RECONNECT_MAX_SECONDS, pause * 2)


class ListenSource:
    """LISTEN avito_notify on a dedicated connection (the fan-out trigger NOTIFYs)."""

    name = "listen"

    def __init__(self, database_url: str) -> None:
        self._url = database_url

    async def run(self, wake: Wake) -> None:
        pause = RECONNECT_MIN_SECONDS
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True
                ) as conn:
                    await conn.execute(f"listen {NOTIFY_CHANNEL}")
                    pause = RECONNECT_MIN_SECONDS
                    log.info("notify_source_listening", source=self.name)
                    wake("subscribed")
                    async for _ in conn.notifies():
                        wake("event")
            except Exception as exc:
                log.warning("notify_source_lost", source=self.name, error=type(exc).__name__)
            await asyncio.sleep(pause)
            pause = _next_pause(pause)


class _Health:
    """Whether the channel is joined, and since when it has not been."""

    def __init__(self) -> None:
        self.subscribed = False
        self.unhealthy_since: float | None = time.monotonic()

    def update(self, client: AsyncRealtimeClient) -> float:
        """Seconds the connection has been unusable (0 while healthy)."""
        now = time.monotonic()
        if client.is_connected and self.subscribed:
            self.unhealthy_since = None
            return 0.0
        if self.unhealthy_since is None:
            self.unhealthy_since = now
        return now - self.unhealthy_since


class RealtimeSource:
    """postgres_changes INSERT on public.notification_events through realtime-py.

    Callbacks of realtime-py are synchronous and run inside its socket loop, where an exception
    silently ends the loop, so they only hand a reason to `wake` inside try/except. realtime-py
    reconnects and rejoins by itself up to `max_retries` and then stops for good; a supervisor
    therefore replaces the client whenever it has been disconnected or unjoined for longer than
    `stale_seconds`.
    """

    name = "realtime"

    def __init__(
        self,
        url: str,
        key: SecretStr | None,
        *,
        max_retries: int = 5,
        initial_backoff: float = 1.0,
        stale_seconds: float = 30.0,
        check_seconds: float = 0.5,
    ) -> None:
        self._url = url
        self._key = key
        self._max_retries = max_retries
        self._initial_backoff = initial_backoff
        self._stale_seconds = stale_seconds
        self._check_seconds = check_seconds

    async def run(self, wake: Wake) -> None:
        pause = RECONNECT_MIN_SECONDS
        while True:
            client = AsyncRealtimeClient(
                self._url,
                token=None if self._key is None else self._key.get_secret_value(),
                auto_reconnect=True,
                max_retries=self._max_retries,
                initial_backoff=self._initial_backoff,
            )
            health = _Health()
            try:
                await self._subscribe(client, health, wake)
                if health.subscribed:
                    pause = RECONNECT_MIN_SECONDS
                await self._supervise(client, health)
                log.warning("notify_source_stale", source=self.name)
            except Exception as exc:
                log.warning("notify_source_lost", source=self.name, error=type(exc).__name__)
            finally:
                with contextlib.suppress(Exception):
                    await client.close()
            await asyncio.sleep(pause)
            pause = _next_pause(pause)

    async def _subscribe(self, client: AsyncRealtimeClient, health: _Health, wake: Wake) -> None:
        def on_insert(_payload: Any) -> None:
            try:
                wake("event")
            except Exception as exc:
                log.exception("notify_callback_failed", error=type(exc).__name__)

        def on_state(state: RealtimeSubscribeStates, _error: Exception | None) -> None:
            try:
                health.subscribed = state == RealtimeSubscribeStates.SUBSCRIBED
                log.info("notify_source_state", source=self.name, state=str(state.value))
                if health.subscribed:
                    wake("subscribed")
            except Exception as exc:
                log.exception("notify_callback_failed", error=type(exc).__name__)

        channel = client.channel(REALTIME_TOPIC)
        channel.on_postgres_changes(
            RealtimePostgresChangesListenEvent.Insert,
            schema="public",
            table=OUTBOX_TABLE,
            callback=on_insert,
        )
        await channel.subscribe(on_state)

    async def _supervise(self, client: AsyncRealtimeClient, health: _Health) -> None:
        """Return once the client has been unusable for longer than stale_seconds."""
        # realtime-py exposes no event for "gave up reconnecting"; polling its state is the way.
        while health.update(client) <= self._stale_seconds:  # noqa: ASYNC110
            await asyncio.sleep(self._check_seconds)

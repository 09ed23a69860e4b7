"""The delivery loop: wait for a hint, a due retry or the sweep; then claim and send.

Each pass claims due deliveries in batches (SKIP LOCKED, so several notifiers share the work
without double-sending), sends them concurrently, and records each outcome fenced by its claim's
attempt number. Between passes it sleeps until the earliest of: a wake-up from the source, the
next due retry, the reconciliation sweep, or stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psycopg

from avito_sync.core.logs import get_logger
from avito_sync.notify.channels.base import DeliveryError, Message, Sender
from avito_sync.notify.metrics import DELIVERIES, WAKEUPS
from avito_sync.notify.outbox import Delivery, Outbox
from avito_sync.notify.render import EventView, render
from avito_sync.notify.retry import RetryPolicy
from avito_sync.notify.sources import WakeSource

log = get_logger(__name__)

MIN_PAUSE_SECONDS = 0.05
DB_ERROR_PAUSE_SECONDS = 1.0


@dataclass(frozen=True)
class LoopSettings:
    batch_size: int = 20
    concurrency: int = 8
    lease_seconds: int = 60
    sweep_seconds: float = 30.0


def message_for(delivery: Delivery, app_url: str | None) -> Message:
    view = EventView(
        delivery.event_kind,
        delivery.event_payload,
        delivery.property_name,
        details=delivery.details,
        app_url=app_url,
        property_id=None if delivery.property_id is None else str(delivery.property_id),
        booking_id=None if delivery.booking_id is None else str(delivery.booking_id),
    )
    return Message(delivery, render(view))


class Notifier:
    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[str, Sender],
        policy: RetryPolicy,
        loop: LoopSettings,
        *,
        jitter: Callable[[], float] = random.random,
        app_url: str | None = None,
    ) -> None:
        self._outbox = outbox
        self._senders = senders
        self._policy = policy
        self._loop = loop
        self._jitter = jitter
        self._app_url = app_url
        self._wakes: asyncio.Queue[str] = asyncio.Queue()
        self._slots = asyncio.Semaphore(loop.concurrency)
        self.idle_count = 0  # times the loop went to sleep (lets tests see it idle)

    def wake(self, reason: str) -> None:
        """Called by sources (synchronously, on the event loop): something may be due."""
        self._wakes.put_nowait(reason)

    async def run(self, source: WakeSource, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; the pass in progress finishes first."""
        source_task = asyncio.create_task(source.run(self.wake), name=f"notify-{source.name}")
        log.info("notify_started", source=source.name)
        try:
            while not stop.is_set():
                try:
                    await self.drain()
                    due = await self._outbox.seconds_until_due()
                except psycopg.Error as exc:
                    log.warning("notify_database_error", error=type(exc).__name__)
                    due = DB_ERROR_PAUSE_SECONDS
                pause = (
                    self._loop.sweep_seconds if due is None else min(due, self._loop.sweep_seconds)
                )
                self.idle_count += 1
                await self._wait(max(pause, MIN_PAUSE_SECONDS), stop)
        finally:
            source_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await source_task
            log.info("notify_stopped", source=source.name)

    async def drain(self) -> int:
        """Claim and send until nothing is due; returns how many deliveries were attempted."""
        total = 0
        while True:
            batch = await self._outbox.claim(self._loop.batch_size, self._loop.lease_seconds)
            if batch:
                await asyncio.gather(*(self._attempt(d) for d in batch))
            total += len(batch)
            if len(batch) < self._loop.batch_size:
                return total

    async def _wait(self, seconds: float, stop: asyncio.Event) -> None:
        getter = asyncio.create_task(self._wakes.get())
        stopper = asyncio.create_task(stop.wait())
        done, pending = await asyncio.wait(
            {getter, stopper}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        reasons = [getter.result()] if getter in done else []
        while not self._wakes.empty():
            reasons.append(self._wakes.get_nowait())
        if not done:
            reasons.append("timer")  # the sweep or a due retry
        for reason in reasons:
            WAKEUPS.labels(reason=reason).inc()
        log.debug("notify_woken", reasons=reasons)

    async def _attempt(self, delivery: Delivery) -> None:
        async with self._slots:
            try:
                await self._send(delivery)
            except DeliveryError as exc:
                await self._failed(delivery, exc)
            except Exception as exc:
                # A bug in a sender must not lose the delivery: retry it like a transient error.
                # No traceback: an exception's text may hold a URL, and Telegram's holds the token.
                log.error(  # noqa: TRY400
                    "notification_sender_crashed",
                    delivery_id=delivery.delivery_id,
                    error=type(exc).__name__,
                )
                await self._failed(delivery, DeliveryError(type(exc).__name__, retryable=True))
            else:
                kept = await self._outbox.succeeded(delivery)
                DELIVERIES.labels(
                    delivery.channel_kind, "delivered" if kept else "superseded"
                ).inc()
                log.info(
                    "notification_delivered",
                    delivery_id=delivery.delivery_id,
                    event_id=delivery.event_id,
                    channel_kind=delivery.channel_kind,
                    attempt=delivery.attempt,
                )

    async def _send(self, delivery: Delivery) -> None:
        sender = self._senders.get(delivery.channel_kind)
        if sender is None:
            raise DeliveryError(
                f"channel kind {delivery.channel_kind} is not supported", retryable=False
            )
        # Well inside the lease, so that no other notifier can claim the row while it is sent.
        try:
            await asyncio.wait_for(
                sender.send(message_for(delivery, self._app_url)), self._loop.lease_seconds / 2
            )
        except TimeoutError:
            raise DeliveryError(f"{delivery.channel_kind}: timeout", retryable=True) from None

    async def _failed(self, delivery: Delivery, error: DeliveryError) -> None:
        retry_in = self._policy.next_retry(
            delivery.attempt,
            self._jitter(),
            retryable=error.retryable,
            retry_after=error.retry_after,
        )
        status = await self._outbox.failed(delivery, error.reason, retry_in)
        outcome = "retry" if status == "pending" else ("failed" if status else "superseded")
        DELIVERIES.labels(delivery.channel_kind, outcome).inc()
        log.warning(
            "notification_attempt_failed",
            delivery_id=delivery.delivery_id,
            event_id=delivery.event_id,
            channel_kind=delivery.channel_kind,
            attempt=delivery.attempt,
            reason=error.reason,
            retry_in=retry_in,
            status=status,
        )

"""Runs due syncs from the shared queue: bounded concurrency, per-account limits, leases.

Any number of worker processes share one queue; the SQL lease (`FOR UPDATE SKIP LOCKED`)
keeps them from ever syncing one integration twice at once. Inside a process a global
limit bounds how many syncs run together and a per-account limit keeps one host's listings
from taking every Avito request slot of that account.

Two ways in: `run_once()` claims and runs until nothing is due (the `/v1/poll` tick), and
`run_forever()` LISTENs on `avito_sync_due` so that an app change starts its sync within a
second, and polls on its own as a fallback when a notification is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool

from avito_sync.core.logs import get_logger
from avito_sync.sync import queue
from avito_sync.sync.queue import ClaimedSync
from avito_sync.sync.settings import SyncSettings

log = get_logger(__name__)

SyncRunner = Callable[[ClaimedSync], Awaitable[None]]
"""Runs one claimed sync to the end, completing (or failing) its queue row itself."""

LISTEN_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)
MIN_WAIT_SECONDS = 0.1
"""Shortest sleep between claims: a due row another worker holds locked is not spun on."""


@dataclass
class _Slots:
    semaphore: asyncio.Semaphore
    users: int = 0
    active: int = 0


class PerKeyLimiter:
    """At most `limit` holders per key; waiters queue in arrival order. One semaphore per
    key, so a release wakes only a waiter of that key (hundreds of syncs run at once)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._keys: dict[Hashable, _Slots] = {}

    def active(self, key: Hashable) -> int:
        slots = self._keys.get(key)
        return slots.active if slots is not None else 0

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        slots = self._keys.get(key)
        if slots is None:
            slots = self._keys[key] = _Slots(asyncio.Semaphore(self._limit))
        slots.users += 1
        try:
            async with slots.semaphore:
                slots.active += 1
                try:
                    yield
                finally:
                    slots.active -= 1
        finally:
            slots.users -= 1
            if not slots.users:
                self._keys.pop(key, None)


class Worker:
    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        settings: SyncSettings,
        run_sync: SyncRunner,
        *,
        before_fill: Callable[[], Awaitable[object]] | None = None,
        account_quiet_seconds: float = 0.0,
    ) -> None:
        self._pool = pool
        self._account_quiet_seconds = account_quiet_seconds
        self._settings = settings
        self._run_sync = run_sync
        self._before_fill = before_fill
        self._accounts = PerKeyLimiter(settings.per_account_concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._claim_lock = asyncio.Lock()
        self._saturated = False
        self._sleep_until = 0.0
        self.listening = asyncio.Event()
        """Set while the LISTEN connection is up (readiness checks and tests)."""

    @property
    def owner(self) -> str:
        return self._settings.worker_id

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming; `run_forever` then waits for running syncs and returns."""
        self._stopping.set()
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and run due syncs until none is due or every slot is taken by others;
        return how many this call started. Cancelling it cancels the syncs it started (their
        leases then expire and another worker takes the rows)."""
        started = 0
        mine: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping.is_set():
                spawned = await self._fill()
                started += len(spawned)
                mine = {t for t in mine | spawned if not t.done()}
                if not mine:
                    break
                await asyncio.wait(mine, return_when=asyncio.FIRST_COMPLETED)
            if mine:
                await asyncio.wait(mine)
        except asyncio.CancelledError:
            for task in mine:
                task.cancel()
            await asyncio.gather(*mine, return_exceptions=True)
            raise
        return started

    async def run_forever(self) -> None:
        """Listen and poll until `stop()`; then let running syncs finish (up to the grace)."""
        listener = asyncio.create_task(self._listen(), name="avito-sync-listen")
        log.info("worker_started", worker=self.owner, concurrency=self._settings.concurrency)
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                delay = self._settings.fallback_poll_seconds
                try:
                    await self._fill()
                    delay = await self._until_next_due(delay)
                except (psycopg.Error, OSError) as exc:
                    log.warning("claim_failed", error=type(exc).__name__)
                self._sleep_until = time.monotonic() + delay
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
        finally:
            listener.cancel()
            self.listening.clear()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await self._drain()
            log.info("worker_stopped", worker=self.owner)

    async def _until_next_due(self, longest: float) -> float:
        """Sleep until the next row falls due (so a 10-second interval is kept without a
        tick), but never longer than the fallback, and not at all while every slot is busy:
        a finishing sync wakes the loop then."""
        if self._settings.concurrency - len(self._tasks) <= 0:
            return longest
        async with self._pool.connection() as conn:
            seconds = await queue.seconds_until_next_due(conn)
        if seconds is None:
            return longest
        return min(longest, max(seconds, MIN_WAIT_SECONDS))

    async def _drain(self) -> None:
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(
            set(self._tasks), timeout=self._settings.shutdown_grace_seconds
        )
        for task in pending:
            task.cancel()
        if pending:
            # Their leases expire and another worker picks the rows up; nothing is half-written
            # because every sync commits its writes in transactions.
            log.warning("worker_cancelled_syncs", count=len(pending))
            await asyncio.wait(pending)

    async def _fill(self) -> set[asyncio.Task[None]]:
        """Claim as many due rows as there are free slots and start a task for each."""
        spawned: set[asyncio.Task[None]] = set()
        async with self._claim_lock:
            if self._before_fill is not None and not self._stopping.is_set():
                try:  # linking the app's own rows must never stop the claims
                    await self._before_fill()
                except Exception as exc:
                    log.warning("before_fill_failed", error=type(exc).__name__)
            while not self._stopping.is_set():
                free = self._settings.concurrency - len(self._tasks)
                self._saturated = free <= 0
                if free <= 0:
                    break
                limit = min(free, self._settings.batch_size)
                async with self._pool.connection() as conn:
                    claimed = await queue.claim_batch(
                        conn,
                        self.owner,
                        limit,
                        self._settings.lease_seconds,
                        self._account_quiet_seconds,
                    )
                for item in claimed:
                    task = asyncio.create_task(
                        self._run_claimed(item), name=f"avito-sync-{item.integration_id}"
                    )
                    self._tasks.add(task)
                    task.add_done_callback(self._task_done)
                    spawned.add(task)
                if len(claimed) < limit:
                    break
        return spawned

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        # Only a worker that left due rows unclaimed for want of a slot, or that sleeps past
        # the finished row's next due time, needs waking: waking on every finished poll would
        # cost a claim round trip per poll.
        # A saturated worker claims again once a batch's worth of slots is free, not per slot.
        free = self._settings.concurrency - len(self._tasks)
        refill = self._saturated and free >= max(1, self._settings.concurrency // 8)
        late = self._sleep_until - time.monotonic() > self._settings.interval_seconds
        if refill or late or self._stopping.is_set():
            self._wake.set()

    async def _run_claimed(self, item: ClaimedSync) -> None:
        running = asyncio.current_task()
        assert running is not None
        heartbeat = asyncio.create_task(self._keep_lease(item.integration_id, running))
        try:
            async with self._accounts.hold(item.account_id):
                await self._run_sync(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The runner records its own failures; reaching here is a bug, not an Avito error.
            log.exception("sync_crashed", integration_id=str(item.integration_id))
            await self._fail_quietly(item.integration_id, f"internal error: {type(exc).__name__}")
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _fail_quietly(self, integration_id: UUID, error: str) -> None:
        with contextlib.suppress(psycopg.Error, OSError):
            async with self._pool.connection() as conn:
                await queue.complete_failure(
                    conn,
                    integration_id,
                    self.owner,
                    error,
                    base_seconds=self._settings.backoff_base_seconds,
                    cap_seconds=self._settings.backoff_cap_seconds,
                )

    async def _keep_lease(self, integration_id: UUID, sync: asyncio.Task[Any]) -> None:
        """Extend the lease every third of its length while the sync runs; a lost lease
        cancels the sync, since another worker may be running it now (the engine also checks
        right before it pushes)."""
        period = self._settings.lease_seconds / 3
        while True:
            await asyncio.sleep(period)
            try:
                async with self._pool.connection() as conn:
                    kept = await queue.extend_lease(
                        conn, integration_id, self.owner, self._settings.lease_seconds
                    )
            except (psycopg.Error, OSError) as exc:
                log.warning("lease_extend_failed", error=type(exc).__name__)
                continue
            if not kept:
                log.warning("lease_lost", integration_id=str(integration_id))
                sync.cancel()
                return

    async def _listen(self) -> None:
        """Wake the loop on every NOTIFY; reconnect with backoff when the connection drops."""
        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._settings.database_url, autocommit=True
                ) as conn:
                    await conn.execute(f"listen {queue.NOTIFY_CHANNEL}")
                    self.listening.set()
                    failures = 0
                    # A notification may have been sent while we were not listening.
                    self._wake.set()
                    async for _note in conn.notifies():
                        self._wake.set()
            except (psycopg.Error, OSError) as exc:
                self.listening.clear()
                delay = LISTEN_RETRY_SECONDS[min(failures, len(LISTEN_RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("listen_failed", error=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)

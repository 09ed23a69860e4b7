"""Steady-state polls: "call Avito, compare, record" when nothing changed on either side.

A listing is polled every 10 seconds, and almost every poll finds the app unchanged since the
last push and Avito answering exactly what it answered last time. Such a poll makes one Avito
call and shares one database statement with the other polls that finished within ~100 ms
(`PollRecorder`, `avito_private.finish_steady_polls`, migration 20261206110000): the app's
change stamp must still equal the one the last clean sync planned from when the batch is
written, the hash of Avito's raw answer must equal the one it pulled, the property's day must
be the same (bodies carry today's date) and the last full push must be younger than its
period. Anything else returns "changed" and the engine runs the full sync with the answer it
already has, so a skip never skips a change. A steady poll writes no run row: the state row
counts them (`sync_steady_state.steady_polls`, `last_steady_at`).

Only a clean sync arms the next skip (`clean`): every operation sent or unchanged, nothing
failed, nothing held back over a pending request. Any other sync disarms it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from avito_sync.sync import QUERIES
from avito_sync.sync.plan import DateRange
from avito_sync.sync.results import PushResult

PollStatus = Literal["done", "lease_lost", "changed"]
Conn = AsyncConnection[Any]

_CLEAN_SKIPS = frozenset({"unchanged", "nothing_to_send"})

BATCH_MAX_ITEMS = 200
BATCH_MAX_DELAY_SECONDS = 0.1
"""A finished steady poll waits at most this long to be recorded with others."""
LAST_SYNC_EVERY_SECONDS = 60
"""Steady polls move `integrations.last_sync_at` only when it is older than this (the app
never reads it; it is a human's "synced a minute ago" at most this stale)."""


def answer_hash(content: bytes, window: DateRange) -> str:
    """Hash of Avito's raw answer for this window (any byte of difference plans again)."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{window.start.isoformat()}/{window.end.isoformat()}\n".encode())
    digest.update(content)
    return digest.hexdigest()


def clean(pushed: PushResult) -> bool:
    """Whether Avito now holds everything this sync planned: nothing failed, nothing was
    deferred over a pending request, the integration was pushable."""
    for outcome in pushed.outcomes:
        if outcome.status == "failed":
            return False
        if outcome.status == "skipped" and outcome.reason not in _CLEAN_SKIPS:
            return False
    return not any(w.code == "prices_deferred_new_request" for w in pushed.warnings)


@dataclass(frozen=True, slots=True)
class FinishedPoll:
    """A steady poll whose Avito answer is in: what the batch compares and schedules from."""

    integration_id: UUID
    digest: str
    day: dt.date
    started_at: dt.datetime


async def finish_polls(
    conn: Conn,
    polls: Sequence[FinishedPoll],
    *,
    owner: str,
    full_push_every: dt.timedelta,
    interval_seconds: int,
    last_sync_every_seconds: int = LAST_SYNC_EVERY_SECONDS,
) -> list[PollStatus]:
    """Record a batch of steady polls in one statement (`avito_private.finish_steady_polls`,
    migration 20261206110000); one status per poll, in order."""
    if not polls:
        return []
    cur = await conn.execute(
        QUERIES["finish_steady_polls"],
        {
            "owner": owner,
            "integration_ids": [p.integration_id for p in polls],
            "digests": [p.digest for p in polls],
            "days": [p.day for p in polls],
            "started_ats": [p.started_at for p in polls],
            "full_push_every_seconds": full_push_every.total_seconds(),
            "interval_seconds": interval_seconds,
            "last_sync_every_seconds": last_sync_every_seconds,
        },
    )
    return [_status(row["status"]) for row in await cur.fetchall()]


class PollRecorder:
    """Collects finished steady polls and records them together: every `max_delay` seconds
    or `max_items` polls, one statement instead of one transaction per poll (at 500 polls a
    second the per-transaction cost, not the work, is what Postgres spends its time on)."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        *,
        owner: str,
        full_push_every: dt.timedelta,
        interval_seconds: int,
        max_items: int = BATCH_MAX_ITEMS,
        max_delay: float = BATCH_MAX_DELAY_SECONDS,
    ) -> None:
        self._pool = pool
        self._owner = owner
        self._full_push_every = full_push_every
        self._interval_seconds = interval_seconds
        self._max_items = max_items
        self._max_delay = max_delay
        self._pending: list[tuple[FinishedPoll, asyncio.Future[PollStatus]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushes: set[asyncio.Task[None]] = set()

    async def finish(self, poll: FinishedPoll, *, urgent: bool = False) -> PollStatus:
        """Queue the poll for the next batch and wait for its status; `urgent` (a poll woken
        by an app change, which is most likely 'changed') writes the batch now rather than
        letting the change wait for the timer. Raises what the batch's statement raised
        (psycopg.Error, OSError): nothing was recorded then."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[PollStatus] = loop.create_future()
        self._pending.append((poll, future))
        if urgent or len(self._pending) >= self._max_items:
            self._flush_now()
        elif self._timer is None:
            self._timer = loop.call_later(self._max_delay, self._flush_now)
        return await future

    async def aclose(self) -> None:
        """Record what is queued and wait for every batch in flight."""
        self._flush_now()
        while self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)

    def _flush_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._flush(batch))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: list[tuple[FinishedPoll, asyncio.Future[PollStatus]]]) -> None:
        try:
            async with self._pool.connection() as conn:
                statuses = await finish_polls(
                    conn,
                    [poll for poll, _ in batch],
                    owner=self._owner,
                    full_push_every=self._full_push_every,
                    interval_seconds=self._interval_seconds,
                )
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        for (_, future), status in zip(batch, statuses, strict=True):
            if not future.done():
                future.set_result(status)


async def app_stamp(conn: Conn, integration_id: UUID) -> int | None:
    """The integration's change stamp; read after the pull, before loading the plan input."""
    cur = await conn.execute(QUERIES["sync_app_stamp"], {"integration_id": integration_id})
    row = await cur.fetchone()
    return None if row is None or row["stamp"] is None else int(row["stamp"])


async def record_state(
    conn: Conn,
    *,
    integration_id: UUID,
    owner: str,
    stamp: int | None,
    digest: str | None,
    day: dt.date | None,
) -> None:
    """Arm the next skip (a clean sync's stamp, answer hash and day) or disarm it (None)."""
    await conn.execute(
        QUERIES["record_steady_state"],
        {
            "integration_id": integration_id,
            "owner": owner,
            "stamp": stamp,
            "digest": digest if stamp is not None else None,
            "day": day,
        },
    )


def _status(value: object) -> PollStatus:
    if value == "done":
        return "done"
    if value == "lease_lost":
        return "lease_lost"
    return "changed"

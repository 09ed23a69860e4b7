"""Steady-state polls: "call Avito, compare, record" when nothing changed on either side.

A listing is polled every 10 seconds, and almost every poll finds the app unchanged since the
last push and Avito answering exactly what it answered last time. Such a poll makes one Avito
call and one database round trip (`avito_private.finish_steady_poll`, migration
20261206080000): the app's change stamp must still equal the one the last clean sync planned
from, the hash of Avito's raw answer must equal the one it pulled, the property's day must be
the same (bodies carry today's date) and the last full push must be younger than its period.
Anything else returns "changed" and the engine runs the full sync with the answer it already
has, so a skip never skips a change.

Only a clean sync arms the next skip (`clean`): every operation sent or unchanged, nothing
failed, nothing held back over a pending request. Any other sync disarms it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection

from avito_sync.sync.plan import DateRange
from avito_sync.sync.results import PushResult

PollStatus = Literal["done", "lease_lost", "changed"]
Conn = AsyncConnection[Any]

_CLEAN_SKIPS = frozenset({"unchanged", "nothing_to_send"})


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


async def finish_poll(
    conn: Conn,
    *,
    integration_id: UUID,
    owner: str,
    trigger: str,
    digest: str,
    day: dt.date,
    now: dt.datetime,
    started_at: dt.datetime,
    full_push_every: dt.timedelta,
    interval_seconds: int,
) -> PollStatus:
    """Record the poll as a successful sync when nothing changed (one round trip)."""
    cur = await conn.execute(
        "select avito_private.finish_steady_poll(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            integration_id,
            owner,
            trigger,
            digest,
            day,
            now,
            started_at,
            full_push_every.total_seconds(),
            interval_seconds,
        ),
    )
    row = await cur.fetchone()
    value = _first(row)
    if value == "done":
        return "done"
    if value == "lease_lost":
        return "lease_lost"
    return "changed"


async def app_stamp(conn: Conn, integration_id: UUID) -> int | None:
    """The integration's change stamp; read after the pull, before loading the plan input."""
    cur = await conn.execute("select avito_private.sync_app_stamp(%s)", (integration_id,))
    value = _first(await cur.fetchone())
    return None if value is None else int(value)


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
        "select avito_private.record_steady_state(%s, %s, %s, %s, %s)",
        (integration_id, owner, stamp, digest if stamp is not None else None, day),
    )


def _first(row: Any) -> Any:
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]

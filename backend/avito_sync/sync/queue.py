"""Thin, typed calls of the queue's SQL functions (supabase/migrations/20261127100000_*).

The locking rules live in SQL; this module only names them for Python. Every function
takes a connection so that callers decide the transaction (the engine records a run and
completes its row in one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection

NOTIFY_CHANNEL = "avito_sync_due"

Trigger = Literal["tick", "change", "initial", "manual"]
Conn = AsyncConnection[Any]


@dataclass(frozen=True, slots=True)
class ClaimedSync:
    """One due integration leased to this worker until `lease_expires_at`."""

    integration_id: UUID
    property_id: UUID
    account_id: UUID
    attempts: int
    trigger: Trigger
    lease_expires_at: dt.datetime
    target: PollTarget | None = None
    """What a steady-state poll needs to call Avito (`claim_batch` fills it)."""


@dataclass(frozen=True, slots=True)
class PollTarget:
    """The listing a claimed row polls, as the claim read it."""

    avito_user_id: int
    avito_item_id: int
    timezone: str | None


def _trigger(value: object) -> Trigger:
    if value == "change":
        return "change"
    if value == "initial":
        return "initial"
    if value == "manual":
        return "manual"
    return "tick"


async def claim_batch(conn: Conn, owner: str, limit: int, lease_seconds: int) -> list[ClaimedSync]:
    cur = await conn.execute(
        "select * from avito_private.claim_sync_polls(%s, %s, %s)",
        (owner, limit, lease_seconds),
    )
    rows = await cur.fetchall()
    return [
        ClaimedSync(
            integration_id=_row(r, 0, "integration_id"),
            property_id=_row(r, 1, "property_id"),
            account_id=_row(r, 2, "avito_account_id"),
            attempts=_row(r, 3, "attempts"),
            trigger=_trigger(_row(r, 4, "wake_reason")),
            lease_expires_at=_row(r, 5, "lease_expires_at"),
            target=_target(r),
        )
        for r in rows
    ]


def _target(row: Any) -> PollTarget | None:
    user, item = _row(row, 6, "avito_user_id"), _row(row, 7, "avito_item_id")
    if user is None or item is None:
        return None
    return PollTarget(int(user), int(item), _row(row, 8, "timezone"))


def _row(row: Any, index: int, name: str) -> Any:
    """Rows come as dicts from the service pool and as tuples from plain connections."""
    return row[name] if isinstance(row, dict) else row[index]


async def _scalar(conn: Conn, sql: str, params: tuple[object, ...]) -> Any:
    cur = await conn.execute(sql, params)
    row = await cur.fetchone()
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


async def seconds_until_next_due(conn: Conn) -> float | None:
    """Seconds until a claim can next succeed (negative when overdue); None if none can."""
    value = await _scalar(conn, "select avito_private.next_sync_due_in()", ())
    return None if value is None else float(value)


async def extend_lease(conn: Conn, integration_id: UUID, owner: str, lease_seconds: int) -> bool:
    return bool(
        await _scalar(
            conn,
            "select avito_private.extend_sync_lease(%s, %s, %s)",
            (integration_id, owner, lease_seconds),
        )
    )


async def complete_failure(
    conn: Conn,
    integration_id: UUID,
    owner: str,
    error: str,
    *,
    base_seconds: int,
    cap_seconds: int,
) -> bool:
    return bool(
        await _scalar(
            conn,
            "select avito_private.complete_sync_failure(%s, %s, %s, %s, %s)",
            (integration_id, owner, error, base_seconds, cap_seconds),
        )
    )


async def enqueue(
    conn: Conn, integration_id: UUID, reason: Trigger = "manual", *, resume: bool = False
) -> bool:
    """Make the integration's row due now (creating it); False if the integration is not
    active or its property is deleted."""
    return bool(
        await _scalar(
            conn,
            "select avito_private.enqueue_integration(%s, %s, %s)",
            (integration_id, reason, resume),
        )
    )

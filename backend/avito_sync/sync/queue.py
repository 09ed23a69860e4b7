"""Thin, typed calls of the queue's SQL functions (supabase/migrations/20261127100000_*).

The locking rules live in SQL; this module only names them for Python. Every function
takes a connection so that callers decide the transaction (the engine records a run and
completes its row in one).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from avito_sync.sync import QUERIES
from avito_sync.sync.settings import SyncSettings

NOTIFY_CHANNEL = "avito_sync_due"

Trigger = Literal["tick", "change", "initial", "manual"]
Blocked = Literal["needs_reconnect", "inactive"]
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


@dataclass(frozen=True, slots=True)
class _Claim:
    """A claim function's row, as Postgres returns it."""

    integration_id: UUID
    property_id: UUID
    avito_account_id: UUID
    attempts: int
    wake_reason: str | None
    lease_expires_at: dt.datetime
    avito_user_id: int | None = None
    avito_item_id: int | None = None
    timezone: str | None = None

    def claimed(self, trigger: Trigger | None = None) -> ClaimedSync:
        user, item = self.avito_user_id, self.avito_item_id
        return ClaimedSync(
            integration_id=self.integration_id,
            property_id=self.property_id,
            account_id=self.avito_account_id,
            attempts=self.attempts,
            trigger=trigger or _trigger(self.wake_reason),
            lease_expires_at=self.lease_expires_at,
            target=None if user is None or item is None else PollTarget(user, item, self.timezone),
        )


@dataclass(frozen=True, slots=True)
class _Blocker:
    queue_status: str | None
    is_active: bool | None
    status: str | None
    deleted_at: dt.datetime | None
    account_status: str | None


def _trigger(value: str | None) -> Trigger:
    if value == "change":
        return "change"
    if value == "initial":
        return "initial"
    if value == "manual":
        return "manual"
    return "tick"


async def claim_batch(
    conn: Conn, owner: str, limit: int, lease_seconds: int, account_quiet_seconds: float = 0.0
) -> list[ClaimedSync]:
    """Lease due rows. A row's account must have been silent for `account_quiet_seconds` in
    every other worker (each process has its own rate-limit buckets)."""
    async with conn.cursor(row_factory=class_row(_Claim)) as cur:
        await cur.execute(
            QUERIES["claim_batch"],
            {
                "owner": owner,
                "limit": limit,
                "lease_seconds": lease_seconds,
                "account_quiet_seconds": account_quiet_seconds,
            },
        )
        return [claim.claimed() for claim in await cur.fetchall()]


async def claim_integration(
    conn: Conn, integration_id: UUID, owner: str, lease_seconds: int, trigger: Trigger
) -> ClaimedSync | None:
    """Lease one integration's row now; None when it is leased, inactive or blocked."""
    async with conn.cursor(row_factory=class_row(_Claim)) as cur:
        await cur.execute(
            QUERIES["claim_integration"],
            {"integration_id": integration_id, "owner": owner, "lease_seconds": lease_seconds},
        )
        claim = await cur.fetchone()
    return None if claim is None else claim.claimed(trigger)


async def claim_blocker(conn: Conn, integration_id: UUID) -> Blocked | None:
    """Why a claim found nothing: None when the row is merely leased by someone else."""
    async with conn.cursor(row_factory=class_row(_Blocker)) as cur:
        await cur.execute(QUERIES["claim_blocker"], {"integration_id": integration_id})
        row = await cur.fetchone()
    if row is not None and not row.is_active and row.status == "needs_reconnect":
        return "needs_reconnect"  # switched off by the reconnect pause, not by the host
    if row is None or not row.is_active or row.deleted_at is not None:
        return "inactive"
    if row.account_status != "active" or row.queue_status == "paused":
        return "needs_reconnect"
    if row.queue_status is None:
        return "inactive"
    return None


async def seconds_until_next_due(conn: Conn) -> float | None:
    """Seconds until a claim can next succeed (negative when overdue); None if none can."""
    cur = await conn.execute(QUERIES["next_due_in"])
    row = await cur.fetchone()
    return None if row is None or row["seconds"] is None else float(row["seconds"])


async def extend_lease(conn: Conn, integration_id: UUID, owner: str, lease_seconds: int) -> bool:
    cur = await conn.execute(
        QUERIES["extend_lease"],
        {"integration_id": integration_id, "owner": owner, "lease_seconds": lease_seconds},
    )
    row = await cur.fetchone()
    return bool(row and row["held"])


async def complete_failure(
    conn: Conn,
    integration_id: UUID,
    owner: str,
    error: str,
    *,
    base_seconds: int,
    cap_seconds: int,
) -> bool:
    cur = await conn.execute(
        QUERIES["complete_failure"],
        {
            "integration_id": integration_id,
            "owner": owner,
            "error": error,
            "base_seconds": base_seconds,
            "cap_seconds": cap_seconds,
        },
    )
    row = await cur.fetchone()
    return bool(row and row["held"])


async def enqueue(
    conn: Conn, integration_id: UUID, reason: Trigger = "manual", *, resume: bool = False
) -> bool:
    """Make the integration's row due now (creating it); False if the integration is not
    active or its property is deleted. `resume` also lifts a reconnect pause (for a host
    acting on an integration whose account is connected again)."""
    cur = await conn.execute(
        QUERIES["enqueue"], {"integration_id": integration_id, "reason": reason, "resume": resume}
    )
    row = await cur.fetchone()
    return bool(row and row["queued"])


async def record_result(
    conn: Conn,
    item: ClaimedSync,
    *,
    owner: str,
    outcome: str,
    counts: dict[str, Any],
    api_calls: int,
    started_at: dt.datetime,
    error: str | None,
    settings: SyncSettings,
) -> bool:
    """The run row, the integration's badge state and the row's next time, in one call
    (`avito_private.record_sync_result`); False when the lease was no longer ours."""
    cur = await conn.execute(
        QUERIES["record_sync_result"],
        {
            "integration_id": item.integration_id,
            "owner": owner,
            "trigger": item.trigger,
            "outcome": outcome,
            "counts": json.dumps(counts, default=str),
            "api_calls": api_calls,
            "started_at": started_at,
            "error": error,
            "interval_seconds": settings.interval_seconds,
            "backoff_base_seconds": settings.backoff_base_seconds,
            "backoff_cap_seconds": settings.backoff_cap_seconds,
        },
    )
    row = await cur.fetchone()
    return row is None or bool(row["held"])

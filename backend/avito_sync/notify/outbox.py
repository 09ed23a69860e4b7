"""The outbox as the notifier sees it: claim due deliveries, record their outcome.

All the logic that must be atomic (fan-out, SKIP LOCKED claims, fencing by attempt number)
lives in SQL (supabase/migrations/20261127300000_notify_outbox.sql); these are thin calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool


@dataclass(frozen=True)
class Delivery:
    """One claimed (event, channel) pair; `attempt` fences the outcome to this claim."""

    delivery_id: int
    attempt: int
    event_id: int
    event_kind: str
    event_payload: dict[str, Any]
    event_created_at: datetime
    property_id: UUID | None
    property_name: str | None
    integration_id: UUID | None
    booking_id: UUID | None
    channel_id: UUID
    channel_kind: str
    channel_config: dict[str, Any]
    details: dict[str, Any]


class Outbox:
    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def _rows(self, sql: str, params: tuple[object, ...] = ()) -> list[dict[str, Any]]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(sql, params)
            rows: list[dict[str, Any]] = await cur.fetchall()
            return rows

    async def claim(self, limit: int, lease_seconds: int) -> list[Delivery]:
        rows = await self._rows(
            "select * from avito_private.notify_claim_deliveries(%s, %s)", (limit, lease_seconds)
        )
        return [Delivery(**row) for row in rows]

    async def succeeded(self, delivery: Delivery) -> bool:
        """False when the claim was superseded (lease expired, someone else has the row)."""
        rows = await self._rows(
            "select avito_private.notify_delivery_succeeded(%s, %s) as ok",
            (delivery.delivery_id, delivery.attempt),
        )
        return bool(rows[0]["ok"])

    async def failed(self, delivery: Delivery, error: str, retry_in: float | None) -> str | None:
        """Record a failed attempt; `retry_in` None gives up. Returns the new status."""
        rows = await self._rows(
            "select avito_private.notify_delivery_failed(%s, %s, %s, %s) as status",
            (delivery.delivery_id, delivery.attempt, error, retry_in),
        )
        status: str | None = rows[0]["status"]
        return status

    async def claim_test(self, channel_id: UUID, lease_seconds: int) -> Delivery:
        """A test event and its delivery to one channel, already claimed (`channel-test`)."""
        rows = await self._rows(
            "select * from avito_private.notify_channel_test(%s, %s)", (channel_id, lease_seconds)
        )
        return Delivery(**rows[0])

    async def seconds_until_due(self) -> float | None:
        """None when nothing is pending; 0 when something is due now."""
        rows = await self._rows("select avito_private.notify_seconds_until_due() as due")
        due: float | None = rows[0]["due"]
        return due

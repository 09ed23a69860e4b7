"""The outbox as the notifier sees it: claim due deliveries, record their outcome.

All the logic that must be atomic (fan-out, SKIP LOCKED claims, fencing by attempt number)
lives in SQL (supabase/migrations/20261127300000_notify_outbox.sql); these are thin calls
(`notify/queries.sql`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import class_row, dict_row
from psycopg_pool import AsyncConnectionPool

from avito_sync.core.queries import Queries

QUERIES = Queries("avito_sync.notify")


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

    async def _deliveries(self, name: str, params: Mapping[str, Any]) -> list[Delivery]:
        async with (
            self._pool.connection() as conn,
            conn.cursor(row_factory=class_row(Delivery)) as cur,
        ):
            await cur.execute(QUERIES[name], params)
            deliveries: list[Delivery] = await cur.fetchall()
            return deliveries

    async def _value(self, name: str, params: Mapping[str, Any] | None = None) -> Any:
        """The single column of a one-row call."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(QUERIES[name], params)
            row = await cur.fetchone()
        assert row is not None
        return next(iter(row.values()))

    async def claim(self, limit: int, lease_seconds: int) -> list[Delivery]:
        return await self._deliveries(
            "claim_deliveries", {"limit": limit, "lease_seconds": lease_seconds}
        )

    async def succeeded(self, delivery: Delivery) -> bool:
        """False when the claim was superseded (lease expired, someone else has the row)."""
        ok = await self._value(
            "delivery_succeeded",
            {"delivery_id": delivery.delivery_id, "attempt": delivery.attempt},
        )
        return bool(ok)

    async def failed(self, delivery: Delivery, error: str, retry_in: float | None) -> str | None:
        """Record a failed attempt; `retry_in` None gives up. Returns the new status."""
        status: str | None = await self._value(
            "delivery_failed",
            {
                "delivery_id": delivery.delivery_id,
                "attempt": delivery.attempt,
                "error": error,
                "retry_in": retry_in,
            },
        )
        return status

    async def claim_test(self, channel_id: UUID, lease_seconds: int) -> Delivery:
        """A test event and its delivery to one channel, already claimed (`channel-test`)."""
        deliveries = await self._deliveries(
            "channel_test", {"channel_id": channel_id, "lease_seconds": lease_seconds}
        )
        return deliveries[0]

    async def seconds_until_due(self) -> float | None:
        """None when nothing is pending; 0 when something is due now."""
        due: float | None = await self._value("seconds_until_due")
        return due

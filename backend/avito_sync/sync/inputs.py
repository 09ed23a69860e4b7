"""Loading a sync's inputs: a light context before Avito is called, the full year after.

The engine needs only who and what to call, and the property's day, before the pull; the
rates and bookings it plans from are read after the pull has written Avito's bookings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row

from avito_sync.sync import QUERIES
from avito_sync.sync.models import (
    DEFAULT_TIMEZONE,
    BookingInput,
    IntegrationContext,
    PropertyInput,
    RateInput,
    SyncInput,
)

Conn = AsyncConnection[Any]


class SyncInputError(LookupError):
    """The integration does not exist (deleted meanwhile) or has no Avito account."""


@dataclass(frozen=True, slots=True)
class SyncContext:
    """What a sync needs before calling Avito."""

    integration: IntegrationContext
    timezone: str


@dataclass(frozen=True, slots=True)
class _ContextRow:
    integration_id: UUID
    property_id: UUID
    avito_account_id: UUID | None
    avito_user_id: int | None
    avito_item_id: int | None
    markup: Decimal
    timezone: str | None


async def load_context(conn: Conn, integration_id: UUID) -> SyncContext:
    """The integration's Avito account and listing, and its property's timezone (one row).
    Raises `SyncInputError` when the integration is gone or has no Avito account."""
    async with conn.cursor(row_factory=class_row(_ContextRow)) as cur:
        await cur.execute(QUERIES["load_context"], {"integration_id": integration_id})
        row = await cur.fetchone()
    if row is None:
        raise SyncInputError(f"integration {integration_id} not found")
    account, user, item = row.avito_account_id, row.avito_user_id, row.avito_item_id
    if account is None or user is None or item is None:
        raise SyncInputError(f"integration {integration_id} has no Avito account")
    integration = IntegrationContext(
        row.integration_id, row.property_id, account, user, item, row.markup
    )
    return SyncContext(integration, row.timezone or DEFAULT_TIMEZONE)


async def load_sync_input(conn: Conn, integration_id: UUID) -> SyncInput:
    """The integration's property, rates and bookings in one snapshot (one SQL function
    call), with the property's timezone when the table has one. Raises `SyncInputError`
    when the integration does not exist."""
    cur = await conn.execute(QUERIES["load_sync_input"], {"integration_id": integration_id})
    row = await cur.fetchone()
    data = None if row is None else row["data"]
    if data is None:
        raise SyncInputError(f"integration {integration_id} not found")
    return _parse_input(data)


def _parse_input(data: dict[str, Any]) -> SyncInput:
    integ, prop = data["integration"], data["property"]
    if integ.get("avito_account_id") is None:
        raise SyncInputError(f"integration {integ['id']} has no Avito account")
    deleted_at = prop.get("deleted_at")
    return SyncInput(
        integration=IntegrationContext(
            integration_id=UUID(integ["id"]),
            property_id=UUID(integ["property_id"]),
            avito_account_id=UUID(integ["avito_account_id"]),
            avito_user_id=int(integ["avito_user_id"]),
            avito_item_id=int(integ["avito_item_id"]),
            markup=Decimal(str(integ["avito_markup"])),
        ),
        property=PropertyInput(
            id=UUID(prop["id"]),
            base_price=_decimal(prop.get("base_price")),
            minimum_booking_days=prop.get("minimum_booking_days"),
            timezone=prop.get("timezone") or DEFAULT_TIMEZONE,
            deleted_at=dt.datetime.fromisoformat(deleted_at) if deleted_at else None,
        ),
        rates=tuple(
            RateInput(
                date=dt.date.fromisoformat(r["date"]),
                daily_price=Decimal(str(r["daily_price"])),
                min_stay=r.get("min_stay"),
            )
            for r in data["rates"]
        ),
        bookings=tuple(
            BookingInput(
                id=UUID(b["id"]),
                check_in=dt.date.fromisoformat(b["check_in"]),
                check_out=dt.date.fromisoformat(b["check_out"]),
                status=b.get("status"),
                source=b.get("source"),
                avito_status=b.get("avito_status"),
            )
            for b in data["bookings"]
        ),
    )


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))

"""Helpers shared by the pull and push tests: app rows in real Postgres and an Avito client
pointed at the sandbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito import AvitoClient, StaticToken
from avito_sync.avito.settings import AvitoSettings
from avito_sync.core.database import open_pool
from tests.fixtures.db import create_user
from tests.fixtures.sandbox import Sandbox
from tests.support.rows import create_avito_account, create_integration, create_property

Conn = psycopg.Connection[dict[str, Any]]


def moscow_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Moscow")).date()


def day(offset: int) -> dt.date:
    return moscow_today() + dt.timedelta(days=offset)


@dataclass(frozen=True)
class Seeded:
    owner_id: UUID
    property_id: UUID
    account_id: UUID
    integration_id: UUID
    avito_user_id: int
    avito_item_id: int


def seed_integration(
    db: Conn,
    *,
    avito_user_id: int,
    avito_item_id: int,
    base_price: Decimal | None = Decimal(1000),
    minimum_booking_days: int = 2,
    markup: Decimal = Decimal(15),
) -> Seeded:
    """A host with one property connected to one Avito listing."""
    owner = create_user(db)
    prop = create_property(
        db, owner, base_price=base_price, minimum_booking_days=minimum_booking_days
    )
    account = create_avito_account(db, owner, avito_user_id)
    integration = create_integration(db, prop, account, avito_user_id, avito_item_id, markup=markup)
    return Seeded(owner, prop, account, integration, avito_user_id, avito_item_id)


def add_booking(
    db: Conn,
    property_id: UUID,
    check_in: dt.date,
    check_out: dt.date,
    *,
    status: str = "confirmed",
    source: str = "manual",
) -> UUID:
    row = db.execute(
        "insert into public.bookings (property_id, check_in, check_out, status, source,"
        " guest_name) values (%s, %s, %s, %s, %s, 'Local guest') returning id",
        (property_id, check_in, check_out, status, source),
    ).fetchone()
    assert row is not None
    result: UUID = row["id"]
    return result


def avito_booking(db: Conn, avito_booking_id: int) -> dict[str, Any]:
    row = db.execute(
        "select * from public.bookings where source = 'avito' and external_id = %s",
        (str(avito_booking_id),),
    ).fetchone()
    assert row is not None, f"no row for Avito booking {avito_booking_id}"
    return row


def events(db: Conn, kind: str | None = None) -> list[dict[str, Any]]:
    return db.execute(
        "select * from public.notification_events where %s::text is null or kind = %s order by id",
        (kind, kind),
    ).fetchall()


def avito_settings(sandbox: Sandbox) -> AvitoSettings:
    """A client on the sandbox with no rate limits and no retries (tests see every failure)."""
    return AvitoSettings(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,  # type: ignore[arg-type]
        api_base_url=sandbox.base_url,
        oauth_base_url=sandbox.base_url,
        account_rate_per_second=1000,
        account_burst=1000,
        app_rate_per_second=1000,
        app_burst=1000,
        max_attempts=1,
        read_timeout_seconds=10,
    )


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    opened = await open_pool(database_url, min_size=1, max_size=4)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def avito(sandbox: Sandbox) -> AsyncIterator[tuple[AvitoClient, StaticToken]]:
    """A real client on the sandbox, acting as the demo account (client_credentials)."""
    async with AvitoClient(avito_settings(sandbox)) as client:
        token = await client.client_credentials()
        yield client, StaticToken(token.access_token.get_secret_value(), "sandbox-demo")

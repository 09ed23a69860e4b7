"""The app's rows as tests need them: a property, an Avito account, a listing, a connection.

Inserted as the superuser the `db` fixture connects as (RLS does not apply); users come from
`tests.fixtures.db.create_user`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

Conn = psycopg.Connection[dict[str, Any]]


def _id(row: dict[str, Any] | None) -> UUID:
    assert row is not None
    return UUID(str(row["id"]))


def create_property(
    conn: Conn,
    owner: UUID,
    *,
    name: str = "Flat",
    base_price: Decimal | int | None = None,
    minimum_booking_days: int = 1,
) -> UUID:
    return _id(
        conn.execute(
            "insert into public.properties (owner_id, name, base_price, minimum_booking_days)"
            " values (%s, %s, %s, %s) returning id",
            (owner, name, base_price, minimum_booking_days),
        ).fetchone()
    )


def create_avito_account(
    conn: Conn, owner: UUID, avito_user_id: int, *, status: str = "active"
) -> UUID:
    return _id(
        conn.execute(
            "insert into public.avito_accounts (owner_id, avito_user_id, name, status)"
            " values (%s, %s, 'Host', %s) returning id",
            (owner, avito_user_id, status),
        ).fetchone()
    )


def create_integration(
    conn: Conn,
    property_id: UUID,
    account_id: UUID,
    avito_user_id: int,
    avito_item_id: int,
    *,
    markup: Decimal | int = 15,
) -> UUID:
    """An active connection of the property to the account's listing (listing row included)."""
    conn.execute(
        "insert into public.avito_items (avito_account_id, avito_item_id, title)"
        " values (%s, %s, 'Flat on Avito')",
        (account_id, avito_item_id),
    )
    return _id(
        conn.execute(
            "insert into public.integrations (property_id, avito_account_id, avito_user_id,"
            " avito_item_id, avito_markup, is_active, status)"
            " values (%s, %s, %s, %s, %s, true, 'active') returning id",
            (property_id, account_id, avito_user_id, avito_item_id, markup),
        ).fetchone()
    )

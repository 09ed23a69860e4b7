"""The service's reads and writes, each one named statement of `api/queries.sql`.

Every lookup that names a property, account or integration also takes the caller's id,
so ownership is part of the query: a row of another user is simply not found. Rows the
actions pass around are typed (`class_row` dataclasses); the status row stays a mapping for
the badge rules that read it.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from avito_sync.api.oauth_state import nonce_hash
from avito_sync.core.queries import Queries

Conn = AsyncConnection[Any]
Row = dict[str, Any]
QUERIES = Queries("avito_sync.api")
T = TypeVar("T")


@dataclass(frozen=True)
class OwnedProperty:
    id: uuid.UUID
    name: str | None


@dataclass(frozen=True)
class OwnedAccount:
    id: uuid.UUID
    avito_user_id: int
    name: str | None
    status: str
    scope: str | None
    token_expires_at: dt.datetime | None


@dataclass(frozen=True)
class AccountSummary:
    id: uuid.UUID
    avito_user_id: int
    name: str | None
    status: str
    token_expires_at: dt.datetime | None
    created_at: dt.datetime


@dataclass(frozen=True)
class OwnedIntegration:
    id: uuid.UUID
    property_id: uuid.UUID
    avito_account_id: uuid.UUID | None
    avito_user_id: int | None
    avito_item_id: int | None
    avito_markup: Decimal | None
    is_active: bool


@dataclass(frozen=True)
class IntegrationRef:
    """An integration named in the run log (a detach, a disconnect, a closed calendar)."""

    id: uuid.UUID
    property_id: uuid.UUID


@dataclass(frozen=True)
class SavedProgress:
    progress: dict[str, Any]
    expires_at: dt.datetime


async def _one(conn: Conn, cls: type[T], name: str, params: Mapping[str, Any]) -> T | None:
    async with conn.cursor(row_factory=class_row(cls)) as cur:
        await cur.execute(QUERIES[name], params)
        return await cur.fetchone()


async def _all(conn: Conn, cls: type[T], name: str, params: Mapping[str, Any]) -> list[T]:
    async with conn.cursor(row_factory=class_row(cls)) as cur:
        await cur.execute(QUERIES[name], params)
        return await cur.fetchall()


async def _row(conn: Conn, name: str, params: Mapping[str, Any] | None = None) -> Row | None:
    cur = await conn.execute(QUERIES[name], params)
    row: Row | None = await cur.fetchone()
    return row


async def _rows(conn: Conn, name: str, params: Mapping[str, Any] | None = None) -> list[Row]:
    cur = await conn.execute(QUERIES[name], params)
    return list(await cur.fetchall())


# --- ownership --------------------------------------------------------------------------------


async def owned_property(
    conn: Conn, owner: uuid.UUID, property_id: uuid.UUID
) -> OwnedProperty | None:
    return await _one(
        conn, OwnedProperty, "owned_property", {"owner": owner, "property_id": property_id}
    )


async def owned_account(conn: Conn, owner: uuid.UUID, account_id: Any) -> OwnedAccount | None:
    return await _one(
        conn, OwnedAccount, "owned_account", {"owner": owner, "account_id": account_id}
    )


async def owned_integration(
    conn: Conn,
    owner: uuid.UUID,
    *,
    integration_id: uuid.UUID | None,
    property_id: uuid.UUID | None,
    active_only: bool = True,
) -> OwnedIntegration | None:
    """The caller's Avito integration, by id or by property (the active one first). A row the
    reconnect pause switched off counts as active: its sync answers "reconnect"."""
    params = {
        "owner": owner,
        "integration_id": integration_id,
        "property_id": property_id,
        "active_only": active_only,
    }
    return await _one(conn, OwnedIntegration, "owned_integration", params)


# --- OAuth state and connect progress ----------------------------------------------------------


async def record_state(
    conn: Conn,
    owner: uuid.UUID,
    property_id: uuid.UUID,
    nonce_hash: str,
    expires_at: dt.datetime,
) -> None:
    """Record a new state; the owner's expired ones go (their signature expired with them)."""
    await conn.execute(QUERIES["drop_expired_states"], {"owner": owner})
    await conn.execute(
        QUERIES["record_state"],
        {
            "owner": owner,
            "property_id": property_id,
            "state_hash": nonce_hash,
            "expires_at": expires_at,
        },
    )


async def consume_state(conn: Conn, owner: uuid.UUID, nonce_hash: str) -> Row | None:
    """Mark the state used, atomically; None when it is unknown, used, expired or not ours."""
    return await _row(conn, "consume_state", {"state_hash": nonce_hash, "owner": owner})


async def state_used(conn: Conn, nonce_hash: str) -> bool:
    row = await _row(conn, "state_used", {"state_hash": nonce_hash})
    return bool(row and row["used"])


async def save_progress(
    conn: Conn, owner: uuid.UUID, property_id: uuid.UUID, progress: dict[str, Any]
) -> dt.datetime:
    """Replace the property's saved connect progress; it lives one hour from now.

    Progress rows are state rows that can never be redeemed: born used, with the hash of a
    random nonce nobody holds.
    """
    where = {"owner": owner, "property_id": property_id}
    async with conn.transaction():
        await conn.execute(QUERIES["drop_progress"], where)
        row = await _row(
            conn,
            "save_progress",
            {
                **where,
                "state_hash": nonce_hash(secrets.token_urlsafe(24)),
                "progress": Jsonb(progress),
            },
        )
    assert row is not None
    expires_at: dt.datetime = row["expires_at"]
    return expires_at


async def load_progress(
    conn: Conn, owner: uuid.UUID, property_id: uuid.UUID
) -> SavedProgress | None:
    return await _one(
        conn, SavedProgress, "load_progress", {"owner": owner, "property_id": property_id}
    )


# --- accounts and items -----------------------------------------------------------------------


async def upsert_account(
    conn: Conn,
    owner: uuid.UUID,
    *,
    avito_user_id: int,
    name: str | None,
    scope: str | None,
    expires_at: dt.datetime,
) -> uuid.UUID:
    row = await _row(
        conn,
        "upsert_account",
        {
            "owner": owner,
            "avito_user_id": avito_user_id,
            "name": name,
            "scope": scope,
            "expires_at": expires_at,
        },
    )
    assert row is not None
    account_id: uuid.UUID = row["id"]
    return account_id


async def list_accounts(conn: Conn, owner: uuid.UUID) -> list[AccountSummary]:
    return await _all(conn, AccountSummary, "list_accounts", {"owner": owner})


async def cache_items(conn: Conn, account_id: uuid.UUID, items: list[Row]) -> None:
    for item in items:
        await conn.execute(
            QUERIES["cache_item"],
            {
                "account_id": account_id,
                "item_id": item["id"],
                "title": item.get("title"),
                "status": item.get("status"),
                "url": item.get("url"),
                "data": Jsonb(item),
            },
        )


async def remember_item(
    conn: Conn, account_id: uuid.UUID, item_id: int, status: str | None, url: str | None
) -> None:
    """A listing checked on Avito, kept without erasing what a full listing fetch knew."""
    await conn.execute(
        QUERIES["remember_item"],
        {"account_id": account_id, "item_id": item_id, "status": status, "url": url},
    )


async def cached_items(conn: Conn, account_id: uuid.UUID) -> list[Row]:
    return await _rows(conn, "cached_items", {"account_id": account_id})


async def item_held_elsewhere(conn: Conn, item_id: int, property_id: uuid.UUID | None) -> bool:
    """Whether another active integration linked to an account already uses the listing."""
    row = await _row(conn, "item_held_elsewhere", {"item_id": item_id, "property_id": property_id})
    return bool(row and row["held"])


# --- integrations ------------------------------------------------------------------------------


async def upsert_integration(
    conn: Conn,
    property_id: uuid.UUID,
    account: OwnedAccount,
    item_id: int,
    markup: Decimal,
) -> uuid.UUID:
    row = await _row(
        conn,
        "upsert_integration",
        {
            "property_id": property_id,
            "item_id": item_id,
            "markup": markup,
            "account_id": account.id,
        },
    )
    assert row is not None
    integration_id: uuid.UUID = row["id"]
    return integration_id


async def set_markup(conn: Conn, integration_id: uuid.UUID, markup: Decimal) -> None:
    await conn.execute(QUERIES["set_markup"], {"markup": markup, "integration_id": integration_id})


async def deactivate(conn: Conn, integration_id: uuid.UUID) -> None:
    await conn.execute(QUERIES["deactivate"], {"integration_id": integration_id})
    await conn.execute(QUERIES["unqueue"], {"integration_id": integration_id})


async def record_action_run(
    conn: Conn,
    integration: OwnedIntegration | IntegrationRef,
    action: str,
    details: dict[str, Any],
) -> None:
    """A host action that is not a sync (disconnect, closing the calendar) in the run log."""
    await conn.execute(
        QUERIES["record_action_run"],
        {
            "integration_id": integration.id,
            "property_id": integration.property_id,
            "counts": Jsonb({"action": action, **details}),
        },
    )


async def integration_status(conn: Conn, owner: uuid.UUID, property_id: uuid.UUID) -> Row | None:
    return await _row(conn, "integration_status", {"owner": owner, "property_id": property_id})


async def attached_avito_user(conn: Conn, owner: uuid.UUID, property_id: uuid.UUID) -> int | None:
    """The Avito user id of the account linked to the property's integration, if any (active
    or paused for a reconnect); None once the host deleted the row or detached the account."""
    row = await _row(conn, "attached_avito_user", {"owner": owner, "property_id": property_id})
    return int(row["avito_user_id"]) if row else None


async def record_legacy_state(
    conn: Conn,
    owner: uuid.UUID,
    property_id: uuid.UUID,
    nonce_hash: str,
    expires_at: dt.datetime,
) -> None:
    """An app-built state seen for the first time; a replay finds the row already used."""
    await conn.execute(
        QUERIES["record_legacy_state"],
        {
            "owner": owner,
            "property_id": property_id,
            "state_hash": nonce_hash,
            "expires_at": expires_at,
        },
    )


async def detach_account(
    conn: Conn, owner: uuid.UUID, account_id: uuid.UUID
) -> list[IntegrationRef]:
    """Disconnect every integration on the account, then delete the account: its Vault
    secrets go with its token row (trigger), its listings cascade. Returns the integrations
    it disconnected. Run inside a transaction."""
    where = {"account_id": account_id, "owner": owner}
    integrations = await _all(conn, IntegrationRef, "account_integrations_for_detach", where)
    for ref in integrations:
        await deactivate(conn, ref.id)
        await record_action_run(conn, ref, "account_detach", {"account_id": str(account_id)})
    await conn.execute(QUERIES["delete_account"], where)
    return integrations

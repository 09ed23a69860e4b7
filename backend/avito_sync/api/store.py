"""The service's reads and writes, each one short parameterised statement.

Every lookup that names a property, account or integration also takes the caller's id,
so ownership is part of the query: a row of another user is simply not found.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from avito_sync.api.oauth_state import nonce_hash

Conn = AsyncConnection[Any]
Row = dict[str, Any]


async def _one(conn: Conn, query: str, params: tuple[Any, ...]) -> Row | None:
    cur = await conn.execute(query, params)
    row: Row | None = await cur.fetchone()
    return row


async def _all(conn: Conn, query: str, params: tuple[Any, ...]) -> list[Row]:
    cur = await conn.execute(query, params)
    return list(await cur.fetchall())


# --- ownership --------------------------------------------------------------------------------


async def owned_property(conn: Conn, owner: uuid.UUID, property_id: uuid.UUID) -> Row | None:
    return await _one(
        conn,
        "select id, name from public.properties"
        " where id = %s and owner_id = %s and deleted_at is null",
        (property_id, owner),
    )


async def owned_account(conn: Conn, owner: uuid.UUID, account_id: uuid.UUID) -> Row | None:
    return await _one(
        conn,
        "select id, avito_user_id, name, status, scope, token_expires_at"
        " from public.avito_accounts where id = %s and owner_id = %s",
        (account_id, owner),
    )


async def owned_integration(
    conn: Conn,
    owner: uuid.UUID,
    *,
    integration_id: uuid.UUID | None,
    property_id: uuid.UUID | None,
    active_only: bool = True,
) -> Row | None:
    """The caller's Avito integration, by id or by property (the active one first). A row the
    reconnect pause switched off counts as active: its sync answers "reconnect"."""
    return await _one(
        conn,
        "select i.id, i.property_id, i.avito_account_id, i.avito_user_id, i.avito_item_id,"
        " i.avito_markup, i.is_active"
        " from public.integrations i join public.properties p on p.id = i.property_id"
        " where p.owner_id = %s and i.platform = 'avito'"
        " and (%s::uuid is null or i.id = %s::uuid)"
        " and (%s::uuid is null or i.property_id = %s::uuid)"
        " and (not %s or i.is_active or i.status = 'needs_reconnect')"
        " order by i.is_active desc, i.updated_at desc nulls last limit 1",
        (owner, integration_id, integration_id, property_id, property_id, active_only),
    )


# --- OAuth state and connect progress ----------------------------------------------------------


async def record_state(
    conn: Conn,
    owner: uuid.UUID,
    property_id: uuid.UUID,
    nonce_hash: str,
    expires_at: dt.datetime,
) -> None:
    """Record a new state; the owner's expired ones go (their signature expired with them)."""
    await conn.execute(
        "delete from public.avito_oauth_states where owner_id = %s and expires_at < now()",
        (owner,),
    )
    await conn.execute(
        "insert into public.avito_oauth_states (owner_id, property_id, state_hash, expires_at)"
        " values (%s, %s, %s, least(%s, now() + interval '1 hour'))",  # service clock may run ahead
        (owner, property_id, nonce_hash, expires_at),
    )


async def consume_state(conn: Conn, owner: uuid.UUID, nonce_hash: str) -> Row | None:
    """Mark the state used, atomically; None when it is unknown, used, expired or not ours."""
    return await _one(
        conn,
        "update public.avito_oauth_states set used_at = now()"
        " where state_hash = %s and owner_id = %s and used_at is null and expires_at > now()"
        " returning property_id",
        (nonce_hash, owner),
    )


async def state_used(conn: Conn, nonce_hash: str) -> bool:
    row = await _one(
        conn,
        "select used_at is not null as used from public.avito_oauth_states where state_hash = %s",
        (nonce_hash,),
    )
    return bool(row and row["used"])


async def save_progress(
    conn: Conn, owner: uuid.UUID, property_id: uuid.UUID, progress: dict[str, Any]
) -> dt.datetime:
    """Replace the property's saved connect progress; it lives one hour from now.

    Progress rows are state rows that can never be redeemed: born used, with the hash of a
    random nonce nobody holds.
    """
    async with conn.transaction():
        await conn.execute(
            "delete from public.avito_oauth_states"
            " where owner_id = %s and property_id = %s and progress <> '{}'::jsonb",
            (owner, property_id),
        )
        row = await _one(
            conn,
            "insert into public.avito_oauth_states"
            " (owner_id, property_id, state_hash, used_at, progress)"
            " values (%s, %s, %s, now(), %s) returning expires_at",
            (owner, property_id, nonce_hash(secrets.token_urlsafe(24)), Jsonb(progress)),
        )
    assert row is not None
    expires_at: dt.datetime = row["expires_at"]
    return expires_at


async def load_progress(conn: Conn, owner: uuid.UUID, property_id: uuid.UUID) -> Row | None:
    return await _one(
        conn,
        "select progress, expires_at from public.avito_oauth_states"
        " where owner_id = %s and property_id = %s and progress <> '{}'::jsonb"
        " and expires_at > now() order by created_at desc limit 1",
        (owner, property_id),
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
    row = await _one(
        conn,
        "insert into public.avito_accounts"
        " (owner_id, avito_user_id, name, scope, token_expires_at, status)"
        " values (%s, %s, coalesce(%s, 'Avito ' || %s::text), %s, %s, 'active')"
        " on conflict (owner_id, avito_user_id) do update"
        " set name = excluded.name,"
        " scope = excluded.scope, token_expires_at = excluded.token_expires_at,"
        " status = 'active'"
        " returning id",
        (owner, avito_user_id, name, avito_user_id, scope, expires_at),
    )
    assert row is not None
    account_id: uuid.UUID = row["id"]
    return account_id


async def list_accounts(conn: Conn, owner: uuid.UUID) -> list[Row]:
    return await _all(
        conn,
        "select id, avito_user_id, name, status, token_expires_at, created_at"
        " from public.avito_accounts where owner_id = %s order by created_at",
        (owner,),
    )


async def cache_items(conn: Conn, account_id: uuid.UUID, items: list[Row]) -> None:
    for item in items:
        await conn.execute(
            "insert into public.avito_items"
            " (avito_account_id, avito_item_id, title, status, url, data, synced_at)"
            " values (%s, %s, %s, %s, %s, %s, now())"
            " on conflict (avito_account_id, avito_item_id) do update"
            " set title = excluded.title, status = excluded.status, url = excluded.url,"
            " data = excluded.data, synced_at = excluded.synced_at",
            (
                account_id,
                item["id"],
                item.get("title"),
                item.get("status"),
                item.get("url"),
                Jsonb(item),
            ),
        )


async def remember_item(
    conn: Conn, account_id: uuid.UUID, item_id: int, status: str | None, url: str | None
) -> None:
    """A listing checked on Avito, kept without erasing what a full listing fetch knew."""
    await conn.execute(
        "insert into public.avito_items (avito_account_id, avito_item_id, status, url, synced_at)"
        " values (%s, %s, %s, %s, now())"
        " on conflict (avito_account_id, avito_item_id) do update"
        " set status = coalesce(excluded.status, public.avito_items.status),"
        " url = coalesce(excluded.url, public.avito_items.url), synced_at = excluded.synced_at",
        (account_id, item_id, status, url),
    )


async def cached_items(conn: Conn, account_id: uuid.UUID) -> list[Row]:
    return await _all(
        conn,
        "select avito_item_id as id, title, status, url, data, synced_at"
        " from public.avito_items where avito_account_id = %s order by avito_item_id",
        (account_id,),
    )


async def item_held_elsewhere(conn: Conn, item_id: int, property_id: uuid.UUID | None) -> bool:
    """Whether another active integration linked to an account already uses the listing.

    Rows the app typed in without an account prove nothing (anyone can type a public listing
    id), exactly as the database's `integrations_one_active_per_item` index ignores them.
    """
    row = await _one(
        conn,
        "select exists(select 1 from public.integrations"
        " where platform = 'avito' and is_active and avito_account_id is not null"
        " and avito_item_id = %s"
        " and (%s::uuid is null or property_id <> %s::uuid)) as held",
        (item_id, property_id, property_id),
    )
    return bool(row and row["held"])


# --- integrations ------------------------------------------------------------------------------


async def upsert_integration(
    conn: Conn,
    property_id: uuid.UUID,
    account: Row,
    item_id: int,
    markup: Decimal,
) -> uuid.UUID:
    row = await _one(
        conn,
        # The app reads token_expires_at and scope from this row (docs/app-contract.md §6).
        "insert into public.integrations (property_id, platform, avito_account_id,"
        " avito_user_id, avito_item_id, avito_markup, is_active, status, token_expires_at,"
        " scope)"
        " select %s, 'avito', a.id, a.avito_user_id, %s, %s, true, 'active',"
        " a.token_expires_at, a.scope from public.avito_accounts a where a.id = %s"
        " on conflict (property_id, platform) do update"
        " set avito_account_id = excluded.avito_account_id,"
        " avito_user_id = excluded.avito_user_id, avito_item_id = excluded.avito_item_id,"
        " avito_markup = excluded.avito_markup, is_active = true, status = 'active',"
        " last_error = null, token_expires_at = excluded.token_expires_at,"
        " scope = excluded.scope, link_check_after = null"
        " returning id",
        (property_id, item_id, markup, account["id"]),
    )
    assert row is not None
    integration_id: uuid.UUID = row["id"]
    return integration_id


async def set_markup(conn: Conn, integration_id: uuid.UUID, markup: Decimal) -> None:
    await conn.execute(
        "update public.integrations set avito_markup = %s where id = %s",
        (markup, integration_id),
    )


async def deactivate(conn: Conn, integration_id: uuid.UUID) -> None:
    await conn.execute(
        "update public.integrations set is_active = false, status = 'disconnected' where id = %s",
        (integration_id,),
    )
    await conn.execute("select avito_private.remove_integration_from_queue(%s)", (integration_id,))


async def record_action_run(
    conn: Conn, integration: Row, action: str, details: dict[str, Any]
) -> None:
    """A host action that is not a sync (disconnect, closing the calendar) in the run log."""
    await conn.execute(
        "insert into public.avito_sync_runs"
        " (integration_id, property_id, trigger, outcome, counts, finished_at, duration_ms)"
        " values (%s, %s, 'manual', 'skipped', %s, now(), 0)",
        (integration["id"], integration["property_id"], Jsonb({"action": action, **details})),
    )


async def integration_status(conn: Conn, owner: uuid.UUID, property_id: uuid.UUID) -> Row | None:
    return await _one(
        conn,
        "select i.id as integration_id, i.is_active, i.status, i.avito_item_id,"
        " i.avito_markup, i.last_sync_at, i.last_error,"
        " a.id as account_id, a.name as account_name, a.avito_user_id,"
        " a.status as account_status, a.token_expires_at,"
        " q.status as queue_status, q.next_sync_at, q.last_error as queue_error,"
        # The view's word too: one vocabulary (20261206130000_connection_state.sql).
        " public.avito_connection_state(i.is_active, i.status, i.avito_account_id, a.status,"
        " q.status, i.last_error, q.last_error, i.last_sync_at) as connection_state"
        " from public.integrations i"
        " join public.properties p on p.id = i.property_id"
        " left join public.avito_accounts a on a.id = i.avito_account_id"
        " left join public.avito_sync_queue q on q.integration_id = i.id"
        " where p.owner_id = %s and i.property_id = %s and i.platform = 'avito'"
        " order by i.is_active desc limit 1",
        (owner, property_id),
    )


async def attached_avito_user(conn: Conn, owner: uuid.UUID, property_id: uuid.UUID) -> int | None:
    """The Avito user id of the account linked to the property's integration, if any (active
    or paused for a reconnect); None once the host deleted the row or detached the account."""
    row = await _one(
        conn,
        "select a.avito_user_id from public.integrations i"
        " join public.properties p on p.id = i.property_id"
        " join public.avito_accounts a on a.id = i.avito_account_id"
        " where p.owner_id = %s and i.property_id = %s and i.platform = 'avito'",
        (owner, property_id),
    )
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
        "insert into public.avito_oauth_states (owner_id, property_id, state_hash, expires_at)"
        " values (%s, %s, %s, least(%s, now() + interval '1 hour'))"
        " on conflict (state_hash) do nothing",
        (owner, property_id, nonce_hash, expires_at),
    )


async def applied_migrations(conn: Conn) -> set[str]:
    """Versions in the Supabase CLI's history table; none when nothing was ever applied."""
    exists = await _one(
        conn, "select to_regclass('supabase_migrations.schema_migrations') is not null as ok", ()
    )
    if not (exists and exists["ok"]):
        return set()
    rows = await _all(conn, "select version from supabase_migrations.schema_migrations", ())
    return {str(row["version"]) for row in rows}


async def vault_readable(conn: Conn) -> bool:
    row = await _one(
        conn,
        "select count(*) >= 0 as ok from (select 1 from vault.decrypted_secrets limit 1) s",
        (),
    )
    return bool(row and row["ok"])


async def queue_lag(conn: Conn) -> Row:
    row = await _one(
        conn,
        "select coalesce(extract(epoch from now() - min(next_sync_at)), 0)::float8 as lag,"
        " count(*) as due from public.avito_sync_queue"
        " where status = 'pending' and next_sync_at <= now()",
        (),
    )
    return row or {"lag": 0.0, "due": 0}


async def recent_run_outcomes(conn: Conn) -> list[Row]:
    return await _all(
        conn,
        "select outcome, count(*) as runs from public.avito_sync_runs"
        " where finished_at > now() - interval '1 hour' and outcome is not null"
        " group by outcome",
        (),
    )


async def detach_account(conn: Conn, owner: uuid.UUID, account_id: uuid.UUID) -> list[Row]:
    """Disconnect every integration on the account, then delete the account: its Vault
    secrets go with its token row (trigger), its listings cascade. Returns the integrations
    it disconnected. Run inside a transaction."""
    integrations = await _all(
        conn,
        "select i.id, i.property_id from public.integrations i"
        " join public.avito_accounts a on a.id = i.avito_account_id"
        " where a.id = %s and a.owner_id = %s and i.is_active for update of i",
        (account_id, owner),
    )
    for row in integrations:
        await deactivate(conn, row["id"])
        await record_action_run(conn, row, "account_detach", {"account_id": str(account_id)})
    await conn.execute(
        "delete from public.avito_accounts where id = %s and owner_id = %s", (account_id, owner)
    )
    return integrations

"""One connection-state vocabulary: for every state a property's integration can be in, the
service's `status` action and the status view (read by the host, through RLS) say the same
word, and it is the documented one (20261206130000_connection_state.sql)."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from avito_sync.api.actions.integrations import CONNECTION_STATES
from tests.api.conftest import Service
from tests.api.connected import Connected, connect_and_save
from tests.fixtures.db import Conn, as_authenticated

# (what happened, integration columns, account columns, queue columns) → the state.
Changes = dict[str, Any]
CASES: list[tuple[str, Changes, Changes, Changes, str]] = [
    ("synced, nothing since", {}, {}, {}, "synced"),
    ("never synced yet", {"last_sync_at": None}, {}, {}, "pending"),
    ("listing not checked on Avito yet", {"avito_account_id": None}, {}, {}, "pending"),
    ("the last sync failed", {"status": "error", "last_error": "Avito: 422"}, {}, {}, "error"),
    ("the queue's last attempt failed", {}, {}, {"last_error": "internal error"}, "error"),
    ("the account needs a reconnect", {}, {"status": "needs_reconnect"}, {}, "needs_reconnect"),
    ("the account is revoked", {}, {"status": "revoked"}, {}, "needs_reconnect"),
    ("the queue row is paused", {}, {}, {"status": "paused"}, "needs_reconnect"),
    ("the sync asked for a reconnect", {"status": "needs_reconnect"}, {}, {}, "needs_reconnect"),
    (
        "switched off by the reconnect pause",
        {"is_active": False, "status": "needs_reconnect", "last_error": "refused"},
        {"status": "needs_reconnect"},
        {"status": "paused"},
        "needs_reconnect",
    ),
    (
        "switched off by the host",
        {"is_active": False, "status": "disconnected"},
        {},
        {},
        "disconnected",
    ),
    ("switched off by the app", {"is_active": False}, {}, {}, "disconnected"),
    ("disconnected, not yet switched off", {"status": "disconnected"}, {}, {}, "disconnected"),
    (
        "switched off after a failure",
        {"is_active": False, "status": "error", "last_error": "x"},
        {},
        {},
        "disconnected",
    ),
]

TABLES = {"integrations": "id", "avito_accounts": "id", "avito_sync_queue": "integration_id"}
COLUMNS = {
    "integrations": ["is_active", "status", "avito_account_id", "last_error", "last_sync_at"],
    "avito_accounts": ["status"],
    "avito_sync_queue": ["status", "last_error"],
}


def _keys(c: Connected) -> dict[str, str]:
    return {
        "integrations": c.integration_id,
        "avito_accounts": c.account_id,
        "avito_sync_queue": c.integration_id,
    }


def _set(db: Conn, table: str, key: str, value: Any, changes: Changes) -> None:
    if changes:
        db.execute(
            sql.SQL("update public.{} set {} where {} = %s").format(
                sql.Identifier(table),
                sql.SQL(", ").join(
                    sql.SQL("{} = %s").format(sql.Identifier(column)) for column in changes
                ),
                sql.Identifier(key),
            ),
            (*changes.values(), value),
        )


def _arrange(db: Conn, c: Connected, rows: dict[str, dict[str, Any]], *changes: Changes) -> None:
    """Put the rows back as the connect left them, then apply the case's columns. Triggers are
    off meanwhile: the app-write trigger would relink or reactivate what a case sets."""
    keys = _keys(c)
    db.execute("set session_replication_role = replica")
    try:
        for (table, key), change in zip(TABLES.items(), changes, strict=True):
            _set(db, table, key, keys[table], rows[table])
            _set(db, table, key, keys[table], change)
    finally:
        db.execute("reset session_replication_role")


def _view_state(db: Conn, c: Connected) -> str | None:
    with as_authenticated(db, c.host) as conn:
        row = conn.execute(
            "select connection_status from public.avito_integration_status where property_id = %s",
            (c.prop,),
        ).fetchone()
    return row["connection_status"] if row else None


async def test_the_status_action_and_the_view_agree_on_every_state(service: Service) -> None:
    c = await connect_and_save(service)
    keys = _keys(c)
    rows: dict[str, dict[str, Any]] = {}
    for table, key in TABLES.items():
        row = service.db.execute(
            sql.SQL("select {} from public.{} where {} = %s").format(
                sql.SQL(", ").join(map(sql.Identifier, COLUMNS[table])),
                sql.Identifier(table),
                sql.Identifier(key),
            ),
            (keys[table],),
        ).fetchone()
        assert row is not None, table
        rows[table] = dict(row)

    seen = set()
    for what, integration, account, queue, expected in CASES:
        _arrange(service.db, c, rows, integration, account, queue)
        status = (await service.act(c.host, "status", property_id=str(c.prop))).json()
        assert (status["state"], _view_state(service.db, c)) == (expected, expected), what
        assert status["connected"] is (expected != "disconnected"), what
        seen.add(expected)

    # A property without any Avito integration: the service's word, no row in the view.
    bare = service.property(c.host)
    status = (await service.act(c.host, "status", property_id=str(bare))).json()
    assert status == {"success": True, "state": "not_connected", "connected": False}
    assert _view_state(service.db, Connected(c.host, bare, c.account_id, "")) is None
    assert seen | {"not_connected"} == set(CONNECTION_STATES)

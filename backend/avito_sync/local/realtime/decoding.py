"""Logical decoding for the stand-in: a temporary wal2json slot, polled, turned into changes.

psycopg 3 has no replication protocol, so the slot is read with `pg_logical_slot_get_changes`
every `poll_seconds`. The slot is temporary (it disappears with the connection), so changes
made while the stand-in is down are not replayed: exactly the loss real Realtime has, which is
what the notifier's catch-up must cope with.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import psycopg

from avito_sync.core.logs import get_logger

log = get_logger(__name__)

PUBLICATION = "supabase_realtime"
ACTIONS = {"I": "INSERT", "U": "UPDATE", "D": "DELETE"}
# format_type() names from wal2json -> the short names Realtime reports in `columns`.
TYPE_NAMES = {
    "bigint": "int8",
    "integer": "int4",
    "smallint": "int2",
    "boolean": "bool",
    "double precision": "float8",
    "real": "float4",
    "character varying": "varchar",
    "character": "bpchar",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "time without time zone": "time",
    "time with time zone": "timetz",
}


def realtime_type(name: str) -> str:
    base = name.split("(", 1)[0].strip()
    if base.endswith("[]"):
        return "_" + realtime_type(base[:-2])
    return TYPE_NAMES.get(base, base)


def _value(type_name: str, value: Any) -> Any:
    if type_name in ("json", "jsonb") and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _record(columns: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {c["name"]: _value(c["type"], c.get("value")) for c in columns}


def commit_timestamp(text: str) -> str:
    """wal2json's '2026-11-27 14:49:14.650976+00' as Realtime's ISO form with Z."""
    moment = datetime.fromisoformat(text.replace(" ", "T")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def change_data(line: Mapping[str, Any]) -> dict[str, Any] | None:
    """One wal2json format-version 2 line as a postgres_changes `data` object (None: skip)."""
    kind = ACTIONS.get(str(line.get("action")))
    if kind is None:
        return None
    columns = line.get("columns") or []
    identity = line.get("identity") or []
    data: dict[str, Any] = {
        "schema": line["schema"],
        "table": line["table"],
        "commit_timestamp": commit_timestamp(str(line.get("timestamp", ""))),
        "type": kind,
        "columns": [
            {"name": c["name"], "type": realtime_type(c["type"])} for c in (columns or identity)
        ],
        "errors": None,
    }
    if kind != "DELETE":
        data["record"] = _record(columns)
    if kind != "INSERT":
        data["old_record"] = _record(identity)
    return data


Publish = Callable[[dict[str, Any]], Awaitable[None]]


class LogicalFeed:
    """Reads committed changes of the publication's tables and hands each to `publish`."""

    def __init__(self, database_url: str, *, poll_seconds: float = 0.1) -> None:
        self._url = database_url
        self._poll_seconds = poll_seconds
        self.ready = asyncio.Event()

    async def run(self, publish: Publish) -> None:
        pause = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True
                ) as conn:
                    slot = f"realtime_local_{secrets.token_hex(6)}"
                    await conn.execute(
                        "select pg_create_logical_replication_slot(%s, 'wal2json', true)", (slot,)
                    )
                    log.info("realtime_local_slot_created", slot=slot)
                    self.ready.set()
                    pause = 0.5
                    while True:
                        for data in await _read(conn, slot):
                            await publish(data)
                        await asyncio.sleep(self._poll_seconds)
            except psycopg.Error as exc:
                self.ready.clear()
                log.warning("realtime_local_feed_lost", error=type(exc).__name__)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 10.0)


async def _read(conn: psycopg.AsyncConnection[Any], slot: str) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "select data from pg_logical_slot_get_changes(%s, null, null,"
        " 'format-version', '2', 'include-timestamp', '1')",
        (slot,),
    )
    lines = [json.loads(row[0]) for row in await cur.fetchall()]
    if not any(line.get("action") in ACTIONS for line in lines):
        return []
    published = await _publication_tables(conn)
    out = []
    for line in lines:
        data = change_data(line)
        if data is not None and (published is None or (data["schema"], data["table"]) in published):
            out.append(data)
    return out


async def _publication_tables(conn: psycopg.AsyncConnection[Any]) -> set[tuple[str, str]] | None:
    """Tables of supabase_realtime; None when it covers all tables."""
    cur = await conn.execute(
        "select puballtables from pg_publication where pubname = %s", (PUBLICATION,)
    )
    row = await cur.fetchone()
    if row is None:
        return set()
    if row[0]:
        return None
    cur = await conn.execute(
        "select schemaname, tablename from pg_publication_tables where pubname = %s", (PUBLICATION,)
    )
    return {(r[0], r[1]) for r in await cur.fetchall()}

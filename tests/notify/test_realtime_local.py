"""The local Realtime stand-in: Phoenix frames and bindings (pure), wal2json decoding (pure),
and the real realtime-py client against it: eq filters, refused joins, wrong paths."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from realtime import (
    AsyncRealtimeClient,
    RealtimePostgresChangesListenEvent,
    RealtimeSubscribeStates,
)

from avito_sync.local.realtime.decoding import change_data, commit_timestamp, realtime_type
from avito_sync.local.realtime.protocol import ProtocolError, join_reply, parse_bindings
from avito_sync.local.realtime.server import OUTBOX_LIMIT, _Client
from tests.notify.conftest import Conn, make_host
from tests.notify.standin import standin
from tests.support.waiting import wait_for

BINDINGS: list[dict[str, Any]] = [
    {
        "event": "INSERT",
        "schema": "public",
        "table": "bookings",
        "filter": "source=eq.avito",
    },
    {"event": "*", "schema": "public", "table": "notification_events"},
]
JOIN: dict[str, Any] = {
    "config": {
        "broadcast": {"ack": False, "self": False},
        "presence": {"key": "", "enabled": False},
        "private": False,
        "postgres_changes": BINDINGS,
    },
    "access_token": "whatever",
}


def test_join_reply_lists_the_bindings_in_order_with_nonzero_ids() -> None:
    bindings = parse_bindings(JOIN)
    reply = join_reply("realtime:x", "1", bindings)

    assert reply["event"] == "phx_reply"
    assert reply["ref"] == "1"
    entries = reply["payload"]["response"]["postgres_changes"]
    assert [{k: v for k, v in e.items() if k != "id"} for e in entries] == BINDINGS
    assert all(e["id"] > 0 for e in entries)
    assert entries[0]["id"] != entries[1]["id"]
    assert parse_bindings(JOIN)[0].id == bindings[0].id  # stable across joins


@given(st.text(min_size=1, max_size=30))
def test_binding_ids_are_never_zero(table: str) -> None:
    [binding] = parse_bindings(
        {"config": {"postgres_changes": [{"event": "INSERT", "table": table}]}}
    )
    assert binding.id > 0


@pytest.mark.parametrize(
    "filter_", ["price=gt.10", "source=in.(avito,manual)", "a=eq.1,b=eq.2", "no-operator"]
)
def test_filters_other_than_eq_are_refused(filter_: str) -> None:
    with pytest.raises(ProtocolError, match=r"only 'column=eq\.value'"):
        parse_bindings({"config": {"postgres_changes": [{"event": "INSERT", "filter": filter_}]}})


def test_eq_filters_compare_the_text_form_and_skip_deletes() -> None:
    [binding] = parse_bindings(
        {"config": {"postgres_changes": [{"event": "*", "table": "t", "filter": "n=eq.5"}]}}
    )
    base = {"schema": "public", "table": "t"}
    assert binding.matches({**base, "type": "INSERT", "record": {"n": 5}})
    assert not binding.matches({**base, "type": "INSERT", "record": {"n": 6}})
    assert not binding.matches({**base, "type": "DELETE", "old_record": {"n": 5}})
    assert not binding.matches({**base, "table": "u", "type": "INSERT", "record": {"n": 5}})


def test_wal2json_lines_become_realtime_change_data() -> None:
    line = {
        "action": "U",
        "timestamp": "2026-11-27 14:49:14.650976+00",
        "schema": "public",
        "table": "bookings",
        "columns": [
            {"name": "id", "type": "bigint", "value": 1},
            {"name": "meta", "type": "jsonb", "value": '{"a": 1}'},
            {"name": "at", "type": "timestamp with time zone", "value": "2026-11-27 14:49:14+00"},
            {"name": "tags", "type": "text[]", "value": "{x}"},
        ],
        "identity": [{"name": "id", "type": "bigint", "value": 1}],
    }
    data = change_data(line)

    assert data is not None
    assert data["type"] == "UPDATE"
    assert data["errors"] is None
    assert data["commit_timestamp"] == "2026-11-27T14:49:14.650Z"
    assert data["columns"] == [
        {"name": "id", "type": "int8"},
        {"name": "meta", "type": "jsonb"},
        {"name": "at", "type": "timestamptz"},
        {"name": "tags", "type": "_text"},
    ]
    assert data["record"]["meta"] == {"a": 1}
    assert data["old_record"] == {"id": 1}
    assert change_data({"action": "B"}) is None
    assert realtime_type("character varying(20)") == "varchar"
    assert commit_timestamp("2026-11-27 17:00:00+03") == "2026-11-27T14:00:00.000Z"


def insert_booking(db: Conn, property_id: Any, source: str) -> str:
    row = db.execute(
        "insert into public.bookings (property_id, check_in, check_out, source, guest_name)"
        " values (%s, '2026-12-01', '2026-12-02', %s, 'Гость') returning id",
        (property_id, source),
    ).fetchone()
    assert row is not None
    return str(row["id"])


async def test_the_frontend_binding_gets_only_avito_booking_inserts(
    db: Conn, database_url: str
) -> None:
    """The app's dashboard channel (docs/app-contract.md §5) through the real client."""
    host = make_host(db)
    received: list[dict[str, Any]] = []
    states: list[RealtimeSubscribeStates] = []
    async with standin(database_url) as (_proc, port):
        client = AsyncRealtimeClient(f"http://127.0.0.1:{port}/realtime/v1", token="anon-key")
        channel = client.channel("avito_bookings")
        channel.on_postgres_changes(
            RealtimePostgresChangesListenEvent.Insert,
            schema="public",
            table="bookings",
            filter="source=eq.avito",
            callback=lambda payload: received.append(dict(payload["data"])),
        )
        await channel.subscribe(lambda state, _err: states.append(state))
        try:
            insert_booking(db, host.property_id, "manual")
            avito = insert_booking(db, host.property_id, "avito")
            await wait_for(lambda: len(received) >= 1, what="avito insert")
            await asyncio.sleep(0.3)  # room for a wrong extra frame; not an assertion on time
        finally:
            await client.close()

    assert states == [RealtimeSubscribeStates.SUBSCRIBED]
    assert [(d["type"], d["table"], d["record"]["id"]) for d in received] == [
        ("INSERT", "bookings", avito)
    ]
    assert {"name": "check_in", "type": "date"} in received[0]["columns"]


async def test_an_unsupported_filter_is_a_channel_error_and_other_paths_are_404(
    database_url: str,
) -> None:
    states: list[tuple[RealtimeSubscribeStates, str]] = []
    async with standin(database_url) as (_proc, port):
        client = AsyncRealtimeClient(f"ws://127.0.0.1:{port}/realtime/v1")
        channel = client.channel("prices")
        channel.on_postgres_changes(
            RealtimePostgresChangesListenEvent.Insert,
            table="property_rates",
            filter="daily_price=gt.100",
            callback=lambda _payload: None,
        )
        await channel.subscribe(lambda state, err: states.append((state, str(err))))
        await client.close()
        async with httpx.AsyncClient(trust_env=False) as http:
            response = await http.get(f"http://127.0.0.1:{port}/somewhere")

    [(state, error)] = states
    assert state == RealtimeSubscribeStates.CHANNEL_ERROR
    assert "only 'column=eq.value'" in error
    assert response.status_code == 404


async def test_a_client_too_slow_for_the_feed_is_closed_once() -> None:
    closes: list[tuple[int, str]] = []

    class Socket:
        async def close(self, code: int, reason: str) -> None:
            closes.append((code, reason))

    client = _Client(Socket())  # type: ignore[arg-type]
    for n in range(OUTBOX_LIMIT + 5):
        client.send({"n": n})
    assert client.closing is not None
    await client.closing

    assert closes == [(1011, "too slow")]

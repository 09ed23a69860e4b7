"""The outbox in Postgres: fan-out on insert, idempotence, claims, fencing, two notifiers."""

from __future__ import annotations

import asyncio
from typing import Any

from psycopg_pool import AsyncConnectionPool

from avito_sync.core.database import open_pool
from avito_sync.notify.outbox import Outbox
from tests.notify.conftest import (
    Conn,
    MakeNotifier,
    add_channel,
    deliveries,
    emit,
    make_host,
)
from tests.notify.receivers import Receiver


def test_an_event_fans_out_to_each_active_supported_channel_of_its_owner(db: Conn) -> None:
    host, other = make_host(db), make_host(db)
    tg = add_channel(db, host.owner_id, "telegram", {"chat_id": 1})
    hook = add_channel(db, host.owner_id, "webhook", {"url": "https://example.test/h"})
    add_channel(db, host.owner_id, "telegram", {"chat_id": 2}, active=False)
    add_channel(db, host.owner_id, "email", {"address_label": "main"})
    add_channel(db, other.owner_id, "telegram", {"chat_id": 3})

    event = emit(db, host)

    rows = deliveries(db)
    assert {(r["event_id"], r["channel_id"]) for r in rows} == {(event, tg), (event, hook)}
    assert {r["status"] for r in rows} == {"pending"}


def test_fan_out_is_idempotent(db: Conn) -> None:
    host = make_host(db)
    add_channel(db, host.owner_id, "telegram", {"chat_id": 1})
    add_channel(db, host.owner_id, "webhook", {"url": "https://example.test/h"})
    event = emit(db, host)

    again = [
        db.execute("select avito_private.notify_fan_out(%s) as n", (event,)).fetchone()
        for _ in range(3)
    ]

    assert [r["n"] for r in again if r] == [0, 0, 0]
    assert len(deliveries(db)) == 2


def test_fan_out_reaches_a_channel_added_before_a_rerun(db: Conn) -> None:
    host = make_host(db)
    add_channel(db, host.owner_id, "telegram", {"chat_id": 1})
    event = emit(db, host)
    add_channel(db, host.owner_id, "webhook", {"url": "https://example.test/h"})

    added = db.execute("select avito_private.notify_fan_out(%s) as n", (event,)).fetchone()

    assert added is not None
    assert added["n"] == 1
    assert len(deliveries(db)) == 2


async def test_claims_skip_rows_held_by_another_claim(
    db: Conn, pool: AsyncConnectionPool[Any]
) -> None:
    host = make_host(db)
    add_channel(db, host.owner_id, "telegram", {"chat_id": 1})
    for _ in range(5):
        emit(db, host)
    outbox = Outbox(pool)

    first, second = await asyncio.gather(outbox.claim(3, 30), outbox.claim(3, 30))
    third = await outbox.claim(10, 30)

    ids = [d.delivery_id for d in first + second]
    assert len(ids) == len(set(ids)) == 5
    assert third == []  # leased, not due until the lease runs out


async def test_an_expired_lease_is_claimed_again_and_fences_the_old_claim(
    db: Conn, pool: AsyncConnectionPool[Any]
) -> None:
    host = make_host(db)
    add_channel(db, host.owner_id, "telegram", {"chat_id": 1})
    emit(db, host)
    outbox = Outbox(pool)
    [old] = await outbox.claim(1, 30)
    db.execute("update public.notification_deliveries set next_attempt_at = now()")  # lease over

    [new] = await outbox.claim(1, 30)

    assert new.delivery_id == old.delivery_id
    assert new.attempt == old.attempt + 1
    assert await outbox.succeeded(old) is False
    assert await outbox.failed(old, "late", None) is None
    assert await outbox.succeeded(new) is True
    [row] = deliveries(db)
    assert row["status"] == "delivered"
    assert row["delivered_at"] is not None
    delivered_at = row["delivered_at"]
    assert await outbox.succeeded(new) is False
    assert deliveries(db)[0]["delivered_at"] == delivered_at


async def test_deliveries_to_a_switched_off_channel_are_dropped(
    db: Conn, pool: AsyncConnectionPool[Any]
) -> None:
    host = make_host(db)
    channel = add_channel(db, host.owner_id, "telegram", {"chat_id": 1})
    emit(db, host)
    db.execute(
        "update public.notification_channels set is_active = false where id = %s", (channel,)
    )

    assert await Outbox(pool).claim(10, 30) == []
    [row] = deliveries(db)
    assert (row["status"], row["last_error"]) == ("failed", "channel_inactive")


async def test_two_notifiers_send_each_delivery_exactly_once(
    db: Conn,
    database_url: str,
    make_notifier: MakeNotifier,
    telegram: Receiver,
    webhook: Receiver,
) -> None:
    hosts = [make_host(db) for _ in range(3)]
    for host in hosts:
        add_channel(db, host.owner_id, "telegram", {"chat_id": 100})
        add_channel(db, host.owner_id, "webhook", {"url": f"{webhook.url}/hook"})
    for i in range(30):
        emit(db, hosts[i % 3])
    second_pool = await open_pool(database_url, min_size=1, max_size=6)
    try:
        first = make_notifier(batch_size=4)
        second = make_notifier(pool_=second_pool, batch_size=4)
        counts = await asyncio.gather(first.drain(), second.drain())
    finally:
        await second_pool.close()

    rows = deliveries(db)
    assert len(rows) == 60
    assert sum(counts) == 60
    assert all(counts)
    assert {(r["status"], r["attempts"]) for r in rows} == {("delivered", 1)}
    hook_ids = [r.headers["X-Avito-Sync-Delivery"] for r in webhook.received()]
    assert sorted(map(int, hook_ids)) == sorted(
        r["id"] for r in rows if r["channel_kind"] == "webhook"
    )
    assert len(telegram.received()) == 30

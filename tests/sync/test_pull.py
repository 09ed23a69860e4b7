"""Pull against real Postgres and the sandbox over HTTP: the booking rows, flags and events
that Avito's answers produce."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito import AvitoClient, StaticToken
from avito_sync.avito.models import BookingStatus
from avito_sync.sync.plan import sync_window
from avito_sync.sync.pull import (
    PulledBooking,
    app_status,
    apply_pulled,
    normalize_phone,
    pull_bookings,
)
from avito_sync.sync.results import PullResult
from tests.fixtures.sandbox import Sandbox
from tests.sync import (
    Conn,
    Seeded,
    add_booking,
    avito,
    avito_booking,
    day,
    events,
    moscow_today,
    pool,
    seed_integration,
)

__all__ = ["avito", "pool"]  # fixtures

Avito = tuple[AvitoClient, StaticToken]


@pytest.fixture
def seeded(db: Conn, sandbox: Sandbox) -> Seeded:
    """A listing whose first import is behind it: new bookings notify one by one."""
    seeded = seed_integration(db, avito_user_id=sandbox.account_id, avito_item_id=sandbox.item_id)
    db.execute(
        "update public.integrations set imported_item_id = avito_item_id where id = %s",
        (seeded.integration_id,),
    )
    return seeded


async def test_the_first_import_of_a_listing_is_one_summary_event(
    db: Conn, sandbox: Sandbox, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    fresh = seed_integration(db, avito_user_id=sandbox.account_id, avito_item_id=sandbox.item_id)
    for start in (3, 10, 20):
        sandbox.control.create_booking(sandbox.item_id, day(start), day(start + 2))
    first = await pull(pool, avito, fresh)
    assert first.created == 3
    assert events(db, "booking_created") == []
    [summary] = events(db)
    assert summary["kind"] == "bookings_imported"
    assert summary["payload"]["count"] == 3
    assert summary["payload"]["item_id"] == sandbox.item_id

    made = sandbox.control.create_booking(sandbox.item_id, day(30), day(32))
    await pull(pool, avito, fresh)
    [created] = events(db, "booking_created")
    assert created["payload"]["avito_booking_id"] == made.id
    assert len(events(db, "bookings_imported")) == 1


async def pull(pool: AsyncConnectionPool[Any], avito: Avito, seeded: Seeded) -> PullResult:
    """The engine's own pull path: read [today, today + 365) from Avito, then merge it."""
    client, auth = avito
    pulled = await pull_bookings(
        pool,
        client,
        auth,
        integration_id=seeded.integration_id,
        avito_user_id=seeded.avito_user_id,
        avito_item_id=seeded.avito_item_id,
        window=sync_window(moscow_today()),
    )
    return pulled.result


def test_status_mapping_and_phone_normalisation() -> None:
    assert app_status(BookingStatus.PENDING) == "pending"
    assert app_status(BookingStatus.ACTIVE) == "confirmed"
    assert app_status(BookingStatus.CANCELED) == "cancelled"
    assert app_status(BookingStatus.OVERBOOK) is None
    assert app_status(None) is None
    assert normalize_phone("9161234567") == "+79161234567"
    assert normalize_phone("7161234567") == "+77161234567"  # 10 digits starting with 7
    assert normalize_phone("8 916 123-45-67") == "+79161234567"
    assert normalize_phone("+7 (916) 123-45-67") == "+79161234567"
    assert normalize_phone("12345") == "12345"
    assert normalize_phone("  ") is None
    assert normalize_phone(None) is None


async def test_new_booking_is_inserted_with_an_event_and_repull_is_idempotent(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    made = sandbox.control.create_booking(
        sandbox.item_id,
        day(5),
        day(8),
        guest_phone="9161234567",
        guest_count=2,
        base_price=15000,
    )
    result = await pull(pool, avito, seeded)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)

    row = avito_booking(db, made.id)
    assert row["property_id"] == seeded.property_id
    assert row["avito_booking_id"] == made.id
    assert (row["check_in"], row["check_out"]) == (day(5), day(8))
    assert (row["status"], row["avito_status"]) == ("confirmed", "active")
    assert row["guest_phone"] == "+79161234567"
    assert row["guests_count"] == 2
    assert row["total_price"] == 15000
    (created,) = events(db)
    assert created["kind"] == "booking_created"
    assert created["booking_id"] == row["id"]
    assert created["owner_id"] == seeded.owner_id
    assert created["payload"]["avito_booking_id"] == made.id

    again = await pull(pool, avito, seeded)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert len(events(db)) == 1
    assert db.execute("select count(*) as n from public.bookings").fetchone() == {"n": 1}


async def test_status_changes_are_applied_and_evented(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    made = sandbox.control.create_booking(sandbox.item_id, day(3), day(5), status="pending")
    await pull(pool, avito, seeded)
    assert avito_booking(db, made.id)["status"] == "pending"

    sandbox.control.confirm_booking(made.id)
    result = await pull(pool, avito, seeded)
    assert result.updated == 1
    assert avito_booking(db, made.id)["status"] == "confirmed"
    changed = events(db, "booking_status_changed")
    assert [e["payload"]["avito_status"] for e in changed] == ["active"]
    assert changed[0]["payload"]["previous_avito_status"] == "pending"

    sandbox.control.cancel_booking(made.id)
    await pull(pool, avito, seeded)
    row = avito_booking(db, made.id)
    assert (row["status"], row["avito_status"]) == ("cancelled", "canceled")
    assert len(events(db, "booking_cancelled")) == 1
    await pull(pool, avito, seeded)
    assert len(events(db)) == 3  # created, confirmed, cancelled: nothing new on a re-pull


async def test_host_edits_survive_later_pulls(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    made = sandbox.control.create_booking(
        sandbox.item_id, day(10), day(12), guest_count=2, base_price=8000
    )
    await pull(pool, avito, seeded)
    row = avito_booking(db, made.id)
    db.execute(
        "update public.bookings set guest_name = 'Иван (VIP)', guests_count = 4, status = 'paid'"
        " where id = %s",
        (row["id"],),
    )

    sandbox.control.update_booking(made.id, guest_count=3, base_price=9000, check_out=day(13))
    await pull(pool, avito, seeded)
    row = avito_booking(db, made.id)
    assert row["guest_name"] == "Иван (VIP)"  # edited by the host: kept
    assert row["guests_count"] == 4  # edited by the host: kept despite Avito's change
    assert row["status"] == "paid"  # edited by the host: kept while Avito says active
    assert row["total_price"] == 9000  # not edited: follows Avito
    assert row["check_out"] == day(13)  # not edited: follows Avito

    sandbox.control.cancel_booking(made.id)
    await pull(pool, avito, seeded)
    assert avito_booking(db, made.id)["status"] == "cancelled"  # the guest left: always applied


async def test_a_vanished_booking_is_marked_not_deleted(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    gone = sandbox.control.create_booking(sandbox.item_id, day(20), day(22))
    kept = sandbox.control.create_booking(sandbox.item_id, day(30), day(32))
    await pull(pool, avito, seeded)

    sandbox.control.delete_booking(gone.id)
    result = await pull(pool, avito, seeded)
    assert result.vanished == 1
    row = avito_booking(db, gone.id)
    assert row["avito_status"] == "vanished"
    assert row["avito_vanished_at"] is not None
    assert row["status"] == "confirmed"  # its dates stay closed until the host decides
    assert avito_booking(db, kept.id)["avito_vanished_at"] is None
    vanished_events = [
        e
        for e in events(db, "booking_status_changed")
        if e["payload"]["avito_status"] == "vanished"
    ]
    assert [e["booking_id"] for e in vanished_events] == [row["id"]]

    again = await pull(pool, avito, seeded)
    assert again.vanished == 0
    assert len(events(db)) == 3  # two created, one vanished


async def test_an_overlapping_avito_booking_is_flagged_once(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    local = add_booking(db, seeded.property_id, day(10), day(13))
    add_booking(db, seeded.property_id, day(12), day(14), status="cancelled")  # never busy
    clash = sandbox.control.create_booking(sandbox.item_id, day(12), day(15))
    fine = sandbox.control.create_booking(sandbox.item_id, day(13), day(14), status="pending")
    fine_row_before = None

    result = await pull(pool, avito, seeded)
    assert result.conflicts == 2  # the clash, and the pending request inside the clash's stay
    assert avito_booking(db, clash.id)["avito_conflict_with"] == [local]
    fine_row_before = avito_booking(db, fine.id)
    assert fine_row_before["avito_conflict_with"] == [avito_booking(db, clash.id)["id"]]
    assert len(events(db, "booking_conflict")) == 2

    await pull(pool, avito, seeded)
    assert len(events(db, "booking_conflict")) == 2  # evented once

    sandbox.control.cancel_booking(clash.id)
    result = await pull(pool, avito, seeded)
    assert result.conflicts == 0
    assert avito_booking(db, clash.id)["avito_conflict_with"] is None
    assert avito_booking(db, fine.id)["avito_conflict_with"] is None


async def test_an_unknown_status_is_kept_raw_and_flagged(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    sandbox.control.update_settings(overbook_visible=True)
    made = sandbox.control.create_booking(sandbox.item_id, day(40), day(42), status="pending")
    await pull(pool, avito, seeded)

    sandbox.control.update_booking(made.id, status="overbook")
    await pull(pool, avito, seeded)
    row = avito_booking(db, made.id)
    assert row["avito_status"] == "overbook"
    assert row["status"] == "pending"  # unchanged: we do not know what overbook means for it
    (flagged,) = events(db, "booking_status_changed")
    assert flagged["payload"]["unknown_status"] is True
    assert flagged["payload"]["avito_status"] == "overbook"


async def test_pull_touches_nothing_when_avito_fails(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    sandbox.control.create_booking(sandbox.item_id, day(5), day(6))
    sandbox.control.add_fault("getRealtyBookings", error_rates={500: 1.0})
    with pytest.raises(Exception, match="500"):
        await pull(pool, avito, seeded)
    assert db.execute("select count(*) as n from public.bookings").fetchone() == {"n": 0}
    assert events(db) == []


def pulled(avito_id: int, start: int, end: int, status: str | None = "confirmed") -> PulledBooking:
    return PulledBooking(
        avito_booking_id=avito_id,
        check_in=day(start),
        check_out=day(end),
        status=status,
        avito_status="active",
        guest_name="Guest",
        guest_email=None,
        guest_phone=None,
        guests_count=1,
        total_price=1000,
    )


async def test_the_merge_is_all_or_nothing(
    db: Conn, seeded: Seeded, pool: AsyncConnectionPool[Any]
) -> None:
    window = (moscow_today(), day(365))
    async with pool.connection() as conn:
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            # The second booking is refused by the SQL function after the first was merged.
            await apply_pulled(
                conn, seeded.integration_id, *window, [pulled(1, 1, 2), pulled(2, 3, 4, "weird")]
            )
    assert db.execute("select count(*) as n from public.bookings").fetchone() == {"n": 0}
    assert events(db) == []


async def test_a_booking_with_impossible_dates_is_rejected_not_blocking(
    db: Conn, seeded: Seeded, pool: AsyncConnectionPool[Any]
) -> None:
    async with pool.connection() as conn:
        result = await apply_pulled(
            conn,
            seeded.integration_id,
            moscow_today(),
            day(365),
            [pulled(1, 5, 5), pulled(2, 1, 3)],
        )
    assert (result.created, result.rejected) == (1, 1)
    avito_booking(db, 2)


async def test_concurrent_merges_of_one_answer_create_one_row(
    db: Conn, seeded: Seeded, pool: AsyncConnectionPool[Any]
) -> None:
    answer = [pulled(10, 1, 3), pulled(11, 4, 6)]

    async def merge() -> PullResult:
        async with pool.connection() as conn:
            return await apply_pulled(conn, seeded.integration_id, moscow_today(), day(365), answer)

    results = await asyncio.gather(*(merge() for _ in range(4)))
    assert sum(r.created for r in results) == 2
    assert db.execute("select count(*) as n from public.bookings").fetchone() == {"n": 2}
    assert len(events(db, "booking_created")) == 2

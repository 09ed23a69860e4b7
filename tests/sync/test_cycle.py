"""Full sync cycles: real worker and engine, real Postgres, the sandbox over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import psycopg

from avito_sync.avito import AvitoClient
from avito_sync.sync.runtime import SyncRuntime
from tests.fixtures.sandbox import Sandbox
from tests.support.waiting import wait_for
from tests.sync import add_booking, avito_booking, day, events
from tests.sync.engine_support import connect_host, queue_row, runs

Conn = psycopg.Connection[dict[str, Any]]


def operations(sandbox: Sandbox) -> list[str]:
    return [r.operation_id for r in sandbox.control.requests() if r.operation_id]


def make_due(db: Conn, integration_id: Any) -> None:
    db.execute(
        "update public.avito_sync_queue set next_sync_at = now() where integration_id = %s",
        (integration_id,),
    )


def closed_days(sandbox: Sandbox, start_offset: int, end_offset: int) -> set[Any]:
    return {
        d.date
        for d in sandbox.control.calendar(sandbox.item_id, day(start_offset), day(end_offset))
        if not d.open
    }


async def test_a_guest_booking_on_avito_becomes_a_booking_row_with_an_event(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    guest = sandbox.control.create_booking(sandbox.item_id, day(5), day(8), status="active")
    runtime: SyncRuntime = await make_runtime()
    sandbox.control.clear_requests()

    assert await runtime.worker.run_once() == 1

    booking = avito_booking(db, guest.id)
    assert (booking["property_id"], booking["status"]) == (host.property_id, "confirmed")
    assert (booking["check_in"], booking["check_out"]) == (day(5), day(8))
    # The first import of a freshly connected listing is one summary, not one per booking.
    assert events(db, "booking_created") == []
    [imported] = events(db, "bookings_imported")
    assert imported["payload"] == {
        "count": 1,
        "integration_id": str(host.integration_id),
        "property_id": str(host.property_id),
        "item_id": sandbox.item_id,
    }
    [run] = runs(db, host.integration_id)
    assert (run["trigger"], run["outcome"], run["error"]) == ("initial", "success", None)
    assert run["api_calls"] == len(operations(sandbox))
    assert run["counts"]["pull"]["created"] == 1
    integration = db.execute(
        "select status, last_sync_at is not null as synced from public.integrations where id = %s",
        (host.integration_id,),
    ).fetchone()
    assert integration == {"status": "active", "synced": True}
    queued = queue_row(db, host.integration_id)
    assert queued is not None
    assert (queued["status"], queued["due"], queued["attempts"]) == ("pending", False, 0)

    # Bookings made after the connect notify one by one, as before.
    later = sandbox.control.create_booking(sandbox.item_id, day(10), day(12), status="active")
    await runtime.engine.sync_integration(host.integration_id)
    [created] = events(db, "booking_created")
    assert created["booking_id"] == avito_booking(db, later.id)["id"]
    assert len(events(db, "bookings_imported")) == 1


async def test_a_host_booking_closes_avito_dates_within_one_worker_wake_up(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    # The fallback poll is far away: only the trigger's NOTIFY can wake the worker in time.
    runtime: SyncRuntime = await make_runtime(fallback_poll_seconds=300, interval_seconds=300)
    await runtime.worker.run_once()
    assert closed_days(sandbox, 20, 23) == set()
    loop = asyncio.create_task(runtime.worker.run_forever())
    try:
        await asyncio.wait_for(runtime.worker.listening.wait(), timeout=10)
        add_booking(db, host.property_id, day(20), day(22))
        await wait_for(lambda: closed_days(sandbox, 20, 23) == {day(20), day(21)}, limit=10)
    finally:
        runtime.worker.stop()
        await asyncio.wait_for(loop, timeout=10)
    assert [r["trigger"] for r in runs(db, host.integration_id)] == ["initial", "change"]


async def test_a_409_from_closing_dates_is_recorded_notified_and_not_retried(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    sandbox.control.create_booking(sandbox.item_id, day(10), day(14), status="active")
    add_booking(db, host.property_id, day(12), day(16))
    runtime: SyncRuntime = await make_runtime()

    await runtime.worker.run_once()
    make_due(db, host.integration_id)
    await runtime.worker.run_once()

    assert operations(sandbox).count("putBookingsInfo") == 1
    statuses = [r.status for r in sandbox.control.requests() if r.operation_id == "putBookingsInfo"]
    assert statuses == [409]
    # Nothing changed since: the second poll was steady (counted, no run row), no re-send.
    [first] = runs(db, host.integration_id)
    assert first["counts"]["push"]["closures"] == "conflict"
    steady = db.execute(
        "select steady_polls from avito_private.sync_steady_state where integration_id = %s",
        (host.integration_id,),
    ).fetchone()
    assert steady == {"steady_polls": 1}
    assert events(db, "booking_conflict")
    # The dates Avito could close are closed; the paid booking's stay stays Avito's.
    assert {day(14), day(15)} <= closed_days(sandbox, 10, 17)


async def test_a_booking_that_vanishes_from_avito_is_marked_not_deleted(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    guest = sandbox.control.create_booking(sandbox.item_id, day(7), day(9), status="active")
    runtime: SyncRuntime = await make_runtime()
    await runtime.worker.run_once()
    sandbox.control.delete_booking(guest.id)
    make_due(db, host.integration_id)

    await runtime.worker.run_once()

    booking = avito_booking(db, guest.id)
    assert booking["avito_status"] == "vanished"
    assert booking["avito_vanished_at"] is not None
    assert runs(db, host.integration_id)[-1]["counts"]["pull"]["vanished"] == 1


async def test_a_price_change_pushes_prices_only(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    runtime: SyncRuntime = await make_runtime()
    await runtime.worker.run_once()
    sandbox.control.clear_requests()

    db.execute(
        "insert into public.property_rates (property_id, date, daily_price, min_stay)"
        " values (%s, %s, 2000, 2)",
        (host.property_id, day(40)),
    )
    assert await runtime.worker.run_once() == 1

    assert operations(sandbox) == ["getRealtyBookings", "getRealtyBookings", "postRealtyPrices"]
    [price] = sandbox.control.prices(sandbox.item_id, day(40), day(40))
    assert price.night_price == 2300  # 2000 + 15 % markup
    assert runs(db, host.integration_id)[-1]["trigger"] == "change"


async def test_sync_integration_runs_now_and_reports_busy_while_another_worker_holds_it(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client, enqueue=False)
    runtime: SyncRuntime = await make_runtime()
    sandbox.control.clear_requests()

    result = await runtime.engine.sync_integration(host.integration_id, trigger="initial")
    assert result.status == "success"
    assert result.push is not None
    assert result.push.ok
    assert result.pull is not None
    assert result.pull.fetched == 0
    assert result.api_calls == len(operations(sandbox))
    assert [r["trigger"] for r in runs(db, host.integration_id)] == ["initial"]

    db.execute(
        "update public.avito_sync_queue set status = 'running', lease_owner = 'elsewhere',"
        " lease_expires_at = now() + interval '1 minute' where integration_id = %s",
        (host.integration_id,),
    )
    busy = await runtime.engine.sync_integration(host.integration_id, wait_seconds=0.5)
    assert (busy.status, busy.ran) == ("busy", False)
    assert len(runs(db, host.integration_id)) == 1


async def test_a_cancelled_sync_leaves_nothing_half_written_and_is_picked_up_after_the_lease(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    guest = sandbox.control.create_booking(sandbox.item_id, day(3), day(6), status="active")
    sandbox.control.add_fault("getRealtyBookings", latency={"fixed_ms": 3000}, times=1)
    dying: SyncRuntime = await make_runtime(lease_seconds=5)
    batch = asyncio.create_task(dying.worker.run_once())
    await wait_for(lambda: "getRealtyBookings" in operations(sandbox) or dying.worker.in_flight > 0)
    await wait_for(lambda: dying.worker.in_flight == 1)
    batch.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await batch
    await wait_for(lambda: dying.worker.in_flight == 0)

    assert runs(db, host.integration_id) == []
    assert db.execute("select count(*) as n from public.bookings").fetchone() == {"n": 0}
    queued = queue_row(db, host.integration_id)
    assert queued is not None
    assert queued["lease_owner"] == dying.settings.worker_id

    survivor: SyncRuntime = await make_runtime()
    assert await survivor.worker.run_once() == 0  # the lease still holds
    await wait_for(lambda: (queue_row(db, host.integration_id) or {}).get("due") is True)
    assert await survivor.worker.run_once() == 1
    assert avito_booking(db, guest.id)["status"] == "confirmed"
    [run] = runs(db, host.integration_id)
    assert run["outcome"] == "success"

"""Push against real Postgres and the sandbox over HTTP: what is sent (the sandbox's request
log), when, and that the sandbox's calendar, prices and base params end up equal to the plan."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from avito_sync.api.sync_result import legacy_errors, legacy_warnings
from avito_sync.avito import AvitoClient, StaticToken
from avito_sync.avito.errors import ConflictError
from avito_sync.avito.models import PriceItem
from avito_sync.sync.inputs import SyncInputError, load_context, load_sync_input
from avito_sync.sync.plan import SyncPlan, build_plan
from avito_sync.sync.push import push_plan
from avito_sync.sync.results import PushResult
from tests.fixtures.sandbox import Sandbox
from tests.sync import (
    Conn,
    Seeded,
    add_booking,
    avito,
    day,
    events,
    moscow_today,
    pool,
    seed_integration,
)

__all__ = ["avito", "pool"]  # fixtures

Avito = tuple[AvitoClient, StaticToken]
# A price write is always preceded by a fresh read of Avito's bookings.
ALL = {"putIntervals", "getRealtyBookings", "postRealtyPrices", "postBaseParams"}


@pytest.fixture
def seeded(db: Conn, sandbox: Sandbox) -> Seeded:
    return seed_integration(
        db,
        avito_user_id=sandbox.account_id,
        avito_item_id=sandbox.item_id,
        base_price=Decimal(3000),
        minimum_booking_days=2,
        markup=Decimal(10),
    )


async def current_plan(pool: AsyncConnectionPool[Any], seeded: Seeded) -> SyncPlan:
    async with pool.connection() as conn:
        sync_input = await load_sync_input(conn, seeded.integration_id)
    return build_plan(sync_input, moscow_today())


async def push(
    pool: AsyncConnectionPool[Any], avito: Avito, seeded: Seeded, **kwargs: Any
) -> PushResult:
    client, auth = avito
    async with pool.connection() as conn:
        sync_input = await load_sync_input(conn, seeded.integration_id)
    plan = build_plan(sync_input, moscow_today())
    return await push_plan(
        pool, client, auth, sync_input.integration, plan, now=dt.datetime.now(dt.UTC), **kwargs
    )


def price_item(night: dt.date, price: int) -> PriceItem:
    return PriceItem(date_from=night, date_to=night, night_price=price, minimal_duration=1)


def night_prices(sandbox: Sandbox, first: dt.date, last: dt.date) -> list[int | None]:
    return [p.night_price for p in sandbox.control.prices(sandbox.item_id, first, last)]


def sent_operations(sandbox: Sandbox) -> list[str]:
    """Operations the sandbox received since the last call, and forget them."""
    ops = [r.operation_id or r.path for r in sandbox.control.requests()]
    sandbox.control.clear_requests()
    return sorted(ops)


def assert_sandbox_matches(sandbox: Sandbox, plan: SyncPlan) -> None:
    window = plan.window
    last = window.end - dt.timedelta(days=1)
    open_days = {d for r in plan.open_intervals for d in r.days()}
    calendar = sandbox.control.calendar(sandbox.item_id, window.start, last)
    assert len(calendar) == 365
    mismatched = [c.date for c in calendar if c.open != (c.date in open_days)]
    assert mismatched == []
    closed_by_closure = {c.date for c in calendar if c.closed_by == "closure"}
    assert closed_by_closure == {d for r in plan.closures for d in r.days()}

    expected_prices = {}
    for period in plan.prices:
        d = period.date_from
        while d <= period.date_to:
            expected_prices[d] = (period.night_price, period.minimal_duration)
            d += dt.timedelta(days=1)
    actual = {
        p.date: (p.night_price, p.minimal_duration)
        for p in sandbox.control.prices(sandbox.item_id, window.start, last)
    }
    assert actual == expected_prices
    base = sandbox.control.base_params(sandbox.item_id)
    assert base is not None
    assert base["night_price"] == plan.base_params.night_price
    assert base["minimal_duration"] == plan.base_params.minimal_duration


async def test_first_push_sends_everything_and_the_sandbox_matches_the_plan(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    add_booking(db, seeded.property_id, day(3), day(6))
    add_booking(db, seeded.property_id, day(5), day(9), status="paid")
    add_booking(db, seeded.property_id, day(20), day(22), status="pending")
    db.execute(
        "insert into public.property_rates (property_id, date, daily_price, min_stay)"
        " values (%s, %s, 5000, 3), (%s, %s, 5000, 3)",
        (seeded.property_id, day(30), seeded.property_id, day(31)),
    )
    sandbox.control.clear_requests()

    result = await push(pool, avito, seeded)
    assert result.full
    assert result.ok
    assert set(result.sent) == {"intervals", "closures", "prices", "base_params"}
    assert result.api_calls == 5
    assert sent_operations(sandbox) == sorted([*ALL, "putBookingsInfo"])

    plan = await current_plan(pool, seeded)
    assert_sandbox_matches(sandbox, plan)
    assert plan.prices[0].night_price == 3300  # 3000 + 10 %
    assert any(p.night_price == 5500 and p.minimal_duration == 3 for p in plan.prices)


async def test_nothing_is_sent_when_nothing_changed(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    await push(pool, avito, seeded)
    sandbox.control.clear_requests()

    result = await push(pool, avito, seeded)
    assert not result.full
    assert result.sent == ()
    assert result.api_calls == 0
    assert {o.reason for o in result.outcomes} <= {"unchanged", "nothing_to_send"}
    assert sent_operations(sandbox) == []


async def test_a_price_change_sends_only_the_changed_nights(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    await push(pool, avito, seeded)
    client, auth = avito
    # Drift on Avito (the host edited day 30 there): only a full push may repair it.
    await client.post_prices(
        auth, seeded.avito_user_id, seeded.avito_item_id, [price_item(day(30), 9999)]
    )
    sandbox.control.clear_requests()
    db.execute(
        "insert into public.property_rates (property_id, date, daily_price) values"
        " (%s, %s, 7000), (%s, %s, 7000)",
        (seeded.property_id, day(15), seeded.property_id, day(16)),
    )

    result = await push(pool, avito, seeded)
    assert result.sent == ("prices",)
    assert result.price_nights == 2
    assert sent_operations(sandbox) == ["getRealtyBookings", "postRealtyPrices"]
    assert night_prices(sandbox, day(14), day(17)) == [3300, 7700, 7700, 3300]
    assert night_prices(sandbox, day(30), day(30)) == [9999]  # not re-sent

    forced = await push(pool, avito, seeded, force=True)
    assert forced.price_nights == 365
    assert_sandbox_matches(sandbox, await current_plan(pool, seeded))
    sandbox.control.clear_requests()
    assert (await push(pool, avito, seeded)).sent == ()
    assert sent_operations(sandbox) == []


async def test_a_new_app_booking_pushes_intervals_and_closures(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    add_booking(db, seeded.property_id, day(40), day(42))
    await push(pool, avito, seeded)
    sandbox.control.clear_requests()

    add_booking(db, seeded.property_id, day(50), day(53))
    result = await push(pool, avito, seeded)
    assert result.sent == ("intervals", "closures")
    assert sent_operations(sandbox) == ["putBookingsInfo", "putIntervals"]
    assert_sandbox_matches(sandbox, await current_plan(pool, seeded))

    # An Avito booking changes the intervals only; the closures must survive that write.
    db.execute(
        "insert into public.bookings (property_id, check_in, check_out, status, source,"
        " external_id, avito_booking_id, avito_status)"
        " values (%s, %s, %s, 'confirmed', 'avito', '777', 777, 'active')",
        (seeded.property_id, day(60), day(61)),
    )
    sandbox.control.clear_requests()
    assert (await push(pool, avito, seeded)).sent == ("intervals", "closures")
    assert_sandbox_matches(sandbox, await current_plan(pool, seeded))

    # Cancelling it reopens the dates: the intervals write replaces the calendar.
    db.execute("update public.bookings set status = 'cancelled' where check_in = %s", (day(50),))
    await push(pool, avito, seeded)
    assert_sandbox_matches(sandbox, await current_plan(pool, seeded))
    assert all(c.open for c in sandbox.control.calendar(sandbox.item_id, day(50), day(52)))


async def test_a_full_push_repairs_drift_after_the_period(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    await push(pool, avito, seeded)
    db.execute(
        "update avito_private.avito_push_state set last_full_push_at = now() - interval '7 hours'"
        " where integration_id = %s",
        (seeded.integration_id,),
    )
    sandbox.control.clear_requests()

    calm = await push(pool, avito, seeded, full_push_every=dt.timedelta(hours=8))
    assert calm.sent == ()
    assert sent_operations(sandbox) == []

    repaired = await push(pool, avito, seeded)  # default period: 6 hours
    assert repaired.full
    assert set(repaired.sent) == {"intervals", "prices", "base_params"}
    assert sent_operations(sandbox) == sorted(ALL)

    after = await push(pool, avito, seeded)
    assert after.sent == ()


async def test_a_409_is_recorded_and_notified_once_not_retried(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    paid = sandbox.control.create_booking(sandbox.item_id, day(10), day(12))
    add_booking(db, seeded.property_id, day(11), day(13))  # a double booking made elsewhere
    add_booking(db, seeded.property_id, day(20), day(21))

    result = await push(pool, avito, seeded)
    closures = result.outcome("closures")
    assert closures.status == "conflict"
    assert result.ok  # recorded and notified, not a failure to retry
    assert isinstance(closures.error, ConflictError)
    assert closures.error.conflicts[0].bookings[0].avito_booking_id == paid.id
    # The app hears of it as the old function's warning.
    (warning,) = [w for w in legacy_warnings(result) if w["operation"] == "bookings_update"]
    assert warning["statusCode"] == 409
    assert warning["details"]["conflicts"][0]["bookings"][0]["avito_booking_id"] == paid.id
    (event,) = events(db, "booking_conflict")
    assert event["payload"]["conflicts"][0]["interval"]["date_start"] == day(11).isoformat()
    state = db.execute(
        "select last_conflicts from avito_private.avito_push_state where integration_id = %s",
        (seeded.integration_id,),
    ).fetchone()
    assert state is not None
    assert state["last_conflicts"][0]["bookings"][0]["avito_booking_id"] == paid.id
    # The current spec closed the range that did not conflict.
    (day20,) = sandbox.control.calendar(sandbox.item_id, day(20), day(20))
    assert day20.closed_by == "closure"

    sandbox.control.clear_requests()
    again = await push(pool, avito, seeded)
    assert again.outcome("closures").reason == "unchanged"
    assert sent_operations(sandbox) == []
    assert len(events(db, "booking_conflict")) == 1


async def test_a_failed_operation_is_reported_and_retried_next_time(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    fault = sandbox.control.add_fault("postRealtyPrices", error_rates={500: 1.0})
    result = await push(pool, avito, seeded)
    assert result.outcome("prices").status == "failed"
    assert result.outcome("intervals").status == "sent"
    assert not result.ok
    (failure,) = result.failures
    assert failure.operation == "prices"
    assert failure.error is not None
    assert failure.error.status == 500
    (error,) = legacy_errors(result)
    assert (error["operation"], error["statusCode"]) == ("price_update", 500)

    sandbox.control.remove_fault(fault.id)
    sandbox.control.clear_requests()
    retried = await push(pool, avito, seeded)
    assert retried.full  # no complete push yet, so everything goes again
    assert retried.ok
    assert "postRealtyPrices" in sent_operations(sandbox)
    assert (await push(pool, avito, seeded)).sent == ()


async def test_nothing_is_pushed_for_a_deleted_property(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    db.execute(
        "update public.properties set deleted_at = now() where id = %s", (seeded.property_id,)
    )
    sandbox.control.clear_requests()
    result = await push(pool, avito, seeded)
    assert {o.reason for o in result.outcomes} == {"not_pushable"}
    assert sent_operations(sandbox) == []


async def test_the_light_context_agrees_with_the_full_input_and_unknowns_fail_clearly(
    db: Conn, seeded: Seeded, pool: AsyncConnectionPool[Any]
) -> None:
    async with pool.connection() as conn:
        context = await load_context(conn, seeded.integration_id)
        full = await load_sync_input(conn, seeded.integration_id)
        assert (context.integration, context.timezone) == (full.integration, full.property.timezone)
        for load in (load_context, load_sync_input):
            with pytest.raises(SyncInputError):
                await load(conn, uuid.uuid4())


async def test_prices_never_turn_a_pending_request_into_overbook(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    request = sandbox.control.create_booking(sandbox.item_id, day(8), day(11), status="pending")
    db.execute(
        "insert into public.bookings (property_id, check_in, check_out, status, source,"
        " external_id, avito_booking_id, avito_status)"
        " values (%s, %s, %s, 'pending', 'avito', %s, %s, 'pending')",
        (seeded.property_id, day(8), day(11), str(request.id), request.id),
    )
    result = await push(pool, avito, seeded, force=True)
    assert "prices" in result.sent
    assert [w.code for w in result.warnings] == ["prices_deferred"]
    (after,) = sandbox.control.bookings(sandbox.item_id)
    assert after.status == "pending"
    priced = {p.date for p in sandbox.control.prices(sandbox.item_id, day(7), day(11))}
    assert priced == {day(7), day(11)}  # the request's nights keep Avito's current prices


async def test_a_base_params_404_is_a_warning_like_before(
    db: Conn, sandbox: Sandbox, seeded: Seeded, pool: AsyncConnectionPool[Any], avito: Avito
) -> None:
    sandbox.control.add_fault("postBaseParams", error_rates={404: 1.0})
    result = await push(pool, avito, seeded)
    assert result.outcome("base_params").status == "failed"
    assert result.outcome("base_params").tolerated
    assert result.failures == ()
    assert legacy_errors(result) == []
    (warning,) = legacy_warnings(result)
    assert (warning["operation"], warning["statusCode"]) == ("base_params_update", 404)

    # A refusal of the body is not repeated on every poll, only when the body changes.
    sandbox.control.clear_requests()
    assert (await push(pool, avito, seeded)).sent == ()
    assert sent_operations(sandbox) == []
    db.execute(
        "update public.properties set base_price = 3100 where id = %s", (seeded.property_id,)
    )
    again = await push(pool, avito, seeded)
    assert "base_params" in [o.operation for o in again.failed]

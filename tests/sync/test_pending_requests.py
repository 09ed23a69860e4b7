"""A guest's pending request is never destroyed by our own price write (issue 16).

Avito turns every unconfirmed request on the dates of a price write into `overbook`. The
sync pulls, plans, then pushes; a request can arrive in between. These tests make it arrive
exactly there, with a sandbox hold on the pull's answer, and check the request survives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import psycopg

from avito_sync.avito import AvitoClient, StaticToken
from avito_sync.avito.models import PriceItem
from avito_sync.sync.runtime import SyncRuntime
from tests.fixtures.sandbox import Sandbox
from tests.support.waiting import wait_for
from tests.sync import avito, day
from tests.sync.engine_support import connect_host, runs

__all__ = ["avito"]  # fixture

Conn = psycopg.Connection[dict[str, Any]]
BASE = 1150  # base price 1000 + 15 % markup
RATE = 2300  # a rate of 2000 + 15 %


def set_rates(db: Conn, property_id: Any, first: int, last: int, price: int = 2000) -> None:
    db.execute(
        "insert into public.property_rates (property_id, date, daily_price)"
        " select %s, d::date, %s from generate_series(%s::date, %s::date, interval '1 day') d",
        (property_id, price, day(first), day(last)),
    )


def night_prices(sandbox: Sandbox, first: int, last: int) -> dict[int, int | None]:
    prices = sandbox.control.prices(sandbox.item_id, day(first), day(last))
    return {(p.date - day(0)).days: p.night_price for p in prices}


def status_of(sandbox: Sandbox, booking_id: int) -> str:
    [booking] = [b for b in sandbox.control.bookings(sandbox.item_id) if b.id == booking_id]
    return booking.status


def price_writes(sandbox: Sandbox) -> int:
    return sum(r.operation_id == "postRealtyPrices" for r in sandbox.control.requests())


async def test_a_request_arriving_between_the_pull_and_the_price_write_stays_pending(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    runtime: SyncRuntime = await make_runtime()
    assert (await runtime.engine.sync_integration(host.integration_id)).status == "success"
    set_rates(db, host.property_id, 5, 14)
    # The pull's answer is computed, then held: whatever happens now, this sync's plan
    # does not know it.
    hold = sandbox.control.add_fault("getRealtyBookings", hold=True, after_apply=True, times=1)

    sync = asyncio.create_task(runtime.engine.sync_integration(host.integration_id))
    await wait_for(lambda: sandbox.control.fault(hold.id).held == 1, what="the held pull")
    guest = sandbox.control.create_booking(sandbox.item_id, day(8), day(11), status="pending")
    sandbox.control.release_fault(hold.id)
    result = await sync

    assert result.status == "success"
    assert status_of(sandbox, guest.id) == "pending"  # not overbook
    prices = night_prices(sandbox, 4, 15)
    assert [prices[n] for n in (8, 9, 10)] == [BASE] * 3  # the request's nights keep theirs
    assert [prices[n] for n in (5, 6, 7, 11, 12, 13, 14)] == [RATE] * 7
    assert (prices[4], prices[15]) == (BASE, BASE)
    assert "prices_deferred_new_request" in result.warnings
    assert runs(db, host.integration_id)[-1]["counts"]["price_nights"] == 7

    # The next sync knows the request: its nights are not even candidates any more.
    sandbox.control.clear_requests()
    again = await runtime.engine.sync_integration(host.integration_id)
    assert "prices_deferred" in again.warnings
    assert price_writes(sandbox) == 0
    assert status_of(sandbox, guest.id) == "pending"

    # Once the guest's request is answered, the held-back nights get their new price.
    sandbox.control.cancel_booking(guest.id)
    assert (await runtime.engine.sync_integration(host.integration_id)).status == "success"
    assert [night_prices(sandbox, 8, 10)[n] for n in (8, 9, 10)] == [RATE] * 3


async def test_a_changed_rate_away_from_pending_nights_reaches_avito_and_a_full_push_spares_them(
    db: Conn,
    sandbox: Sandbox,
    client: AvitoClient,
    make_runtime: Callable[..., Any],
    avito: tuple[AvitoClient, StaticToken],
) -> None:
    host = await connect_host(db, sandbox, client)
    runtime: SyncRuntime = await make_runtime()
    assert (await runtime.engine.sync_integration(host.integration_id)).status == "success"
    guest = sandbox.control.create_booking(sandbox.item_id, day(8), day(11), status="pending")
    assert (await runtime.engine.sync_integration(host.integration_id)).status == "success"

    set_rates(db, host.property_id, 9, 9)  # under the request: waits
    set_rates(db, host.property_id, 20, 20)  # free: goes out now
    sandbox.control.clear_requests()
    changed = await runtime.engine.sync_integration(host.integration_id)

    assert changed.status == "success"
    assert price_writes(sandbox) == 1
    assert runs(db, host.integration_id)[-1]["counts"]["price_nights"] == 1
    assert night_prices(sandbox, 20, 20) == {20: RATE}
    assert night_prices(sandbox, 9, 9) == {9: BASE}
    assert status_of(sandbox, guest.id) == "pending"

    # Drift on Avito (day 30 edited there) is repaired by a full push, which still leaves
    # every night of the request alone.
    other, auth = avito
    drift = PriceItem(date_from=day(30), date_to=day(30), night_price=9999, minimal_duration=1)
    await other.post_prices(auth, sandbox.account_id, sandbox.item_id, [drift])
    full = await runtime.engine.sync_integration(host.integration_id, force_push=True)

    assert full.push is not None
    assert full.push.full
    assert night_prices(sandbox, 30, 30) == {30: BASE}
    assert night_prices(sandbox, 8, 10) == {8: BASE, 9: BASE, 10: BASE}
    assert status_of(sandbox, guest.id) == "pending"
    assert runs(db, host.integration_id)[-1]["counts"]["price_nights"] == 365 - 3

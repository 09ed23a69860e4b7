"""What the app shows after a sync: the answer apiSync.ts classifies, and the avito_logs rows
behind its error toast and log dialog (deduplicated, owner-only); plus the pull's guard for
Avito booking ids already recorded on another property."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tests.api.conftest import Service
from tests.compat.app import Typed, classify, oauth_callback, sync, upsert_integration
from tests.fixtures.db import as_authenticated

# The app's log dialog query (docs/app-contract.md §2.3), through RLS.
LOG_DIALOG = (
    "select l.id, l.integration_id, l.property_id, l.action, l.status, l.error, l.details,"
    " l.created_at, p.name as property_name"
    " from public.avito_logs l left join public.properties p on p.id = l.property_id"
    " where l.status = 'error' order by l.created_at desc limit 50"
)


async def connected(service: Service) -> tuple[uuid.UUID, uuid.UUID, str]:
    host = service.user()
    prop = service.property(host)
    assert (await oauth_callback(service, host, prop, service.sandbox.account_id))["success"]
    form = Typed(avito_user_id=service.sandbox.account_id, avito_item_id=service.sandbox.item_id)
    integration = upsert_integration(service, host, prop, form)
    first = await sync(service, host, integration, "initial-sync")
    assert classify(first) == "success", first
    return host, prop, integration


def dialog(service: Service, user: uuid.UUID) -> list[dict[str, Any]]:
    with as_authenticated(service.db, user) as conn:
        return conn.execute(LOG_DIALOG).fetchall()


def day(n: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=n)


async def test_a_base_params_404_is_a_warning_the_app_calls_success(service: Service) -> None:
    host, prop, integration = await connected(service)
    service.db.execute("update public.properties set base_price = 4100 where id = %s", (prop,))
    service.sandbox.control.add_fault("postBaseParams", error_rates={404: 1.0})
    body = await sync(service, host, integration)
    assert body["success"] is True
    assert body["hasError"] is False
    assert body["errors"] == []
    (warning,) = [w for w in body["warnings"] if w["operation"] == "base_params_update"]
    assert warning["statusCode"] == 404
    assert body["warningMessage"]
    assert classify(body) == "success"
    assert dialog(service, host) == []


async def test_a_409_on_closing_dates_reaches_warnings_and_the_log(service: Service) -> None:
    host, prop, integration = await connected(service)
    sandbox = service.sandbox
    paid = sandbox.control.create_booking(sandbox.item_id, day(10), day(12))
    service.db.execute(
        "insert into public.bookings (property_id, source, check_in, check_out, status)"
        " values (%s, 'manual', %s, %s, 'confirmed')",
        (prop, day(11), day(13)),
    )
    body = await sync(service, host, integration)
    (warning,) = [w for w in body["warnings"] if w["operation"] == "bookings_update"]
    assert warning["statusCode"] == 409
    assert body["errors"] == []
    assert classify(body) == "success"

    rows = dialog(service, host)
    assert {r["action"] for r in rows} == {"sync_calendar_bookings", "sync_bookings"}
    assert all(r["property_name"] == "Квартира" for r in rows)
    booking_row = next(r for r in rows if r["action"] == "sync_bookings")
    assert str(paid.id) in booking_row["error"]
    await sync(service, host, integration)
    assert len(dialog(service, host)) == 2


async def test_failures_are_logged_once_per_distinct_error_and_only_to_the_owner(
    service: Service,
) -> None:
    host, prop, integration = await connected(service)
    service.db.execute(
        "update public.integrations set avito_markup = 25 where id = %s", (integration,)
    )
    service.sandbox.control.add_fault("postRealtyPrices", error_rates={500: 1.0})
    for _ in range(3):
        body = await sync(service, host, integration)
        assert classify(body) == "failure", body
    rows = dialog(service, host)
    assert [(r["action"], r["integration_id"]) for r in rows] == [("sync", uuid.UUID(integration))]
    assert "price" in rows[0]["error"]

    service.sandbox.control.add_fault("putIntervals", error_rates={500: 1.0})
    service.db.execute(
        "insert into public.bookings (property_id, source, check_in, check_out, status)"
        " values (%s, 'manual', %s, %s, 'confirmed')",
        (prop, day(3), day(5)),
    )
    for _ in range(2):
        await sync(service, host, integration)
    assert len(dialog(service, host)) == 2

    assert dialog(service, service.user()) == []
    with as_authenticated(service.db, host) as conn:
        assert conn.execute(
            "select has_table_privilege('public.avito_logs', 'insert') as i"
        ).fetchone() == {"i": False}

    service.sandbox.control.clear_faults()
    assert classify(await sync(service, host, integration)) == "success"
    recovered = service.db.execute(
        "select count(*) as n from public.avito_logs where integration_id = %s"
        " and status = 'success'",
        (integration,),
    ).fetchone()
    assert recovered == {"n": 1}
    await sync(service, host, integration)
    assert service.db.execute(
        "select count(*) as n from public.avito_logs where integration_id = %s", (integration,)
    ).fetchone() == {"n": 3}


async def test_an_avito_booking_on_a_strangers_property_neither_blocks_nor_is_touched(
    service: Service,
) -> None:
    host, prop, integration = await connected(service)
    sandbox = service.sandbox
    guest = sandbox.control.create_booking(sandbox.item_id, day(20), day(22))
    stranger = service.user()
    theirs = service.property(stranger)
    service.db.execute(
        "insert into public.bookings (property_id, source, external_id, avito_booking_id,"
        " check_in, check_out, status, guest_name)"
        " values (%s, 'avito', %s, %s, %s, %s, 'confirmed', 'Typed by hand')",
        (theirs, str(guest.id), guest.id, day(1), day(2)),
    )
    body = await sync(service, host, integration)
    assert body["success"] is True, body

    rows = service.db.execute(
        "select property_id, check_in, guest_name from public.bookings where external_id = %s"
        " order by created_at",
        (str(guest.id),),
    ).fetchall()
    assert rows == [
        {"property_id": theirs, "check_in": day(1), "guest_name": "Typed by hand"},
        {"property_id": prop, "check_in": day(20), "guest_name": guest.guest_name},
    ]
    conflicts = service.db.execute(
        "select count(*) as n from public.notification_events where kind = 'booking_conflict'"
    ).fetchone()
    assert conflicts == {"n": 0}
    assert dialog(service, stranger) == []


async def test_an_avito_booking_the_host_moved_to_another_property_is_left_alone(
    service: Service,
) -> None:
    host, _prop, integration = await connected(service)
    sandbox = service.sandbox
    guest = sandbox.control.create_booking(sandbox.item_id, day(20), day(22))
    assert (await sync(service, host, integration))["success"] is True
    elsewhere = service.property(host)
    service.db.execute(
        "update public.bookings set property_id = %s, check_in = %s, check_out = %s"
        " where avito_booking_id = %s",
        (elsewhere, day(1), day(2), guest.id),
    )
    body = await sync(service, host, integration)
    assert body["success"] is True, body

    rows = service.db.execute(
        "select property_id, check_in from public.bookings where external_id = %s",
        (str(guest.id),),
    ).fetchall()
    assert rows == [{"property_id": elsewhere, "check_in": day(1)}]
    events = service.db.execute(
        "select owner_id, payload from public.notification_events"
        " where kind = 'booking_conflict' and integration_id = %s",
        (integration,),
    ).fetchall()
    assert [(e["owner_id"], e["payload"]["reason"]) for e in events] == [
        (host, "held_by_other_property")
    ]
    (logged,) = dialog(service, host)
    assert logged["action"] == "sync_bookings"
    await sync(service, host, integration)
    assert len(dialog(service, host)) == 1

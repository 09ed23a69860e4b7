"""Issue #10, item 2: booking-id squatting.

Attack: host A inserts bookings with `source='avito'` and the next Avito booking ids on A's own
property; the pull looked Avito bookings up globally and skipped B's real guest booking as
"held by another property", so B's calendar stayed open (double booking). Now client roles
cannot write `source='avito'` or the Avito-owned columns, and the pull looks a booking up only
among the owner's own properties (by listing and Avito id).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tests.api.conftest import Service
from tests.fixtures.db import as_authenticated
from tests.security.hosts import connected_host

SQUATTED = (90_001, 90_002, 90_003)


def squat(service: Service, attacker: uuid.UUID, prop: uuid.UUID) -> list[dict[str, Any]]:
    """What the attacker sends through PostgREST: Avito-looking rows on their own property."""
    with as_authenticated(service.db, attacker) as db:
        for number, booking_id in enumerate(SQUATTED):
            day = dt.date(2027, 3, 1) + dt.timedelta(days=3 * number)
            db.execute(
                "insert into public.bookings (property_id, source, external_id,"
                " avito_booking_id, avito_item_id, avito_status, check_in, check_out, status)"
                " values (%s, 'avito', %s, %s, %s, 'active', %s, %s, 'confirmed')",
                (prop, str(booking_id), booking_id, 4012345678, day, day + dt.timedelta(days=1)),
            )
    return service.db.execute(
        "select source, external_id, avito_booking_id, avito_item_id, avito_status"
        " from public.bookings where property_id = %s order by check_in",
        (prop,),
    ).fetchall()


async def test_squatted_avito_ids_never_block_another_hosts_import(service: Service) -> None:
    attacker = service.user()
    attacker_property = service.property(attacker)
    stored = squat(service, attacker, attacker_property)
    assert [row["source"] for row in stored] == ["manual"] * len(SQUATTED)
    assert all(row["avito_booking_id"] is None for row in stored)
    assert all(row["avito_item_id"] is None and row["avito_status"] is None for row in stored)

    victim, victim_property, _ = await connected_host(service)
    check_in = service.sandbox.control.today() + dt.timedelta(days=20)
    service.sandbox.control.create_booking(
        service.sandbox.item_id, check_in, check_in + dt.timedelta(days=2), booking_id=SQUATTED[0]
    )
    synced = (await service.act(victim, "sync", property_id=str(victim_property))).json()
    assert synced["success"] is True, synced

    imported = service.db.execute(
        "select property_id, source, avito_item_id, status from public.bookings"
        " where avito_booking_id = %s",
        (SQUATTED[0],),
    ).fetchall()
    assert imported == [
        {
            "property_id": victim_property,
            "source": "avito",
            "avito_item_id": service.sandbox.item_id,
            "status": "confirmed",
        }
    ]
    # B's calendar in the app is busy on those nights (and B's other channels follow it).
    busy = {
        row["check_in"]
        for row in service.db.execute(
            "select check_in from public.bookings where property_id = %s and status = 'confirmed'",
            (victim_property,),
        ).fetchall()
    }
    assert check_in in busy


async def test_rows_held_before_the_fix_do_not_block_either(service: Service) -> None:
    """Squatted rows already in the table (written before the guard existed) belong to
    another owner, and the pull never looks at other owners' rows."""
    attacker = service.user()
    attacker_property = service.property(attacker)
    service.db.execute(
        "insert into public.bookings (property_id, source, external_id, avito_booking_id,"
        " avito_item_id, check_in, check_out, status)"
        " values (%s, 'avito', %s, %s, %s, '2027-03-01', '2027-03-02', 'confirmed')",
        (attacker_property, str(SQUATTED[1]), SQUATTED[1], service.sandbox.item_id),
    )
    victim, victim_property, _ = await connected_host(service)
    check_in = service.sandbox.control.today() + dt.timedelta(days=30)
    service.sandbox.control.create_booking(
        service.sandbox.item_id, check_in, check_in + dt.timedelta(days=1), booking_id=SQUATTED[1]
    )
    await service.act(victim, "sync", property_id=str(victim_property))
    owners = service.db.execute(
        "select property_id from public.bookings where avito_booking_id = %s order by created_at",
        (SQUATTED[1],),
    ).fetchall()
    assert [row["property_id"] for row in owners] == [attacker_property, victim_property]
    events = service.db.execute(
        "select kind from public.notification_events where owner_id = %s and kind like 'booking%%'",
        (victim,),
    ).fetchall()
    assert {"kind": "booking_created"} in events


async def test_client_cannot_turn_bookings_into_avito_ones_or_edit_avito_keys(
    service: Service,
) -> None:
    host, prop, _ = await connected_host(service)
    check_in = service.sandbox.control.today() + dt.timedelta(days=10)
    real = service.sandbox.control.create_booking(
        service.sandbox.item_id, check_in, check_in + dt.timedelta(days=2)
    )
    await service.act(host, "sync", property_id=str(prop))
    with as_authenticated(service.db, host) as db:
        # The app's booking form with "Avito" picked by hand.
        typed = db.execute(
            "insert into public.bookings (property_id, source, guest_name, check_in, check_out)"
            " values (%s, 'avito', 'Пётр', '2027-05-01', '2027-05-03') returning id",
            (prop,),
        ).fetchone()
        assert typed is not None
        db.execute(
            "update public.bookings set source = 'avito', avito_booking_id = %s,"
            " external_id = %s where id = %s",
            (SQUATTED[2], str(SQUATTED[2]), typed["id"]),
        )
        # The app's edit form on the imported booking sends every column back, edited.
        db.execute(
            "update public.bookings set guest_name = 'Гость', source = 'manual',"
            " avito_booking_id = 1, avito_item_id = 1, external_id = 'x', avito_status = 'x'"
            " where avito_booking_id = %s",
            (real.id,),
        )
    rows = service.db.execute(
        "select guest_name, source, external_id, avito_booking_id, avito_item_id, avito_status"
        " from public.bookings where property_id = %s order by check_in",
        (prop,),
    ).fetchall()
    assert rows == [
        {
            "guest_name": "Гость",
            "source": "avito",
            "external_id": str(real.id),
            "avito_booking_id": real.id,
            "avito_item_id": service.sandbox.item_id,
            "avito_status": "active",
        },
        {
            "guest_name": "Пётр",
            "source": "manual",
            "external_id": str(SQUATTED[2]),
            "avito_booking_id": None,
            "avito_item_id": None,
            "avito_status": None,
        },
    ]

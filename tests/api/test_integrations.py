"""Listings, validation, save, markup, sync, status, disconnect and connect progress,
with every action refused for another user's property, account or integration."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from tests.api.conftest import Service
from tests.api.connected import connect_and_save

IN_USE = {
    "available": False,
    "error": "Этот ID уже используется в другой интеграции. Выберите другой.",
}


def integration_row(service: Service, integration_id: str) -> dict[str, Any]:
    row = service.db.execute(
        "select i.is_active, i.status, i.avito_markup,"
        " (select count(*) from public.avito_sync_queue q where q.integration_id = i.id) as queued"
        " from public.integrations i where i.id = %s",
        (integration_id,),
    ).fetchone()
    assert row is not None
    return dict(row)


async def test_listing_held_by_another_integration_is_409(service: Service) -> None:
    first = await connect_and_save(service, markup=15)
    other = service.user()
    other_prop = service.property(other)
    account_id = (await service.connect(other, other_prop))["account_id"]
    held = await service.act(
        other, "validate-item", account_id=account_id, item_id=service.sandbox.item_id
    )
    assert held.status_code == 409
    assert held.json() == IN_USE
    save = await service.act(
        other,
        "save-integration",
        property_id=str(other_prop),
        account_id=account_id,
        item_id=service.sandbox.item_id,
    )
    assert save.status_code == 200
    assert save.json()["code"] == "ITEM_IN_USE"
    # The owner re-validating the listing for its own property is not a conflict.
    mine = await service.act(
        first.host,
        "validate-item",
        account_id=first.account_id,
        item_id=service.sandbox.item_id,
        property_id=str(first.prop),
    )
    assert mine.status_code == 200
    free = await service.act(
        other, "validate-item", account_id=account_id, item_id=service.sandbox.item_ids[1]
    )
    assert free.json()["available"] is True


async def test_listing_unknown_or_of_another_avito_account(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    account_id = (await service.connect(host, prop))["account_id"]
    missing = await service.act(host, "validate-item", account_id=account_id, item_id=9999999999)
    assert missing.status_code == 200, missing.text
    assert missing.json()["code"] == "ITEM_NOT_FOUND"
    stranger = service.sandbox.control.add_account("Чужой хост")
    listing = service.sandbox.control.add_listing(stranger.id)
    foreign = await service.act(host, "validate-item", account_id=account_id, item_id=listing.id)
    assert foreign.json()["code"] == "ITEM_FORBIDDEN"
    assert foreign.json()["success"] is False


async def test_another_users_resources_are_refused(service: Service) -> None:
    owner = await connect_and_save(service, markup=15)
    intruder = service.user()
    intruder_prop = service.property(intruder)
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("get-items", {"account_id": owner.account_id}),
        ("validate-item", {"account_id": owner.account_id, "item_id": service.sandbox.item_id}),
        (
            "save-integration",
            {
                "property_id": str(intruder_prop),
                "account_id": owner.account_id,
                "item_id": service.sandbox.item_ids[1],
            },
        ),
        ("update-markup", {"integration_id": owner.integration_id, "markup": 50}),
        ("update-markup", {"property_id": str(owner.prop), "markup": 50}),
        ("disconnect", {"integration_id": owner.integration_id}),
        ("sync", {"integration_id": owner.integration_id}),
        ("initial-sync", {"property_id": str(owner.prop)}),
        ("status", {"property_id": str(owner.prop)}),
        ("oauth-url", {"property_id": str(owner.prop)}),
        ("progress-save", {"property_id": str(owner.prop), "progress": {"step": 1}}),
        ("progress-load", {"property_id": str(owner.prop)}),
    ]
    for action, body in attempts:
        answer = await service.act(intruder, action, **body)
        assert answer.status_code == 403, (action, answer.text)
        assert answer.json()["code"] == "NOT_OWNER", action
    for path, body in [
        ("/functions/v1/avito_sync", {"action": "sync", "integration_id": owner.integration_id}),
        ("/functions/v1/avito-close-availability", {"integration_id": owner.integration_id}),
    ]:
        answer = await service.http.post(path, json=body, headers=service.headers(intruder))
        assert answer.status_code == 403, path
    assert integration_row(service, owner.integration_id)["avito_markup"] == 15
    assert integration_row(service, owner.integration_id)["is_active"] is True


async def test_markup_update_reaches_avito_on_the_next_sync(service: Service) -> None:
    c = await connect_and_save(service, markup=0)
    assert service.sandbox.control.base_params(service.sandbox.item_id)["night_price"] == 3000  # type: ignore[index]
    updated = await service.act(c.host, "update-markup", property_id=str(c.prop), markup=25.5)
    assert updated.json() == {
        "success": True,
        "integration_id": c.integration_id,
        "markup": 25.5,
        "markup_type": "percent",
        "markup_value": 25.5,
    }
    synced = (await service.act(c.host, "sync", integration_id=c.integration_id)).json()
    assert synced["success"] is True, synced
    assert synced["pushSuccess"] is True
    # round(3000 * 1.255) = 3765
    assert service.sandbox.control.base_params(service.sandbox.item_id)["night_price"] == 3765  # type: ignore[index]
    status = (await service.act(c.host, "status", property_id=str(c.prop))).json()
    assert status["markup"] == 25.5


async def test_disconnect_is_all_or_nothing(service: Service) -> None:
    c = await connect_and_save(service, markup=15)
    fault = service.sandbox.control.add_fault("/realty/v1/items/intervals", error_rates={500: 1.0})
    failed = (
        await service.act(
            c.host, "disconnect", integration_id=c.integration_id, close_calendar=True
        )
    ).json()
    assert failed["success"] is False
    assert failed["code"] == "AVITO_UNAVAILABLE"
    assert integration_row(service, c.integration_id) | {"avito_markup": None} == {
        "is_active": True,
        "status": "active",
        "avito_markup": None,
        "queued": 1,
    }
    service.sandbox.control.remove_fault(fault.id)

    done = (
        await service.act(
            c.host, "disconnect", integration_id=c.integration_id, close_calendar=True
        )
    ).json()
    assert done == {"success": True, "integration_id": c.integration_id, "calendar_closed": True}
    row = integration_row(service, c.integration_id)
    assert (row["is_active"], row["status"], row["queued"]) == (False, "disconnected", 0)
    run = service.db.execute(
        "select trigger, counts from public.avito_sync_runs"
        " where integration_id = %s and counts ->> 'action' = 'disconnect'",
        (c.integration_id,),
    ).fetchone()
    assert run == {"trigger": "manual", "counts": {"action": "disconnect", "calendar_closed": True}}
    today = dt.date.today()
    days = service.sandbox.control.calendar(
        service.sandbox.item_id, today + dt.timedelta(days=1), today + dt.timedelta(days=60)
    )
    assert days
    assert not any(day.open for day in days)

    status = (await service.act(c.host, "status", property_id=str(c.prop))).json()
    assert status == {"success": True, "state": "disconnected", "connected": False}
    again = (await service.act(c.host, "disconnect", integration_id=c.integration_id)).json()
    assert again["code"] == "INTEGRATION_NOT_FOUND"


async def test_reconnect_needed_shows_in_status_and_sync(service: Service) -> None:
    c = await connect_and_save(service, markup=15)
    service.db.execute(
        "update public.avito_accounts set status = 'needs_reconnect' where id = %s",
        (c.account_id,),
    )
    status = (await service.act(c.host, "status", property_id=str(c.prop))).json()
    assert status["state"] == "needs_reconnect"
    assert status["needs_reconnect"] is True
    synced = (await service.act(c.host, "sync", property_id=str(c.prop))).json()
    assert synced["success"] is False
    assert synced["code"] == "RECONNECT_REQUIRED"
    assert synced["requiresReconnect"] is True
    items = (await service.act(c.host, "get-items", account_id=c.account_id)).json()
    assert items["code"] == "RECONNECT_REQUIRED"
    # Connecting again restores the account and its integration.
    await service.connect(c.host, c.prop)
    assert (await service.act(c.host, "status", property_id=str(c.prop))).json()["state"] in (
        "synced",
        "pending",
    )


async def test_progress_is_kept_for_an_hour(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    account_id = (await service.connect(host, prop))["account_id"]
    empty = (await service.act(host, "progress-load", property_id=str(prop))).json()
    assert empty == {"success": True, "progress": None, "expires_at": None}
    progress = {"step": 2, "account_id": account_id, "item_id": "4012345678", "markup": 12.5}
    saved = await service.act(host, "progress-save", property_id=str(prop), progress=progress)
    assert saved.json()["success"] is True
    expires = dt.datetime.fromisoformat(saved.json()["expires_at"])
    assert dt.timedelta(minutes=59) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)
    loaded = (await service.act(host, "progress-load", property_id=str(prop))).json()
    assert loaded["progress"] == {**progress, "item_id": 4012345678}
    newer = {"step": 3, "account_id": account_id, "item_id": 4012345678, "markup": 20}
    await service.act(host, "progress-save", property_id=str(prop), progress=newer)
    loaded = (await service.act(host, "progress-load", property_id=str(prop))).json()
    assert loaded["progress"]["step"] == 3
    foreign = {"step": 2, "account_id": str(uuid.uuid4())}
    refused = await service.act(host, "progress-save", property_id=str(prop), progress=foreign)
    assert refused.status_code == 403
    service.db.execute(
        "update public.avito_oauth_states set created_at = now() - interval '2 hours',"
        " expires_at = now() - interval '61 minutes' where progress <> '{}'::jsonb",
    )
    expired = (await service.act(host, "progress-load", property_id=str(prop))).json()
    assert expired["progress"] is None


async def test_initial_sync_and_sync_by_property(service: Service) -> None:
    c = await connect_and_save(service, markup=15)
    for action in ("initial-sync", "sync"):
        answer = (await service.act(c.host, action, property_id=str(c.prop))).json()
        assert answer["success"] is True, answer
        assert answer["integration_id"] == c.integration_id
        assert answer["hasError"] is False
    runs = service.db.execute(
        "select trigger from public.avito_sync_runs where integration_id = %s"
        " and counts ->> 'action' is null order by id",
        (c.integration_id,),
    ).fetchall()
    assert [r["trigger"] for r in runs] == ["initial", "initial", "manual"]


async def test_concurrent_saves_of_one_listing_leave_one_integration(service: Service) -> None:
    hosts = [service.user(), service.user()]
    props = [service.property(h) for h in hosts]
    accounts = [
        (await service.connect(h, p))["account_id"] for h, p in zip(hosts, props, strict=True)
    ]
    answers = await asyncio.gather(
        *(
            service.act(
                h,
                "save-integration",
                property_id=str(p),
                account_id=a,
                item_id=service.sandbox.item_id,
            )
            for h, p, a in zip(hosts, props, accounts, strict=True)
        )
    )
    results = sorted(str(a.json().get("code", "saved")) for a in answers)
    assert results == ["ITEM_IN_USE", "saved"]
    active = service.db.execute(
        "select count(*) as n from public.integrations where avito_item_id = %s and is_active",
        (service.sandbox.item_id,),
    ).fetchone()
    assert active == {"n": 1}

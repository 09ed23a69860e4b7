"""The deployed app's whole connect flow, unchanged: callback → its own integrations upsert →
initial-sync → its queue insert (twice) → sync; and the limits of the automatic link."""

from __future__ import annotations

import uuid

from tests.api.conftest import Service
from tests.compat.app import (
    Typed,
    classify,
    insert_queue_row,
    oauth_callback,
    sync,
    upsert_integration,
)
from tests.fixtures.db import as_service_role


def linked_account(service: Service, integration: str) -> tuple[uuid.UUID | None, int]:
    row = service.db.execute(
        "select avito_account_id, avito_user_id from public.integrations where id = %s",
        (integration,),
    ).fetchone()
    assert row is not None
    return row["avito_account_id"], row["avito_user_id"]


async def test_the_apps_connect_flow_syncs_to_avito(service: Service) -> None:
    sandbox = service.sandbox
    host = service.user()
    prop = service.property(host, base_price=3000)
    connected = await oauth_callback(service, host, prop, sandbox.account_id)
    assert connected["success"] is True, connected
    today = sandbox.control.today()
    before = sandbox.control.prices(sandbox.item_id, today, today)

    form = Typed(avito_user_id=sandbox.account_id, avito_item_id=sandbox.item_id, markup=10)
    integration = upsert_integration(service, host, prop, form)
    initial = await sync(service, host, integration, "initial-sync")
    assert initial["success"] is True, initial
    assert classify(initial) == "success"
    assert linked_account(service, integration) == (
        uuid.UUID(connected["accountId"]),
        sandbox.account_id,
    )

    insert_queue_row(service, host, prop, integration)
    insert_queue_row(service, host, prop, integration)  # the app never dedupes
    queue = service.db.execute(
        "select count(*) as n, bool_and(next_sync_at <= now()) as due"
        " from public.avito_sync_queue where integration_id = %s",
        (integration,),
    ).fetchone()
    assert queue == {"n": 1, "due": True}

    again = await sync(service, host, integration)
    assert classify(again) == "success", again
    (after,) = sandbox.control.prices(sandbox.item_id, today, today)
    assert [d.night_price for d in before] != [3300]
    assert after.night_price == 3300
    assert after.minimal_duration == 2
    assert any(d.open for d in sandbox.control.calendar(sandbox.item_id, today, today))


async def test_a_typed_id_fixes_itself_when_the_host_has_one_account(service: Service) -> None:
    """docs/app-contract.md §9.8: the host typed something else than their Avito user id."""
    sandbox = service.sandbox
    host = service.user()
    prop = service.property(host)
    assert (await oauth_callback(service, host, prop, sandbox.account_id))["success"] is True
    form = Typed(avito_user_id=1234567, avito_item_id=sandbox.item_id)
    integration = upsert_integration(service, host, prop, form)
    body = await sync(service, host, integration, "initial-sync")
    assert classify(body) == "success", body
    assert linked_account(service, integration)[1] == sandbox.account_id


async def test_someone_elses_account_is_never_linked(service: Service) -> None:
    sandbox = service.sandbox
    other_account = sandbox.control.add_account("Чужой хост")
    other_listing = sandbox.control.add_listing(other_account.id)
    victim = service.user()
    victim_prop = service.property(victim)
    victim_connected = await oauth_callback(service, victim, victim_prop, other_account.id)
    victim_account = uuid.UUID(victim_connected["accountId"])
    with as_service_role(service.db) as conn:  # the victim's listings are known to the service
        conn.execute(
            "insert into public.avito_items (avito_account_id, avito_item_id) values (%s, %s)",
            (victim_account, other_listing.id),
        )

    host = service.user()
    prop = service.property(host)
    assert (await oauth_callback(service, host, prop, sandbox.account_id))["success"] is True
    form = Typed(avito_user_id=other_account.id, avito_item_id=other_listing.id)
    integration = upsert_integration(service, host, prop, form)
    assert linked_account(service, integration) == (None, other_account.id)

    body = await sync(service, host, integration, "initial-sync")
    assert body["success"] is False
    assert classify(body) == "failure"
    assert body["errorCode"] in ("ITEM_FORBIDDEN", "ITEM_NOT_FOUND")
    assert linked_account(service, integration)[0] is None
    assert [
        r.path
        for r in sandbox.control.requests()
        if str(other_listing.id) in r.path and r.method == "POST"
    ] == []


async def test_a_host_without_an_account_gets_the_reconnect_answer(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    form = Typed(avito_user_id=service.sandbox.account_id, avito_item_id=service.sandbox.item_id)
    integration = upsert_integration(service, host, prop, form)
    body = await sync(service, host, integration, "initial-sync")
    assert body["errorCode"] == "NO_ACCESS_TOKEN"
    assert body["requiresReconnect"] is True

"""Issue #10.3, replayed: listing squatting and the "is this listing connected?" oracle.

Host A types host B's public listing id into A's own integration row (the deployed app lets a
host type any id). Before the fix, `item_held_elsewhere` counted that unlinked row, so B got
ITEM_IN_USE for B's own listing; and `validate-item` answered 409 for any connected listing
before checking that the caller's account owns it.
"""

from __future__ import annotations

import uuid

from tests.api.conftest import Service
from tests.compat.app import Typed, classify, oauth_callback, sync, upsert_integration

IN_USE = "ITEM_IN_USE"


async def two_hosts(service: Service) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, int, int]:
    """A (the sandbox demo account), B and B's Avito account with one listing."""
    sandbox = service.sandbox
    b_avito = sandbox.control.add_account("Хост Б").id
    b_listing = sandbox.control.add_listing(b_avito).id
    a = service.user()
    a_prop = service.property(a)
    assert (await oauth_callback(service, a, a_prop, sandbox.account_id))["success"] is True
    return a, a_prop, service.user(), b_avito, b_listing


async def test_a_typed_foreign_listing_never_blocks_its_owner(service: Service) -> None:
    sandbox = service.sandbox
    a, a_prop, b, b_avito, b_listing = await two_hosts(service)
    # The attack: A types B's listing into A's own row and even runs the app's initial sync.
    squat = upsert_integration(
        service, a, a_prop, Typed(avito_user_id=sandbox.account_id, avito_item_id=b_listing)
    )
    refused = await sync(service, a, squat, "initial-sync")
    assert refused["success"] is False
    assert refused["errorCode"] != IN_USE
    await service.runtime.worker.run_once()  # the poller's relink refuses it too

    # B checks and connects B's own listing through the service: never "in use".
    b_prop = service.property(b)
    b_connected = await oauth_callback(service, b, b_prop, b_avito)
    assert b_connected["success"] is True
    ref = {"account_id": b_connected["accountId"], "item_id": b_listing}
    checked = await service.act(b, "validate-item", property_id=str(b_prop), **ref)
    assert (checked.status_code, checked.json().get("available")) == (200, True)
    saved = (await service.act(b, "save-integration", property_id=str(b_prop), **ref)).json()
    assert saved["success"] is True, saved
    own = saved["integration_id"]
    # And the app's own write and sync of that row keep working.
    assert (
        upsert_integration(
            service, b, b_prop, Typed(avito_user_id=b_avito, avito_item_id=b_listing)
        )
        == own
    )
    assert classify(await sync(service, b, own)) == "success"
    linked = service.db.execute(
        "select id::text, avito_account_id is not null as linked from public.integrations"
        " where avito_item_id = %s order by linked",
        (b_listing,),
    ).fetchall()
    assert [(r["id"], r["linked"]) for r in linked] == [(squat, False), (own, True)]


async def test_validate_item_is_no_oracle_for_other_hosts_listings(service: Service) -> None:
    sandbox = service.sandbox
    a, a_prop, b, b_avito_id, b_listing = await two_hosts(service)
    unconnected = sandbox.control.add_listing(b_avito_id).id
    # B connects b_listing through the service.
    b_prop = service.property(b)
    b_connected = await oauth_callback(service, b, b_prop, b_avito_id)
    saved = await service.act(
        b,
        "save-integration",
        property_id=str(b_prop),
        account_id=b_connected["accountId"],
        item_id=b_listing,
    )
    assert saved.json()["success"] is True, saved.json()

    # The probe: A asks about B's connected and B's unconnected listing with A's account.
    a_account = service.db.execute(
        "select id from public.avito_accounts where owner_id = %s", (a,)
    ).fetchone()
    assert a_account is not None
    answers = []
    for item in (b_listing, unconnected):
        answer = await service.act(
            a, "validate-item", account_id=str(a_account["id"]), item_id=item
        )
        answers.append((answer.status_code, answer.json().get("code")))
    assert answers == [(200, "ITEM_FORBIDDEN"), (200, "ITEM_FORBIDDEN")]  # indistinguishable
    save = await service.act(
        a,
        "save-integration",
        property_id=str(a_prop),
        account_id=str(a_account["id"]),
        item_id=b_listing,
    )
    assert save.json()["code"] == "ITEM_FORBIDDEN"

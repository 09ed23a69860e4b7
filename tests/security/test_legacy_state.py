"""Issue #10.7, replayed: the caller-built OAuth state (AVITO_SYNC_ACCEPT_APP_STATE=true).

The deployed app builds `state = base64({property_id, timestamp, random})` itself, so the state
proves nothing about who clicked "Allow". The attack: someone who knows a victim's property id
authorizes their own Avito account with such a state and gets the victim's app session to post
the code; the victim's property would then sync with the attacker's account. The switch stays
on for the app; what it allows is reduced instead.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

from tests.api.conftest import Service
from tests.compat.app import (
    Typed,
    app_state,
    callback,
    classify,
    consent,
    oauth_callback,
    sync,
    upsert_integration,
)
from tests.fixtures.db import as_authenticated


async def victim_connected(service: Service) -> tuple[uuid.UUID, uuid.UUID, str]:
    sandbox = service.sandbox
    victim = service.user()
    prop = service.property(victim)
    assert (await oauth_callback(service, victim, prop, sandbox.account_id))["success"] is True
    form = Typed(avito_user_id=sandbox.account_id, avito_item_id=sandbox.item_id)
    integration = upsert_integration(service, victim, prop, form)
    assert classify(await sync(service, victim, integration, "initial-sync")) == "success"
    return victim, prop, integration


async def test_a_foreign_account_cannot_be_attached_to_a_connected_property(
    service: Service,
) -> None:
    victim, prop, integration = await victim_connected(service)
    attacker_avito = service.sandbox.control.add_account("Злоумышленник").id
    # The attacker authorizes their own account with a state naming the victim's property...
    redirect, state = consent(service, prop, attacker_avito)
    # ...and the victim's session posts it (the callback page runs with the victim's JWT).
    answer = await callback(service, victim, redirect["code"], state)

    assert answer["success"] is False
    assert answer["reason"] == "account_mismatch"
    assert "другому аккаунту Avito" in answer["error"]
    accounts = service.db.execute(
        "select avito_user_id from public.avito_accounts where owner_id = %s", (victim,)
    ).fetchall()
    assert [r["avito_user_id"] for r in accounts] == [service.sandbox.account_id]
    row = service.db.execute(
        "select a.avito_user_id from public.integrations i"
        " join public.avito_accounts a on a.id = i.avito_account_id where i.id = %s",
        (integration,),
    ).fetchone()
    assert row == {"avito_user_id": service.sandbox.account_id}


async def test_the_host_changes_account_by_deleting_the_integration_first(
    service: Service,
) -> None:
    victim, prop, integration = await victim_connected(service)
    other_avito = service.sandbox.control.add_account("Второй аккаунт хоста").id
    # "Удалить интеграцию" (AvitoIntegrationForm.tsx:190) is the explicit change of account.
    with as_authenticated(service.db, victim) as conn:
        conn.execute("delete from public.integrations where id = %s", (integration,))
    redirect, state = consent(service, prop, other_avito)
    answer = await callback(service, victim, redirect["code"], state)
    assert answer["success"] is True, answer
    assert answer["avitoUserId"] == other_avito


async def test_new_flows_never_accept_a_caller_built_state(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    forged = app_state(prop)
    redirect = service.sandbox.control.authorize(
        service.sandbox.client_id, account_id=service.sandbox.account_id, state=forged
    )
    exchanged = await service.act(host, "exchange-code", code=redirect["code"], state=forged)
    assert exchanged.json()["code"] == "STATE_INVALID"
    browser = await service.http.get(
        "/oauth/avito/callback", params={"code": redirect["code"], "state": forged}
    )
    # The browser callback redeems nothing: it only hands code and state to the app's page,
    # which must redeem them with the signed-in user's JWT.
    query = parse_qs(urlsplit(browser.headers["location"]).query)
    assert query == {"code": [redirect["code"]], "state": [forged]}
    assert service.db.execute(
        "select count(*) as n from public.avito_accounts where owner_id = %s", (host,)
    ).fetchone() == {"n": 0}


async def test_status_and_accounts_name_the_attached_account(service: Service) -> None:
    victim, prop, _ = await victim_connected(service)
    status = (await service.act(victim, "status", property_id=str(prop))).json()
    assert status["avito_user_id"] == service.sandbox.account_id
    assert status["account_name"]
    assert status["account"] == {
        "id": status["account_id"],
        "name": status["account_name"],
        "avito_user_id": service.sandbox.account_id,
    }
    accounts = (await service.act(victim, "get-accounts")).json()["accounts"]
    assert [(a["avito_user_id"], a["name"]) for a in accounts] == [
        (service.sandbox.account_id, status["account_name"])
    ]

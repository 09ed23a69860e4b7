"""The deployed app, step by step, with its exact scopes, bodies and columns (docs/app-contract.md
§3-§7, §10): connect with typed ids, initial sync, rate change, markup in rubles, listing change,
reconnect after expiry, disconnect, closing the calendar. Every step asserts what the app reads.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from tests.api.conftest import Service
from tests.compat.app import (
    Typed,
    app_row,
    calendar_price,
    callback,
    classify,
    consent,
    delete_queue_rows,
    error_toasts,
    insert_queue_row,
    invoke,
    oauth_callback,
    shows_reconnect,
    sync,
    update_integration,
    upsert_integration,
)
from tests.fixtures.db import as_authenticated


def items_api_calls(service: Service) -> list[str]:
    """Calls that need `items:info`, which the app's token never has."""
    item_info = re.compile(r"^/core/v1/(items|accounts/\d+/items/\d+/?$)")
    return [r.path for r in service.sandbox.control.requests() if item_info.match(r.path)]


def posts_to(service: Service, item_id: int) -> list[str]:
    return [
        r.path
        for r in service.sandbox.control.requests()
        if r.method == "POST" and str(item_id) in r.path
    ]


async def app_connect(
    service: Service, *, base_price: int = 3000, markup: float = 10
) -> tuple[uuid.UUID, uuid.UUID, str]:
    """Callback → the modal's typed upsert → initial-sync → queue insert → sync (§4.4)."""
    sandbox = service.sandbox
    host = service.user()
    prop = service.property(host, base_price=base_price)
    connected = await oauth_callback(service, host, prop, sandbox.account_id)
    assert connected["success"] is True, connected
    form = Typed(avito_user_id=sandbox.account_id, avito_item_id=sandbox.item_id, markup=markup)
    integration = upsert_integration(service, host, prop, form)
    initial = await sync(service, host, integration, "initial-sync")
    assert initial["success"] is True, initial
    insert_queue_row(service, host, prop, integration)
    assert classify(await sync(service, host, integration)) == "success"
    return host, prop, integration


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)  # never past in Moscow


async def test_connect_with_the_apps_scopes_syncs_without_items_info(service: Service) -> None:
    sandbox = service.sandbox
    sandbox.control.clear_requests()
    host, _prop, integration = await app_connect(service, base_price=3000, markup=10)

    row = app_row(service, host, integration)
    assert row["is_active"] is True
    assert row["token_expires_at"] is not None  # the app syncs rate changes only then
    assert "messenger:read" in row["scope"]  # the Messages tab's check
    assert not shows_reconnect(row)
    assert items_api_calls(service) == []  # ownership proven with short_term_rent:read
    [price] = sandbox.control.prices(sandbox.item_id, today(), today())
    assert price.night_price == 3300 == calendar_price(3000, 10)


async def test_the_apps_queue_insert_with_its_columns_wakes_the_row(service: Service) -> None:
    host, prop, integration = await app_connect(service)
    service.db.execute(
        "update public.avito_sync_queue set next_sync_at = now() + interval '1 hour'"
        " where integration_id = %s",
        (integration,),
    )
    insert_queue_row(service, host, prop, integration)  # exactly the app's four columns
    queued = service.db.execute(
        "select count(*) as n, bool_and(next_sync_at <= now()) as due, min(status) as status"
        " from public.avito_sync_queue where integration_id = %s",
        (integration,),
    ).fetchone()
    assert queued == {"n": 1, "due": True, "status": "pending"}


async def test_a_rate_change_reaches_avito_with_the_markup(service: Service) -> None:
    host, prop, integration = await app_connect(service, markup=10)
    day = today() + dt.timedelta(days=3)
    with as_authenticated(service.db, host) as conn:  # ChangeConditionsModal.tsx:117
        conn.execute(
            "insert into public.property_rates (property_id, date, daily_price, min_stay, currency)"
            " values (%s, %s, 4000, 3, 'RUB') on conflict (property_id, date) do update"
            " set daily_price = excluded.daily_price, min_stay = excluded.min_stay",
            (prop, day),
        )
    assert classify(await sync(service, host, integration)) == "success"
    [price] = service.sandbox.control.prices(service.sandbox.item_id, day, day)
    assert (price.night_price, price.minimal_duration) == (4400, 3)


async def test_a_markup_in_rubles_is_added_to_every_price(service: Service) -> None:
    host, prop, integration = await app_connect(service, base_price=3000, markup=10)
    day = today() + dt.timedelta(days=5)
    with as_authenticated(service.db, host) as conn:
        conn.execute(
            "insert into public.property_rates (property_id, date, daily_price)"
            " values (%s, %s, 5000)",
            (prop, day),
        )
    # AvitoIntegrationForm.tsx:215: "Руб" 1500 is written as -1500 (over decimal(5,2)'s range).
    update_integration(service, host, integration, avito_markup=-1500)
    assert float(app_row(service, host, integration)["avito_markup"]) == -1500
    assert classify(await sync(service, host, integration)) == "success"
    control = service.sandbox.control
    [base_day] = control.prices(service.sandbox.item_id, today(), today())
    [rate_day] = control.prices(service.sandbox.item_id, day, day)
    assert base_day.night_price == 4500 == calendar_price(3000, -1500)
    assert rate_day.night_price == 6500 == calendar_price(5000, -1500)
    assert control.base_params(service.sandbox.item_id)["night_price"] == 4500  # type: ignore[index]

    status = (await service.act(host, "status", property_id=str(prop))).json()
    assert (status["markup"], status["markup_type"], status["markup_value"]) == (
        -1500,
        "fixed",
        1500,
    )


async def test_changing_the_listing_relinks_on_the_next_sync(service: Service) -> None:
    sandbox = service.sandbox
    host, _prop, integration = await app_connect(service)
    old_item, new_item = sandbox.item_ids
    # AvitoIntegrationForm.tsx:244: a 10-11 digit string with is_active: true, no sync call.
    update_integration(service, host, integration, avito_item_id=str(new_item), is_active=True)
    row = app_row(service, host, integration)
    assert (row["avito_item_id"], row["is_active"]) == (new_item, True)

    sandbox.control.clear_requests()
    await service.runtime.worker.run_once()  # the poller's turn: check, relink, sync
    linked = service.db.execute(
        "select avito_account_id is not null as linked from public.integrations where id = %s",
        (integration,),
    ).fetchone()
    assert linked == {"linked": True}
    assert posts_to(service, new_item)  # the new listing is priced
    assert posts_to(service, old_item) == []  # the old one is left as it is
    assert classify(await sync(service, host, integration)) == "success"


async def test_a_listing_that_is_not_the_accounts_is_refused_in_the_log(
    service: Service,
) -> None:
    sandbox = service.sandbox
    host, prop, integration = await app_connect(service)
    stranger = sandbox.control.add_account("Чужой хост")
    foreign = sandbox.control.add_listing(stranger.id)
    update_integration(service, host, integration, avito_item_id=str(foreign.id), is_active=True)
    sandbox.control.clear_requests()

    await service.runtime.worker.run_once()
    assert posts_to(service, foreign.id) == []
    [toast] = error_toasts(service, host)
    assert str(foreign.id) in toast
    assert "не найдено" in toast
    body = await sync(service, host, integration)
    assert classify(body) == "failure"
    assert body["errorCode"] == "ITEM_FORBIDDEN"

    # The host corrects the id: relinked, and the refusal no longer shows.
    own = str(sandbox.item_ids[1])
    update_integration(service, host, integration, avito_item_id=own, is_active=True)
    await service.runtime.worker.run_once()
    assert classify(await sync(service, host, integration)) == "success"
    status = (await service.act(host, "status", property_id=str(prop))).json()
    assert (status["state"], status["last_error"]) == ("synced", None)


async def test_reconnect_after_expiry_shows_the_button_then_syncs_again(
    service: Service,
) -> None:
    sandbox = service.sandbox
    host, prop, integration = await app_connect(service)
    sandbox.control.expire_tokens(account_id=sandbox.account_id, include_refresh=True)

    body = await sync(service, host, integration)
    assert classify(body) == "failure"
    row = app_row(service, host, integration)
    assert shows_reconnect(row)  # "Подключить заново"
    assert any("подключите аккаунт" in t.lower() for t in error_toasts(service, host))
    status = (await service.act(host, "status", property_id=str(prop))).json()
    assert (status["state"], status["needs_reconnect"]) == ("needs_reconnect", True)

    # The button: OAuth again, then the modal's upsert with retyped ids (§10).
    assert (await oauth_callback(service, host, prop, sandbox.account_id))["success"] is True
    assert app_row(service, host, integration)["is_active"] is True
    form = Typed(avito_user_id=sandbox.account_id, avito_item_id=sandbox.item_id)
    assert upsert_integration(service, host, prop, form) == integration
    assert (await sync(service, host, integration, "initial-sync"))["success"] is True
    assert classify(await sync(service, host, integration)) == "success"


async def test_a_host_switch_off_is_not_a_reconnect(service: Service) -> None:
    host, prop, integration = await app_connect(service)
    update_integration(service, host, integration, is_active=False)  # AvitoIntegrationForm:170
    delete_queue_rows(service, host, integration)
    assert shows_reconnect(app_row(service, host, integration))
    view = service.db.execute(
        "select connection_status from public.avito_integration_status where integration_id = %s",
        (integration,),
    ).fetchone()
    assert view == {"connection_status": "disconnected"}
    # A reconnect of the account does not switch back on what the host switched off.
    assert (await oauth_callback(service, host, prop, service.sandbox.account_id))["success"]
    assert app_row(service, host, integration)["is_active"] is False
    assert service.db.execute(
        "select count(*) as n from public.avito_sync_queue where integration_id = %s",
        (integration,),
    ).fetchone() == {"n": 0}


async def test_close_availability_before_a_property_delete(service: Service) -> None:
    sandbox = service.sandbox
    host, prop, integration = await app_connect(service)
    answer = await invoke(
        service,
        host,
        "avito-close-availability",
        {"integration_id": integration, "property_id": str(prop)},
    )
    assert (answer.status_code, answer.json()) == (200, {"success": True})
    days = sandbox.control.calendar(sandbox.item_id, today(), today() + dt.timedelta(days=30))
    assert days
    assert not any(d.open for d in days)


async def test_a_used_code_says_invalid_grant(service: Service) -> None:
    sandbox = service.sandbox
    host = service.user()
    prop = service.property(host)
    redirect, state = consent(service, prop, sandbox.account_id)
    assert (await callback(service, host, redirect["code"], state))["success"] is True
    reloaded = await callback(service, host, redirect["code"], state)  # the page re-runs
    assert reloaded["success"] is False
    assert "invalid_grant" in reloaded["error"]
    _, fresh_state = consent(service, prop, sandbox.account_id)
    replayed = await callback(service, host, redirect["code"], fresh_state)
    assert replayed["success"] is False
    assert "invalid_grant" in replayed["error"]


async def test_a_grant_without_refresh_token_connects_and_warns_before_expiry(
    service: Service,
) -> None:
    sandbox = service.sandbox
    sandbox.control.update_settings(issue_refresh_tokens=False)
    host, _prop, integration = await app_connect(service)
    assert app_row(service, host, integration)["token_expires_at"] is not None
    events = service.db.execute(
        "select kind, payload from public.notification_events"
        " where owner_id = %s and kind = 'token_expiring'",
        (host,),
    ).fetchall()
    assert len(events) == 1  # Avito's tokens live a day: the notice comes at once, once
    assert set(events[0]["payload"]) == {"account_id", "expires_at"}

    # At expiry the account needs a reconnect, visibly.
    account: Any = service.db.execute(
        "select avito_account_id from public.integrations where id = %s", (integration,)
    ).fetchone()
    service.db.execute(
        "update public.avito_accounts set token_expires_at = now() - interval '1 second'"
        " where id = %s",
        (account["avito_account_id"],),
    )
    service.runtime.tokens.forget(account["avito_account_id"])
    assert classify(await sync(service, host, integration)) == "failure"
    assert shows_reconnect(app_row(service, host, integration))


async def test_initial_sync_failures_are_non_2xx_for_the_app(service: Service) -> None:
    sandbox = service.sandbox
    # No token: the host typed ids but never connected.
    host = service.user()
    prop = service.property(host)
    form = Typed(avito_user_id=sandbox.account_id, avito_item_id=sandbox.item_id)
    lonely = upsert_integration(service, host, prop, form)
    no_token = await invoke(
        service, host, "avito_sync", {"action": "initial-sync", "integration_id": lonely}
    )
    assert no_token.status_code >= 400
    assert no_token.json()["error"]

    # Avito down during the initial sync.
    host2, _prop2, integration2 = await app_connect(service)
    sandbox.control.add_fault("getRealtyBookings", error_rates={503: 1.0})
    down = await invoke(
        service, host2, "avito_sync", {"action": "initial-sync", "integration_id": integration2}
    )
    assert down.status_code >= 500
    assert down.json()["success"] is False
    same = await invoke(
        service, host2, "avito_sync", {"action": "sync", "integration_id": integration2}
    )
    assert same.status_code == 200  # `sync` keeps 200 with the fields the app reads
    assert same.json()["hasError"] is True


async def test_save_integration_resumes_a_paused_row(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    connected = await service.connect(host, prop)
    body = {"property_id": str(prop), "account_id": connected["account_id"]}
    first = await service.act(host, "save-integration", item_id=service.sandbox.item_id, **body)
    integration = first.json()["integration_id"]
    row = app_row(service, host, integration)
    assert row["token_expires_at"] is not None  # the app's rate-change sync needs it at once
    assert row["scope"]
    service.db.execute("select avito_private.pause_integration_sync(%s, 'x')", (integration,))
    again = await service.act(host, "save-integration", item_id=service.sandbox.item_id, **body)
    assert again.json()["sync"]["success"] is True, again.json()


async def test_listings_without_items_scope_come_from_what_was_checked(service: Service) -> None:
    host, _prop, integration = await app_connect(service)
    account: Any = service.db.execute(
        "select avito_account_id from public.integrations where id = %s", (integration,)
    ).fetchone()
    service.sandbox.control.clear_requests()
    answer = await service.act(
        host, "get-items", account_id=str(account["avito_account_id"]), refresh=True
    )
    assert answer.json()["success"] is True
    assert [i["id"] for i in answer.json()["items"]] == [service.sandbox.item_id]
    assert items_api_calls(service) == []

"""The connect modal end to end: authorize URL, the sandbox's consent page over HTTP, the
one-time exchange, accounts and listings, validation, save with initial sync, status."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.api.conftest import Service


async def test_full_connect_flow(service: Service) -> None:
    host = service.user()
    prop = service.property(host)

    url = (await service.act(host, "oauth-url", property_id=str(prop))).json()
    assert url["success"] is True
    query = parse_qs(urlsplit(url["url"]).query)
    assert query["state"] == [url["state"]]
    assert query["client_id"] == [service.sandbox.client_id]

    redirect = await service.consent(url["url"])
    assert redirect["state"] == url["state"]
    exchange = await service.act(
        host, "exchange-code", code=redirect["code"], state=redirect["state"]
    )
    exchanged = exchange.json()
    assert exchanged["success"] is True, exchanged
    assert exchanged["avito_user_id"] == service.sandbox.account_id
    assert exchanged["accounts"][0]["id"] == exchanged["account_id"]
    assert exchanged["accounts"][0]["is_primary"] is True
    assert exchanged["expires_in"] > 0
    account_id = exchanged["account_id"]
    vault = service.db.execute(
        "select access_token, refresh_token from avito_private.read_account_tokens(%s)",
        (account_id,),
    ).fetchone()
    assert vault is not None
    assert vault["access_token"]
    assert vault["refresh_token"]
    assert vault["access_token"] not in exchange.text
    assert vault["refresh_token"] not in exchange.text

    accounts = (await service.act(host, "get-accounts")).json()
    assert [a["id"] for a in accounts["accounts"]] == [account_id]

    items = (await service.act(host, "get-items", account_id=account_id)).json()
    assert items["success"] is True, items
    ids = {i["id"] for i in items["items"]}
    assert set(service.sandbox.item_ids) <= ids
    cached = (await service.act(host, "get-items", account_id=account_id)).json()
    assert cached["cached"] is True
    assert {i["id"] for i in cached["items"]} == ids

    valid = await service.act(
        host, "validate-item", account_id=account_id, item_id=str(service.sandbox.item_id)
    )
    assert valid.status_code == 200
    assert valid.json()["available"] is True

    saved = (
        await service.act(
            host,
            "save-integration",
            property_id=str(prop),
            account_id=account_id,
            item_id=service.sandbox.item_id,
            markup=10,
        )
    ).json()
    assert saved["success"] is True, saved
    assert saved["sync"]["status"] in ("success", "partial"), saved["sync"]
    assert saved["status"]["state"] == "synced"
    assert saved["status"]["markup"] == 10.0
    # The price reached Avito with the markup: 3000 * 1.10.
    base = service.sandbox.control.base_params(service.sandbox.item_id)
    assert base is not None
    assert base["night_price"] == 3300

    queue = service.db.execute(
        "select count(*) as n from public.avito_sync_queue where integration_id = %s",
        (saved["integration_id"],),
    ).fetchone()
    assert queue is not None
    assert queue["n"] == 1

    status = (await service.act(host, "status", property_id=str(prop))).json()
    assert status["connected"] is True
    assert status["integration_id"] == saved["integration_id"]
    assert status["needs_reconnect"] is False
    assert status["last_sync_at"] is not None
    assert status["token_expires_at"] is not None

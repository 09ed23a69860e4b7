"""The deployed app's functions keep their shapes: `avito_sync` and
`avito-close-availability` (the callback is covered in test_oauth.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from tests.api.conftest import Service
from tests.api.test_integrations import connect_and_save

LEGACY_SYNC = "/functions/v1/avito_sync"
CLOSE = "/functions/v1/avito-close-availability"


async def post(service: Service, path: str, user: Any, body: dict[str, Any]) -> httpx.Response:
    return await service.http.post(path, json=body, headers=service.headers(user))


async def test_legacy_sync_success_shape(service: Service) -> None:
    c = await connect_and_save(service)
    for action in ("sync", "initial-sync"):
        answer = await post(
            service, LEGACY_SYNC, c.host, {"action": action, "integration_id": c.integration_id}
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["success"] is True, body
        assert body["hasError"] is False
        assert body["hasData"] is True
        assert body["pushSuccess"] is True
        assert body["pricesPushSuccess"] is True
        assert body["intervalsPushSuccess"] is True
        assert body["errors"] == []
        assert isinstance(body["warnings"], list)


async def test_legacy_sync_failure_lists_errors_per_operation(service: Service) -> None:
    c = await connect_and_save(service)
    service.db.execute(
        "update public.integrations set avito_markup = 30 where id = %s", (c.integration_id,)
    )
    service.sandbox.control.add_fault("postRealtyPrices", error_rates={500: 1.0})
    body = (
        await post(
            service, LEGACY_SYNC, c.host, {"action": "sync", "integration_id": c.integration_id}
        )
    ).json()
    assert body["hasError"] is True
    assert body["pushSuccess"] is False
    assert body["pricesPushSuccess"] is False
    assert body["error"]
    entry = next(e for e in body["errors"] if e["operation"] == "price_update")
    assert entry["statusCode"] == 500
    assert entry["errorCode"] == "500"  # Avito's own code from the body, not ours (avito_server)


async def test_legacy_sync_inactive_and_no_token_shapes(service: Service) -> None:
    c = await connect_and_save(service)
    service.db.execute(
        "update public.avito_accounts set status = 'needs_reconnect' where id = %s",
        (c.account_id,),
    )
    no_token = (
        await post(
            service, LEGACY_SYNC, c.host, {"action": "sync", "integration_id": c.integration_id}
        )
    ).json()
    assert no_token["success"] is False
    assert no_token["errorCode"] == "NO_ACCESS_TOKEN"
    assert no_token["requiresReconnect"] is True
    service.db.execute(
        "update public.integrations set is_active = false where id = %s", (c.integration_id,)
    )
    inactive = (
        await post(
            service, LEGACY_SYNC, c.host, {"action": "sync", "integration_id": c.integration_id}
        )
    ).json()
    assert inactive == {"success": False, "error": "Integration not found or inactive"}
    missing_ref = await post(service, LEGACY_SYNC, c.host, {"action": "sync"})
    assert missing_ref.status_code == 400
    retired = await post(service, LEGACY_SYNC, c.host, {"action": "refresh-expired-tokens"})
    assert retired.status_code == 410
    assert retired.json()["code"] == "ACTION_GONE"


async def test_close_availability_closes_the_year(service: Service) -> None:
    c = await connect_and_save(service)
    body = {"integration_id": c.integration_id, "property_id": str(c.prop)}
    answer = await post(service, CLOSE, c.host, body)
    assert answer.json() == {"success": True}
    today = dt.date.today()
    days = service.sandbox.control.calendar(
        service.sandbox.item_id, today + dt.timedelta(days=1), today + dt.timedelta(days=300)
    )
    assert days
    assert not any(day.open for day in days)


async def test_close_availability_reports_paid_conflict(service: Service) -> None:
    c = await connect_and_save(service)
    service.sandbox.control.add_fault("putIntervals", error_rates={409: 1.0})
    answer = await post(service, CLOSE, c.host, {"integration_id": c.integration_id})
    assert answer.status_code == 200
    assert answer.json()["success"] is False
    assert answer.json()["error"] == "paid_conflict"
    assert answer.json()["message"] == "Avito: Есть оплаченные брони — верните деньги вручную"

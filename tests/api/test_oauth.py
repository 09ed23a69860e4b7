"""OAuth state and code: single use, bound to the user, tamper-proof, expiring; the
browser-redirect callback; the legacy callback function."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

from avito_sync.api.oauth_state import issue_state
from tests.api.conftest import APP_REDIRECT, STATE_SECRET, Service


def token_exchanges(service: Service) -> int:
    return sum(
        1
        for entry in service.sandbox.control.requests()
        if entry.path.endswith("/token") and entry.method == "POST"
    )


async def authorize(service: Service, user: uuid.UUID, prop: uuid.UUID) -> dict[str, str]:
    url = (await service.act(user, "oauth-url", property_id=str(prop))).json()
    return await service.consent(url["url"])


async def test_replayed_state_never_reaches_avito(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    redirect = await authorize(service, host, prop)
    first = await service.act(host, "exchange-code", **redirect)
    assert first.json()["success"] is True
    exchanges = token_exchanges(service)
    again = await service.act(host, "exchange-code", **redirect)
    assert again.status_code == 200
    assert again.json()["success"] is False
    assert again.json()["code"] == "STATE_USED"
    assert "заново" in again.json()["message"]
    assert token_exchanges(service) == exchanges


async def test_replayed_code_with_a_new_state_is_a_clear_error(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    redirect = await authorize(service, host, prop)
    assert (await service.act(host, "exchange-code", **redirect)).json()["success"] is True
    fresh = (await service.act(host, "oauth-url", property_id=str(prop))).json()["state"]
    replay = (await service.act(host, "exchange-code", code=redirect["code"], state=fresh)).json()
    assert replay["success"] is False
    assert replay["code"] == "CODE_INVALID"


async def test_state_of_another_user_is_rejected_and_not_consumed(service: Service) -> None:
    host, intruder = service.user(), service.user()
    prop = service.property(host)
    redirect = await authorize(service, host, prop)
    stolen = (await service.act(intruder, "exchange-code", **redirect)).json()
    assert stolen["success"] is False
    assert stolen["code"] == "STATE_INVALID"
    assert (await service.act(host, "exchange-code", **redirect)).json()["success"] is True


async def test_tampered_forged_and_expired_states(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    redirect = await authorize(service, host, prop)
    payload, mac = redirect["state"].split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["p"] = str(service.property(host))
    tampered = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    now = dt.datetime.now(dt.UTC)
    # Signed with our secret but never issued by the service: no row, so not redeemable.
    unissued, _ = issue_state(STATE_SECRET, host, prop, now)
    expired, _ = issue_state(STATE_SECRET, host, prop, now - dt.timedelta(hours=2))
    forged, _ = issue_state("another-secret-" + "y" * 32, host, prop, now)
    cases = {
        f"{tampered}.{mac}": "STATE_INVALID",
        unissued: "STATE_INVALID",
        forged: "STATE_INVALID",
        expired: "STATE_EXPIRED",
        "bm90IGEgc3RhdGU": "STATE_INVALID",
    }
    for state, code in cases.items():
        answer = await service.act(host, "exchange-code", code=redirect["code"], state=state)
        assert answer.json()["code"] == code, state
    assert (await service.act(host, "exchange-code", **redirect)).json()["success"] is True


async def test_state_row_expires_after_an_hour(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    redirect = await authorize(service, host, prop)
    service.db.execute(
        "update public.avito_oauth_states set created_at = now() - interval '2 hours',"
        " expires_at = now() - interval '1 hour 1 minute' where owner_id = %s",
        (host,),
    )
    answer = (await service.act(host, "exchange-code", **redirect)).json()
    assert answer["code"] == "STATE_INVALID"


async def test_oauth_url_needs_the_callers_property(service: Service) -> None:
    host, other = service.user(), service.user()
    prop = service.property(other)
    answer = await service.act(host, "oauth-url", property_id=str(prop))
    assert answer.status_code == 403
    assert answer.json()["code"] == "NOT_OWNER"
    missing = await service.act(host, "oauth-url", property_id=str(uuid.uuid4()))
    assert missing.status_code == 403


async def test_browser_callback_forwards_to_the_app_which_exchanges_with_its_jwt(
    service: Service,
) -> None:
    host = service.user()
    prop = service.property(host)
    redirect = await authorize(service, host, prop)
    exchanges = token_exchanges(service)
    answer = await service.http.get("/oauth/avito/callback", params=redirect)
    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == APP_REDIRECT
    forwarded = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert forwarded == {"code": redirect["code"], "state": redirect["state"]}
    assert token_exchanges(service) == exchanges  # nothing redeemed without a session
    # The app's callback page: avito-oauth-callback with the user's JWT and its redirect_uri.
    body = {**forwarded, "redirect_uri": APP_REDIRECT}
    done = await service.http.post(
        "/functions/v1/avito-oauth-callback", json=body, headers=service.headers(host)
    )
    assert done.json()["success"] is True, done.json()
    row = service.db.execute(
        "select owner_id, status from public.avito_accounts where id = %s",
        (done.json()["accountId"],),
    ).fetchone()
    assert row == {"owner_id": host, "status": "active"}


async def test_browser_callback_keeps_avitos_error(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    url = (await service.act(host, "oauth-url", property_id=str(prop))).json()
    denied = await service.consent(url["url"], allow=False)
    assert denied["error"] == "access_denied"
    answer = await service.http.get("/oauth/avito/callback", params=denied)
    assert answer.status_code == 303
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["error_description"] == [denied["error_description"]]


def legacy_state(prop: uuid.UUID, *, at: float | None = None) -> str:
    """What the deployed app builds: base64 JSON, unsigned, timestamp in milliseconds."""
    data = {"property_id": str(prop), "timestamp": int((at or time.time()) * 1000), "random": "x1"}
    return base64.b64encode(json.dumps(data).encode()).decode()


async def test_legacy_callback_with_the_apps_own_state(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    state = legacy_state(prop, at=time.time() + 120)  # the browser's clock runs ahead
    redirect = service.sandbox.control.authorize(
        service.sandbox.client_id, account_id=service.sandbox.account_id, state=state
    )
    body = {"code": redirect["code"], "state": state, "redirect_uri": service.sandbox.redirect_uri}
    answer = await service.http.post(
        "/functions/v1/avito-oauth-callback", json=body, headers=service.headers(host)
    )
    assert answer.json() == {
        "success": True,
        "avitoUserId": service.sandbox.account_id,
        "avitoAccountName": answer.json()["avitoAccountName"],
        "avitoUserIdMissing": False,
        "accountId": answer.json()["accountId"],
        "propertyId": str(prop),
    }
    replay = await service.http.post(
        "/functions/v1/avito-oauth-callback", json=body, headers=service.headers(host)
    )
    assert replay.json()["success"] is False
    assert replay.json()["reason"] == "state_used"


async def test_legacy_callback_failures_use_the_apps_reasons(service: Service) -> None:
    host, other = service.user(), service.user()
    prop = service.property(host)
    url = "/functions/v1/avito-oauth-callback"
    headers = service.headers(host)

    async def reason(**body: str) -> str:
        answer = await service.http.post(url, json=body, headers=headers)
        assert answer.status_code == 200
        assert answer.json()["success"] is False
        return str(answer.json()["reason"])

    assert await reason(
        code="c", state=legacy_state(prop), redirect_uri="https://evil.example/"
    ) == ("invalid_redirect_uri")
    assert await reason(code="c", state=legacy_state(prop, at=time.time() - 7200)) == (
        "state_expired"
    )
    assert await reason(code="c", state=legacy_state(service.property(other))) == "forbidden"
    assert await reason(code="never-issued", state=legacy_state(prop)) == "invalid_grant"
    signed = await authorize(service, host, prop)
    assert await reason(code="never-issued", state=signed["state"]) == "invalid_grant"


async def test_app_built_states_can_be_switched_off(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    service.context.settings.accept_app_state = False
    state = legacy_state(prop)
    redirect = service.sandbox.control.authorize(
        service.sandbox.client_id, account_id=service.sandbox.account_id, state=state
    )
    answer = await service.http.post(
        "/functions/v1/avito-oauth-callback",
        json={"code": redirect["code"], "state": state},
        headers=service.headers(host),
    )
    assert answer.json()["reason"] == "invalid_state"
    signed = await authorize(service, host, prop)
    answer = await service.http.post(
        "/functions/v1/avito-oauth-callback", json=signed, headers=service.headers(host)
    )
    assert answer.json()["success"] is True


async def test_concurrent_exchanges_of_one_state_reach_avito_once(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    redirect = await authorize(service, host, prop)
    exchanges = token_exchanges(service)
    answers = await asyncio.gather(
        *(service.act(host, "exchange-code", **redirect) for _ in range(4))
    )
    outcomes = sorted(str(a.json().get("code", "ok")) for a in answers)
    assert outcomes == ["STATE_USED", "STATE_USED", "STATE_USED", "ok"]
    assert token_exchanges(service) == exchanges + 1


async def test_expired_states_are_cleaned_up_on_the_next_issue(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    await service.act(host, "oauth-url", property_id=str(prop))
    service.db.execute(
        "update public.avito_oauth_states set created_at = now() - interval '2 hours',"
        " expires_at = now() - interval '61 minutes' where owner_id = %s",
        (host,),
    )
    fresh = (await service.act(host, "oauth-url", property_id=str(prop))).json()
    rows = service.db.execute(
        "select expires_at > now() as live from public.avito_oauth_states where owner_id = %s",
        (host,),
    ).fetchall()
    assert rows == [{"live": True}]
    redirect = await service.consent(fresh["url"])
    assert (await service.act(host, "exchange-code", **redirect)).json()["success"] is True

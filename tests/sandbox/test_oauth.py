"""OAuth consent, code exchange, refresh rotation and token expiry, over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from avito_sync.local import avito_spec as specs
from tests.fixtures.sandbox import Sandbox
from tests.sandbox.conftest import Api

SCOPES = "user:read,short_term_rent:read,short_term_rent:write,items:info"


def _consent(http: httpx.Client, sandbox: Sandbox, **overrides: str) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": sandbox.client_id,
        "scope": SCOPES,
        "state": "csrf-123",
        **overrides,
    }
    return http.get("/oauth", params=params)


def _decide(http: httpx.Client, sandbox: Sandbox, decision: str, **extra: str) -> httpx.Response:
    form = {
        "client_id": sandbox.client_id,
        "scope": SCOPES,
        "state": "csrf-123",
        "account_id": str(sandbox.account_id),
        "decision": decision,
        **extra,
    }
    return http.post("/oauth/decision", data=form)


def _query(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["location"]).query)


def _exchange(http: httpx.Client, sandbox: Sandbox, code: str) -> httpx.Response:
    return http.post(
        "/token/",
        data={
            "grant_type": "authorization_code",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "code": code,
        },
    )


def _refresh(http: httpx.Client, sandbox: Sandbox, refresh_token: str) -> httpx.Response:
    return http.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "refresh_token": refresh_token,
        },
    )


def _code(http: httpx.Client, sandbox: Sandbox) -> str:
    return _query(_decide(http, sandbox, "allow"))["code"][0]


def test_consent_page_names_the_app_and_accounts(http: httpx.Client, sandbox: Sandbox) -> None:
    response = _consent(http, sandbox, redirect_uri=sandbox.redirect_uri)
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert 'action="/oauth/decision"' in response.text
    assert f'value="{sandbox.account_id}"' in response.text
    assert 'value="csrf-123"' in response.text


def test_allow_redirects_with_code_and_unchanged_state(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    response = _decide(http, sandbox, "allow", state="a b&c=d")
    location = response.headers["location"]
    assert location.startswith(sandbox.redirect_uri + "?")
    query = _query(response)
    assert query["state"] == ["a b&c=d"]
    assert len(query["code"][0]) >= 20


def test_deny_redirects_with_access_denied(http: httpx.Client, sandbox: Sandbox) -> None:
    query = _query(_decide(http, sandbox, "deny"))
    assert query["error"] == ["access_denied"]
    assert query["error_description"][0]
    assert query["state"] == ["csrf-123"]
    assert "code" not in query


def test_unknown_client_or_redirect_gets_an_error_page_and_no_redirect(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    unknown_client = _consent(http, sandbox, client_id="nobody-registered-this-id")
    wrong_redirect = _consent(http, sandbox, redirect_uri="https://evil.example/cb")
    unapproved_scope = _consent(http, sandbox, scope="user:read,job:cv")
    posted = _decide(http, sandbox, "allow", redirect_uri="https://evil.example/cb")
    for response in (unknown_client, wrong_redirect, unapproved_scope, posted):
        assert response.status_code == 400
        assert "location" not in response.headers
        assert "text/html" in response.headers["content-type"]


def test_code_exchange_returns_tokens_with_scope(http: httpx.Client, sandbox: Sandbox) -> None:
    response = _exchange(http, sandbox, _code(http, sandbox))
    assert response.status_code == 200
    body = response.json()
    assert specs.validate_response("getAccessTokenAuthorizationCode", 200, body) == []
    assert body["expires_in"] == 86400
    assert body["token_type"] == "Bearer"
    assert body["scope"] == SCOPES
    assert body["refresh_token"] != body["access_token"]


def test_code_is_single_use(http: httpx.Client, sandbox: Sandbox) -> None:
    code = _code(http, sandbox)
    assert _exchange(http, sandbox, code).status_code == 200
    again = _exchange(http, sandbox, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert again.json()["error_description"]


def test_code_expires_after_ten_minutes(http: httpx.Client, sandbox: Sandbox) -> None:
    fresh, stale = _code(http, sandbox), _code(http, sandbox)
    sandbox.control.advance_clock(9 * 60)
    assert _exchange(http, sandbox, fresh).status_code == 200
    sandbox.control.advance_clock(61)
    expired = _exchange(http, sandbox, stale)
    assert expired.status_code == 400
    assert expired.json()["error"] == "invalid_grant"


def test_refresh_rotates_and_the_old_refresh_token_dies(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    first = _exchange(http, sandbox, _code(http, sandbox)).json()
    second = _refresh(http, sandbox, first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert specs.validate_response("refreshAccessTokenAuthorizationCode", 200, rotated) == []
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    assert rotated["scope"] == SCOPES
    reused = _refresh(http, sandbox, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert _refresh(http, sandbox, rotated["refresh_token"]).status_code == 200


def test_refresh_reuse_switch_keeps_the_old_token_valid(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.control.update_settings(refresh_reuse=True)
    first = _exchange(http, sandbox, _code(http, sandbox)).json()
    assert _refresh(http, sandbox, first["refresh_token"]).status_code == 200
    assert _refresh(http, sandbox, first["refresh_token"]).status_code == 200


def test_client_credentials_has_no_refresh_token(api: Api, http: httpx.Client) -> None:
    response = http.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": api.sandbox.client_id,
            "client_secret": api.sandbox.client_secret,
        },
    )
    body = response.json()
    assert specs.validate_response("getAccessToken", 200, body) == []
    assert set(body) == {"access_token", "expires_in", "token_type"}


def test_wrong_secret_is_invalid_client(http: httpx.Client, sandbox: Sandbox) -> None:
    for grant in ("client_credentials", "authorization_code", "refresh_token"):
        response = http.post(
            "/token",
            data={
                "grant_type": grant,
                "client_id": sandbox.client_id,
                "client_secret": "wrong",
                "code": "x",
                "refresh_token": "y",
            },
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"


def test_token_request_errors_are_oauth_style(http: httpx.Client, sandbox: Sandbox) -> None:
    missing = http.post("/token", data={"client_id": sandbox.client_id})
    unsupported = http.post("/token", data={"grant_type": "password"})
    no_code = http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        },
    )
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    assert (unsupported.status_code, unsupported.json()["error"]) == (
        400,
        "unsupported_grant_type",
    )
    assert (no_code.status_code, no_code.json()["error"]) == (400, "invalid_request")


def test_expired_access_token_gets_403_everywhere(api: Api, sandbox: Sandbox) -> None:
    self_path = "/core/v1/accounts/self"
    assert api.call("getUserInfoSelf", "GET", self_path).status_code == 200
    sandbox.control.advance_clock(86400)
    expired = api.call("getUserInfoSelf", "GET", self_path)
    items = api.call("getItemsInfo", "GET", "/core/v1/items")
    intervals = api.intervals({"item_id": sandbox.item_id, "intervals": []})
    assert [expired.status_code, items.status_code, intervals.status_code] == [403, 403, 403]
    assert (
        api.call("getUserInfoSelf", "GET", self_path, token=api.client_credentials()).status_code
        == 200
    )


def test_tokens_expire_on_demand(api: Api, sandbox: Sandbox) -> None:
    other = api.client_credentials()
    result = sandbox.control.expire_tokens(access_token=api.token)
    assert result.access_tokens == 1
    assert api.call("getUserInfoSelf", "GET", "/core/v1/accounts/self").status_code == 403
    assert (
        api.call("getUserInfoSelf", "GET", "/core/v1/accounts/self", token=other).status_code == 200
    )
    sandbox.control.expire_tokens(account_id=sandbox.account_id)
    assert (
        api.call("getUserInfoSelf", "GET", "/core/v1/accounts/self", token=other).status_code == 403
    )


def test_configured_token_ttl_is_reported_and_enforced(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.control.update_settings(token_ttl_seconds=60)
    body = _exchange(http, sandbox, _code(http, sandbox)).json()
    assert body["expires_in"] == 60
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert http.get("/core/v1/accounts/self", headers=headers).status_code == 200
    sandbox.control.advance_clock(60)
    assert http.get("/core/v1/accounts/self", headers=headers).status_code == 403


def test_missing_or_unknown_token_is_401(http: httpx.Client) -> None:
    assert http.get("/core/v1/accounts/self").status_code == 401
    unknown = http.get("/core/v1/accounts/self", headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401
    assert unknown.json() == {"error": {"code": 401, "message": unknown.json()["error"]["message"]}}


def test_scopes_granted_are_enforced(http: httpx.Client, sandbox: Sandbox) -> None:
    form = {
        "client_id": sandbox.client_id,
        "scope": "short_term_rent:read",
        "account_id": str(sandbox.account_id),
        "decision": "allow",
    }
    code = _query(http.post("/oauth/decision", data=form))["code"][0]
    token = _exchange(http, sandbox, code).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    no_user_read = http.get("/core/v1/accounts/self", headers=headers)
    no_items = http.get("/core/v1/items", headers=headers)
    no_write = http.post(
        "/realty/v1/items/intervals",
        headers=headers,
        json={"item_id": sandbox.item_id, "intervals": []},
    )
    assert [no_user_read.status_code, no_items.status_code, no_write.status_code] == [403, 403, 403]
    assert no_items.json()["code"] == "403"  # items errors are flat
    ok = http.get(
        f"/realty/v1/accounts/{sandbox.account_id}/items/{sandbox.item_id}/bookings",
        headers=headers,
        params={"date_start": "2099-01-01", "date_end": "2099-01-02"},
    )
    assert ok.status_code == 200


APP_SCOPES = "user:read,short_term_rent:read,short_term_rent:write,messenger:read,messenger:write"


def test_a_wrong_token_on_a_short_term_rent_operation_is_403_as_the_spec_lists(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    """str.json lists 403, never 401, for its operations (issue #9.1)."""
    path = f"/realty/v1/accounts/{sandbox.account_id}/items/{sandbox.item_id}/bookings"
    query = {"date_start": "2099-01-01", "date_end": "2099-01-02"}
    for headers in ({}, {"Authorization": "Bearer garbage"}):
        answer = http.get(path, params=query, headers=headers)
        assert answer.status_code == 403
        assert specs.validate_response("getRealtyBookings", 403, answer.json()) == []
        intervals = http.post(
            "/realty/v1/items/intervals",
            json={"item_id": sandbox.item_id, "intervals": []},
            headers=headers,
        )
        assert intervals.status_code == 403


def test_scopes_are_enforced_per_operation(http: httpx.Client, sandbox: Sandbox) -> None:
    """The deployed app's grant reads bookings and the account, never the items API."""
    code = _query(_decide(http, sandbox, "allow", scope=APP_SCOPES))["code"][0]
    body = _exchange(http, sandbox, code).json()
    assert body["scope"] == APP_SCOPES
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    bookings = http.get(
        f"/realty/v1/accounts/{sandbox.account_id}/items/{sandbox.item_id}/bookings",
        params={"date_start": "2099-01-01", "date_end": "2099-01-02"},
        headers=headers,
    )
    me = http.get("/core/v1/accounts/self", headers=headers)
    items = http.get("/core/v1/items", headers=headers)
    item = http.get(
        f"/core/v1/accounts/{sandbox.account_id}/items/{sandbox.item_id}/", headers=headers
    )
    assert [bookings.status_code, me.status_code] == [200, 200]
    assert [items.status_code, item.status_code] == [403, 403]


def test_a_grant_may_come_without_a_refresh_token(http: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.control.update_settings(issue_refresh_tokens=False)
    body = _exchange(http, sandbox, _code(http, sandbox)).json()
    assert "refresh_token" not in body
    assert specs.validate_response("getAccessTokenAuthorizationCode", 200, body) == []

"""The whole OAuth flow against the sandbox over HTTP, and how token-endpoint errors map."""

from __future__ import annotations

import pytest

from avito_sync.avito.auth import StaticToken
from avito_sync.avito.client import AvitoClient
from avito_sync.avito.errors import InvalidClientError, InvalidGrantError, ServerError
from avito_sync.avito.stats import track_calls
from tests.avito.browser import consent
from tests.avito.conftest import private_client, sandbox_settings
from tests.fixtures.sandbox import Sandbox


def _token_requests(sandbox: Sandbox, operation_id: str) -> int:
    return sum(1 for r in sandbox.control.requests() if r.operation_id == operation_id)


async def test_consent_exchange_self_refresh_rotation_and_reuse(
    client: AvitoClient, sandbox: Sandbox
) -> None:
    target, query = await consent(client.authorize_url("csrf-state-42"))
    assert target == sandbox.redirect_uri
    assert query["state"] == "csrf-state-42"
    code = query["code"]

    token = await client.exchange_code(code)
    assert token.refresh_token is not None
    assert token.expires_in == 86400
    assert set(token.scopes) == {
        "user:read",
        "short_term_rent:read",
        "short_term_rent:write",
        "items:info",
    }
    me = await client.get_self(StaticToken(token.access_token.get_secret_value(), "host"))
    assert me.id == sandbox.account_id

    rotated = await client.refresh(token.refresh_token)
    assert rotated.refresh_token is not None
    assert rotated.refresh_token.get_secret_value() != token.refresh_token.get_secret_value()
    assert rotated.access_token.get_secret_value() != token.access_token.get_secret_value()
    fresh = StaticToken(rotated.access_token.get_secret_value(), "host")
    assert (await client.get_self(fresh)).id == sandbox.account_id

    with pytest.raises(InvalidGrantError) as old_refresh:
        await client.refresh(token.refresh_token)
    assert old_refresh.value.error == "invalid_grant"

    before = _token_requests(sandbox, "getAccessTokenAuthorizationCode")
    with track_calls() as calls, pytest.raises(InvalidGrantError) as reused:
        await client.exchange_code(code)
    assert reused.value.status == 400
    assert calls.requests == 1
    assert _token_requests(sandbox, "getAccessTokenAuthorizationCode") == before + 1


async def test_denied_consent_redirects_with_error_and_state(
    client: AvitoClient, sandbox: Sandbox
) -> None:
    target, query = await consent(client.authorize_url("s-9"), allow=False)
    assert target == sandbox.redirect_uri
    assert query["error"] == "access_denied"
    assert query["state"] == "s-9"
    assert "code" not in query


async def test_code_exchange_is_never_retried(client: AvitoClient, sandbox: Sandbox) -> None:
    _, query = await consent(client.authorize_url("s"))
    sandbox.control.add_fault("getAccessTokenAuthorizationCode", error_rates={503: 1.0}, times=1)
    with track_calls() as calls, pytest.raises(ServerError):
        await client.exchange_code(query["code"])
    assert calls.requests == 1
    assert _token_requests(sandbox, "getAccessTokenAuthorizationCode") == 1


async def test_refresh_is_not_repeated_after_a_5xx_but_is_after_a_429(
    client: AvitoClient, sandbox: Sandbox
) -> None:
    _, query = await consent(client.authorize_url("s"))
    token = await client.exchange_code(query["code"])
    assert token.refresh_token is not None
    sandbox.control.add_fault(
        "refreshAccessTokenAuthorizationCode", error_rates={500: 1.0}, times=1
    )
    with track_calls() as calls, pytest.raises(ServerError):
        await client.refresh(token.refresh_token)
    assert calls.requests == 1
    sandbox.control.add_fault("refreshAccessTokenAuthorizationCode", rate_limit_rate=1.0, times=1)
    with track_calls() as calls:
        rotated = await client.refresh(token.refresh_token)
    assert (calls.requests, calls.retries) == (2, 1)
    assert rotated.refresh_token is not None


async def test_client_credentials_has_no_refresh_token_and_is_retried(
    client: AvitoClient, sandbox: Sandbox
) -> None:
    sandbox.control.add_fault("getAccessToken", error_rates={503: 1.0}, times=1)
    with track_calls() as calls:
        token = await client.client_credentials()
    assert calls.requests == 2
    assert token.refresh_token is None
    me = await client.get_self(StaticToken(token.access_token.get_secret_value(), "app"))
    assert me.id == sandbox.account_id


async def test_wrong_client_secret_is_invalid_client(sandbox: Sandbox) -> None:
    settings = sandbox_settings(sandbox, client_secret="not-the-right-secret")
    async with private_client(settings) as client:
        with pytest.raises(InvalidClientError) as info:
            await client.client_credentials()
    assert info.value.error == "invalid_client"
    assert "not-the-right-secret" not in str(info.value)

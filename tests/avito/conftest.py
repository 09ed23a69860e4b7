"""Fixtures for the client's integration tests: a client pointed at the real sandbox over HTTP,
and tokens obtained through the real OAuth flow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from avito_sync.avito.auth import StaticToken
from avito_sync.avito.client import AvitoClient
from avito_sync.avito.ratelimit import RateLimiter, RateLimits
from avito_sync.avito.settings import AvitoSettings
from tests.avito.browser import consent
from tests.avito.tokens import ConnectionTokens
from tests.fixtures.sandbox import Sandbox


def sandbox_settings(sandbox: Sandbox, **overrides: Any) -> AvitoSettings:
    """Fast retries and generous client-side limits, so tests exercise the sandbox's behaviour;
    the rate-limit tests set their own limits."""
    values: dict[str, Any] = {
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "redirect_uri": sandbox.redirect_uri,
        "api_base_url": sandbox.base_url,
        "oauth_base_url": sandbox.base_url,
        "max_attempts": 3,
        "backoff_base_seconds": 0.01,
        "backoff_max_seconds": 0.05,
        "connect_timeout_seconds": 2.0,
        "read_timeout_seconds": 2.0,
        "account_rate_per_second": 1000.0,
        "account_burst": 1000,
        "app_rate_per_second": 1000.0,
        "app_burst": 1000,
        "items_burst": 20,
        **overrides,
    }
    return AvitoSettings(**values)


def private_client(settings: AvitoSettings, **kwargs: Any) -> AvitoClient:
    """A client with its own limiter so one test's requests never slow another's."""
    limiter = kwargs.pop("rate_limiter", None) or RateLimiter(RateLimits.from_settings(settings))
    return AvitoClient(settings, rate_limiter=limiter, **kwargs)


@pytest.fixture
def avito_settings(sandbox: Sandbox) -> AvitoSettings:
    return sandbox_settings(sandbox)


@pytest.fixture
async def client(avito_settings: AvitoSettings) -> AsyncIterator[AvitoClient]:
    async with private_client(avito_settings) as avito:
        yield avito


async def connect(client: AvitoClient, sandbox: Sandbox, state: str = "st") -> ConnectionTokens:
    """The host's OAuth connection: consent over HTTP, then the code exchange."""
    _, query = await consent(client.authorize_url(state), account_id=sandbox.account_id)
    token = await client.exchange_code(query["code"])
    return ConnectionTokens(client, token, account_key=f"acct-{sandbox.account_id}")


@pytest.fixture
async def tokens(client: AvitoClient, sandbox: Sandbox) -> ConnectionTokens:
    return await connect(client, sandbox)


@pytest.fixture
async def app_token(client: AvitoClient, sandbox: Sandbox) -> StaticToken:
    """The demo application's client_credentials token (acts as the demo account)."""
    token = await client.client_credentials()
    return StaticToken(token.access_token.get_secret_value(), f"acct-{sandbox.account_id}")

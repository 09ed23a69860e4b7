"""The service in-process (httpx ASGITransport) on real Postgres, talking to the real
sandbox over HTTP, with user JWTs signed by a key served from a real local JWKS server."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import TypeAdapter

from avito_sync.api.actions.answers import ActionAnswer
from avito_sync.api.app import build_app, counted_avito_client, service_context
from avito_sync.api.context import ServiceContext
from avito_sync.api.metrics import ServiceMetrics
from avito_sync.api.settings import ServiceSettings
from avito_sync.avito.settings import AvitoSettings
from avito_sync.sync.runtime import SyncRuntime
from avito_sync.sync.settings import SyncSettings
from tests.api.jwt_tools import JwksServer, SigningKey, claims, new_es256, serve_jwks, sign
from tests.fixtures.db import Conn, create_user
from tests.fixtures.sandbox import Sandbox
from tests.support.rows import create_property

STATE_SECRET = "test-state-secret-" + "x" * 32
APP_REDIRECT = "https://app.example/auth/avito-callback"
ENDPOINT = "/functions/v1/avito-sync"
ACTION_ANSWER: TypeAdapter[ActionAnswer] = TypeAdapter(ActionAnswer)


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return new_es256()


@pytest.fixture(scope="session")
def jwks_server(signing_key: SigningKey) -> Iterator[JwksServer]:
    with serve_jwks([signing_key]) as server:
        yield server


@dataclass
class Service:
    http: httpx.AsyncClient
    context: ServiceContext
    runtime: SyncRuntime
    jwks: JwksServer
    key: SigningKey
    sandbox: Sandbox
    db: Conn

    def token(self, user_id: uuid.UUID, **overrides: Any) -> str:
        return sign(self.key, claims(self.jwks.issuer, user_id, **overrides))

    def headers(self, user_id: uuid.UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id)}", "apikey": "anon"}

    async def act(self, user_id: uuid.UUID, action: str, **body: Any) -> httpx.Response:
        """Run an action; a 200 answer must be one of the documented shapes, key for key."""
        response = await self.http.post(
            ENDPOINT, json={"action": action, **body}, headers=self.headers(user_id)
        )
        if response.status_code == 200:
            ACTION_ANSWER.validate_python(response.json())
        return response

    def user(self) -> uuid.UUID:
        return create_user(self.db)

    def property(self, owner: uuid.UUID, *, base_price: int = 3000) -> uuid.UUID:
        return create_property(
            self.db, owner, name="Квартира", base_price=base_price, minimum_booking_days=2
        )

    async def consent(self, authorize_url: str, *, allow: bool = True) -> dict[str, str]:
        """Drive the sandbox's consent page like a browser: GET the page, POST its form."""
        async with httpx.AsyncClient(trust_env=False) as browser:
            page = await browser.get(authorize_url)
            assert page.status_code == 200, page.text
            form = {
                unescape(name): unescape(value)
                for name, value in re.findall(
                    r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text
                )
            }
            account = re.search(r'name="account_id" value="(\d+)"', page.text)
            assert account is not None
            action = re.search(r'<form method="post" action="([^"]+)"', page.text)
            assert action is not None
            form["account_id"] = account.group(1)
            form["decision"] = "allow" if allow else "deny"
            answer = await browser.post(self.sandbox.base_url + action.group(1), data=form)
        assert answer.status_code == 302, answer.text
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        return {k: v[0] for k, v in query.items()}

    async def connect(self, user_id: uuid.UUID, property_id: uuid.UUID) -> dict[str, Any]:
        """oauth-url → consent → exchange-code; the exchange-code answer."""
        url = (await self.act(user_id, "oauth-url", property_id=str(property_id))).json()
        redirect = await self.consent(url["url"])
        answer = await self.act(
            user_id, "exchange-code", code=redirect["code"], state=redirect["state"]
        )
        body: dict[str, Any] = answer.json()
        assert body["success"] is True, body
        return body


def service_settings(database_url: str, jwks: JwksServer) -> ServiceSettings:
    return ServiceSettings.model_validate(
        {
            "DATABASE_URL": database_url,
            "SUPABASE_URL": jwks.base_url,
            "AVITO_SYNC_STATE_SECRET": STATE_SECRET,
            "AVITO_SYNC_APP_REDIRECT_URL": APP_REDIRECT,
            "AVITO_SYNC_CORS_ORIGINS": "https://app.example,http://localhost:5173",
        }
    )


def avito_settings(sandbox: Sandbox) -> AvitoSettings:
    return AvitoSettings.model_validate(
        {
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "redirect_uri": sandbox.redirect_uri,
            "api_base_url": sandbox.base_url,
            "oauth_base_url": sandbox.base_url,
            "max_attempts": 1,
        }
    )


@pytest.fixture
async def service(
    database_url: str,
    db: Conn,
    sandbox: Sandbox,
    jwks_server: JwksServer,
    signing_key: SigningKey,
) -> AsyncIterator[Service]:
    settings = service_settings(database_url, jwks_server)
    sync_settings = SyncSettings.model_validate({"DATABASE_URL": database_url, "concurrency": 2})
    metrics = ServiceMetrics()
    client = counted_avito_client(avito_settings(sandbox), metrics)
    runtime = await SyncRuntime.open(sync_settings, avito_settings(sandbox), client=client)
    try:
        async with service_context(settings, runtime, metrics) as context:
            app = build_app(settings, metrics)
            app.state.context = context
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
                yield Service(http, context, runtime, jwks_server, signing_key, sandbox, db)
    finally:
        await runtime.aclose()
        await client.aclose()

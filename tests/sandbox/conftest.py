"""Helpers for talking raw HTTP to the sandbox (the typed client is tested elsewhere)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from avito_sync.local import avito_spec as specs
from avito_sync.local.sandbox.server import SandboxServer
from tests.fixtures.sandbox import Sandbox


class Api:
    """Raw calls as Avito documents them, each checked against the spec when asked."""

    def __init__(self, sandbox: Sandbox, http: httpx.Client) -> None:
        self.sandbox = sandbox
        self.http = http
        self.token = self.client_credentials()

    def client_credentials(self) -> str:
        response = self.http.post(
            "/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.sandbox.client_id,
                "client_secret": self.sandbox.client_secret,
            },
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def call(
        self,
        operation_id: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        checked: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """Make the call and fail the test if a documented response breaks the spec."""
        response = self.http.request(method, path, headers=self.headers(token), **kwargs)
        op = specs.operation(operation_id)
        if checked and op.response_for(response.status_code) is not None:
            body = response.json() if response.content else None
            assert specs.validate_response(operation_id, response.status_code, body) == []
        return response

    def bookings(self, item_id: int, start: dt.date, end: dt.date, **params: Any) -> httpx.Response:
        return self.call(
            "getRealtyBookings",
            "GET",
            f"/realty/v1/accounts/{self.sandbox.account_id}/items/{item_id}/bookings",
            params={"date_start": start.isoformat(), "date_end": end.isoformat(), **params},
        )

    def close_dates(
        self, item_id: int, body: dict[str, Any], *, checked: bool = True
    ) -> httpx.Response:
        return self.call(
            "putBookingsInfo",
            "POST",
            f"/core/v1/accounts/{self.sandbox.account_id}/items/{item_id}/bookings",
            json=body,
            checked=checked,
        )

    def prices(self, item_id: int, body: dict[str, Any]) -> httpx.Response:
        return self.call(
            "postRealtyPrices",
            "POST",
            f"/realty/v1/accounts/{self.sandbox.account_id}/items/{item_id}/prices",
            json=body,
        )

    def intervals(self, body: dict[str, Any]) -> httpx.Response:
        return self.call("putIntervals", "POST", "/realty/v1/items/intervals", json=body)

    def base(self, item_id: int, body: dict[str, Any]) -> httpx.Response:
        return self.call("postBaseParams", "POST", f"/realty/v1/items/{item_id}/base", json=body)


@pytest.fixture(scope="session")
def _http_session(sandbox_server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_server.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def http(sandbox: Sandbox, _http_session: httpx.Client) -> httpx.Client:
    """A raw HTTP client for the freshly reset sandbox (shared pool; no cookies are used)."""
    return _http_session


@pytest.fixture
def api(sandbox: Sandbox, http: httpx.Client) -> Api:
    return Api(sandbox, http)


@pytest.fixture
def today(sandbox: Sandbox) -> dt.date:
    """The sandbox's Moscow date, which is what "not in the past" means to Avito."""
    return sandbox.control.today()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)

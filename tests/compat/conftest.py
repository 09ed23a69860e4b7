"""The deployed app's steps over the route it takes in production: `functions.invoke` →
the Edge Function forwarders under real Deno (the local gateway) → the service listening on a
loopback port. The service itself is tests/api's (real Postgres, the sandbox over HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn

from avito_sync.api.app import build_app
from tests.api.conftest import Service, jwks_server, service, signing_key
from tests.support.functions import Gateway, running_gateway
from tests.support.net import free_port

__all__ = ["jwks_server", "service", "signing_key"]

STARTED_WITHIN_SECONDS = 10


@pytest.fixture(scope="module")
def service_port() -> int:
    """One port per module, so one gateway serves every test's service."""
    return free_port()


@pytest.fixture(scope="module")
def forwarders(service_port: int) -> Iterator[Gateway]:
    with running_gateway({"AVITO_SYNC_SERVICE_URL": f"http://127.0.0.1:{service_port}"}) as gw:
        yield gw


@pytest.fixture(autouse=True)
async def through_forwarders(
    service: Service, service_port: int, forwarders: Gateway, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[None]:
    """The test's service on `service_port`; `invoke` goes through the forwarders to it."""
    app = build_app(service.context.settings, service.context.metrics)
    app.state.context = service.context
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=service_port, log_level="warning", lifespan="off"
        )
    )
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(STARTED_WITHIN_SECONDS):
        while not server.started:
            if serving.done():
                serving.result()  # raises what stopped it
            await asyncio.sleep(0.01)
    monkeypatch.setenv("AVITO_SYNC_COMPAT_BASE_URL", forwarders.url)
    try:
        yield
    finally:
        server.should_exit = True
        await serving

"""Fixtures of the queue, token, worker, engine and tick tests: an Avito client on the sandbox,
a shared connection pool and a factory of sync runtimes (helpers: engine_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito import AvitoClient
from avito_sync.core.database import open_pool
from avito_sync.sync.runtime import SyncRuntime
from tests.fixtures.sandbox import Sandbox
from tests.sync import avito_settings
from tests.sync.engine_support import sync_settings


@pytest.fixture(name="client")
async def client_fixture(sandbox: Sandbox) -> AsyncIterator[AvitoClient]:
    async with AvitoClient(avito_settings(sandbox)) as opened:
        yield opened


@pytest.fixture(name="sync_pool")
async def sync_pool_fixture(database_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    opened = await open_pool(database_url, min_size=1, max_size=12)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(name="make_runtime")
async def make_runtime_fixture(
    database_url: str, sandbox: Sandbox, sync_pool: AsyncConnectionPool[Any]
) -> AsyncIterator[Callable[..., Any]]:
    """Factory of sync runtimes sharing the test pool, each with its own worker id."""
    opened: list[SyncRuntime] = []

    async def make(**overrides: Any) -> SyncRuntime:
        runtime = await SyncRuntime.open(
            sync_settings(database_url, **overrides), avito_settings(sandbox), pool=sync_pool
        )
        opened.append(runtime)
        return runtime

    yield make
    for runtime in opened:
        await runtime.aclose()

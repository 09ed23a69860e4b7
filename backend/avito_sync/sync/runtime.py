"""Everything a process needs to run syncs, built once and closed once.

`avito-sync worker` and the HTTP service build the same objects: one connection pool, one
Avito client (one HTTP pool and one set of rate limits per process), one token cache, the
engine and the worker that feeds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from psycopg_pool import AsyncConnectionPool

from avito_sync.avito.client import AvitoClient
from avito_sync.avito.ratelimit import account_quiet_seconds
from avito_sync.avito.settings import AvitoSettings
from avito_sync.core.database import open_pool
from avito_sync.sync.engine import SyncEngine
from avito_sync.sync.relink import link_pending
from avito_sync.sync.settings import SyncSettings
from avito_sync.sync.tokens import AccountTokens
from avito_sync.sync.worker import Worker


@dataclass
class SyncRuntime:
    settings: SyncSettings
    pool: AsyncConnectionPool[Any]
    client: AvitoClient
    tokens: AccountTokens
    engine: SyncEngine
    worker: Worker
    owns_pool: bool = True
    owns_client: bool = True

    @classmethod
    async def open(
        cls,
        settings: SyncSettings,
        avito_settings: AvitoSettings,
        *,
        pool: AsyncConnectionPool[Any] | None = None,
        client: AvitoClient | None = None,
    ) -> SyncRuntime:
        """Build the runtime; pass `pool`/`client` to share the caller's (then not closed)."""
        own_pool = pool is None
        own_client = client is None
        if pool is None:
            # Every running sync may hold one connection, plus the claim and lease heartbeats.
            size = min(settings.concurrency + 4, settings.pool_max_size)
            pool = await open_pool(
                settings.database_url, max_size=size, wait_seconds=settings.db_timeout_seconds
            )
        if client is None:
            client = AvitoClient(avito_settings)
        tokens = AccountTokens(pool, client, margin_seconds=settings.token_refresh_margin_seconds)
        engine = SyncEngine(pool, client, tokens, settings)
        worker = Worker(
            pool,
            settings,
            engine.run_queued,
            before_fill=partial(link_pending, pool, client, tokens.provider),
            account_quiet_seconds=account_quiet_seconds(avito_settings),
        )
        return cls(settings, pool, client, tokens, engine, worker, own_pool, own_client)

    async def aclose(self) -> None:
        self.worker.stop()
        await self.engine.aclose()
        if self.owns_client:
            await self.client.aclose()
        if self.owns_pool:
            await self.pool.close()

"""Helpers for the queue, token, worker, engine and tick tests (their fixtures: conftest.py).

A "host" is an app user with one property connected to a sandbox listing through a real
OAuth grant: the consent form is submitted on the sandbox, the code exchanged once, and the
tokens stored in Vault with `avito_private.store_account_tokens`, as the connect flow does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from avito_sync.avito import AvitoClient
from avito_sync.sync.settings import SyncSettings
from tests.fixtures.sandbox import Sandbox
from tests.sync import Seeded, seed_integration

Conn = psycopg.Connection[dict[str, Any]]


def sync_settings(database_url: str, **overrides: Any) -> SyncSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "worker_id": f"test-{uuid.uuid4().hex[:8]}",
        "lease_seconds": 30,
        "concurrency": 4,
        "per_account_concurrency": 2,
        "fallback_poll_seconds": 30,
        "shutdown_grace_seconds": 5,
    }
    return SyncSettings(**(values | overrides))


@dataclass(frozen=True)
class Host:
    seeded: Seeded
    refresh_token: str
    access_token: str

    @property
    def integration_id(self) -> uuid.UUID:
        return self.seeded.integration_id

    @property
    def account_id(self) -> uuid.UUID:
        return self.seeded.account_id

    @property
    def property_id(self) -> uuid.UUID:
        return self.seeded.property_id


async def grant_tokens(sandbox: Sandbox, client: AvitoClient) -> tuple[str, str, int, str | None]:
    """Walk the consent form and exchange the code: (access, refresh, expires_in, scope)."""
    redirect = sandbox.control.authorize(
        sandbox.client_id, account_id=sandbox.account_id, state="t" * 16
    )
    token = await client.exchange_code(redirect["code"], redirect_uri=sandbox.redirect_uri)
    assert token.refresh_token is not None
    return (
        token.access_token.get_secret_value(),
        token.refresh_token.get_secret_value(),
        token.expires_in,
        token.scope,
    )


def store_tokens(
    db: Conn,
    account_id: uuid.UUID,
    access: str,
    refresh: str,
    expires_at: dt.datetime,
    scope: str | None = None,
) -> None:
    db.execute(
        "select avito_private.store_account_tokens(%s, %s, %s, %s, %s)",
        (account_id, access, refresh, expires_at, scope),
    )


async def connect_host(
    db: Conn,
    sandbox: Sandbox,
    client: AvitoClient,
    *,
    item_id: int | None = None,
    expires_in: dt.timedelta | None = None,
    enqueue: bool = True,
) -> Host:
    """A host connected to a sandbox listing with real OAuth tokens in Vault."""
    seeded = seed_integration(
        db, avito_user_id=sandbox.account_id, avito_item_id=item_id or sandbox.item_id
    )
    access, refresh, lifetime, scope = await grant_tokens(sandbox, client)
    expires_at = dt.datetime.now(dt.UTC) + (expires_in or dt.timedelta(seconds=lifetime))
    store_tokens(db, seeded.account_id, access, refresh, expires_at, scope)
    if enqueue:
        db.execute(
            "select avito_private.enqueue_integration(%s, 'initial')", (seeded.integration_id,)
        )
    return Host(seeded, refresh, access)


def queue_row(db: Conn, integration_id: uuid.UUID) -> dict[str, Any] | None:
    return db.execute(
        "select *, next_sync_at <= now() as due from public.avito_sync_queue"
        " where integration_id = %s",
        (integration_id,),
    ).fetchone()


def runs(db: Conn, integration_id: uuid.UUID) -> list[dict[str, Any]]:
    return db.execute(
        "select * from public.avito_sync_runs where integration_id = %s order by id",
        (integration_id,),
    ).fetchall()


def steady_polls(db: Conn, integration_id: uuid.UUID) -> int:
    """Steady polls recorded for the integration (they write no run row)."""
    row = db.execute(
        "select steady_polls from avito_private.sync_steady_state where integration_id = %s",
        (integration_id,),
    ).fetchone()
    return 0 if row is None else int(row["steady_polls"])


def polls_recorded(db: Conn, integration_id: uuid.UUID) -> int:
    """Every recorded poll: full syncs (one run row each) and steady polls."""
    return len(runs(db, integration_id)) + steady_polls(db, integration_id)

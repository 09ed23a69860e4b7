"""Vault-backed tokens against the sandbox's real OAuth server and real Postgres."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito import AvitoClient
from avito_sync.avito.errors import InvalidGrantError
from avito_sync.core.database import open_pool
from avito_sync.sync.tokens import AccountTokens, ReconnectRequiredError
from tests.fixtures.sandbox import Sandbox
from tests.sync import day, events
from tests.sync.engine_support import Host, connect_host, queue_row

Conn = psycopg.Connection[dict[str, Any]]


def token_requests(sandbox: Sandbox) -> list[Any]:
    return [r for r in sandbox.control.requests() if r.path.rstrip("/") == "/token"]


def stored(db: Conn, host: Host) -> dict[str, Any]:
    row = db.execute(
        "select * from avito_private.read_account_tokens(%s)", (host.account_id,)
    ).fetchone()
    assert row is not None
    return row


async def test_a_token_far_from_expiry_is_used_without_refreshing(
    db: Conn, sandbox: Sandbox, client: AvitoClient, sync_pool: AsyncConnectionPool[Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    sandbox.control.clear_requests()
    tokens = AccountTokens(sync_pool, client)
    provider = tokens.provider(host.account_id)
    bookings = await client.get_bookings(
        provider, sandbox.account_id, sandbox.item_id, day(0), day(30)
    )
    assert bookings == []
    assert token_requests(sandbox) == []
    assert tokens.refreshes == 0


async def test_a_token_expiring_within_five_minutes_is_refreshed_and_rotation_persisted(
    db: Conn, sandbox: Sandbox, client: AvitoClient, sync_pool: AsyncConnectionPool[Any]
) -> None:
    host = await connect_host(db, sandbox, client, expires_in=dt.timedelta(minutes=4))
    sandbox.control.clear_requests()
    tokens = AccountTokens(sync_pool, client)
    access = await tokens.provider(host.account_id).access_token()

    assert len(token_requests(sandbox)) == 1
    after = stored(db, host)
    assert after["access_token"] == access != host.access_token
    assert after["refresh_token"] != host.refresh_token
    assert after["expires_at"] > dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)
    account = db.execute(
        "select token_expires_at from public.avito_accounts where id = %s", (host.account_id,)
    ).fetchone()
    assert account == {"token_expires_at": after["expires_at"]}
    # Avito rotated the refresh token: the old one is dead, the stored one works.
    with pytest.raises(InvalidGrantError):
        await client.refresh(host.refresh_token)
    assert (await client.refresh(after["refresh_token"])).access_token


async def test_concurrent_refreshers_in_two_processes_refresh_once(
    db: Conn,
    sandbox: Sandbox,
    client: AvitoClient,
    sync_pool: AsyncConnectionPool[Any],
    database_url: str,
) -> None:
    host = await connect_host(db, sandbox, client, expires_in=dt.timedelta(minutes=1))
    sandbox.control.clear_requests()
    other_pool = await open_pool(database_url, min_size=1, max_size=4)
    try:
        # Two token caches with their own pools stand for two worker processes.
        first = AccountTokens(sync_pool, client)
        second = AccountTokens(other_pool, client)
        results = await asyncio.gather(
            *(t.provider(host.account_id).access_token() for t in (first, second, first, second))
        )
    finally:
        await other_pool.close()
    assert len(token_requests(sandbox)) == 1
    assert len(set(results)) == 1
    assert first.refreshes + second.refreshes == 1
    assert stored(db, host)["access_token"] == results[0]


async def test_a_403_forces_one_refresh_and_the_call_is_retried(
    db: Conn, sandbox: Sandbox, client: AvitoClient, sync_pool: AsyncConnectionPool[Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    tokens = AccountTokens(sync_pool, client)
    provider = tokens.provider(host.account_id)
    await provider.access_token()
    # Avito says the token expired although our clock says it has hours left.
    sandbox.control.expire_tokens(access_token=host.access_token)
    sandbox.control.clear_requests()

    await client.get_bookings(provider, sandbox.account_id, sandbox.item_id, day(0), day(30))

    log = sandbox.control.requests()
    assert [r.status for r in log if r.operation_id == "getRealtyBookings"] == [403, 200]
    assert len(token_requests(sandbox)) == 1
    assert stored(db, host)["access_token"] != host.access_token


async def test_a_refused_refresh_marks_reconnect_pauses_and_notifies_in_one_go(
    db: Conn, sandbox: Sandbox, client: AvitoClient, sync_pool: AsyncConnectionPool[Any]
) -> None:
    host = await connect_host(db, sandbox, client, expires_in=dt.timedelta(minutes=2))
    sandbox.control.expire_tokens(account_id=sandbox.account_id, include_refresh=True)
    sandbox.control.clear_requests()
    tokens = AccountTokens(sync_pool, client)

    with pytest.raises(ReconnectRequiredError):
        await tokens.provider(host.account_id).access_token()

    assert len(token_requests(sandbox)) == 1
    assert not [r for r in sandbox.control.requests() if "client_credentials" in r.path]
    account = db.execute(
        "select status from public.avito_accounts where id = %s", (host.account_id,)
    ).fetchone()
    integration = db.execute(
        "select status, is_active from public.integrations where id = %s",
        (host.integration_id,),
    ).fetchone()
    assert account == {"status": "needs_reconnect"}
    assert integration == {"status": "needs_reconnect", "is_active": False}
    assert queue_row(db, host.integration_id) is None
    assert len(events(db, "needs_reconnect")) == 1
    # The stored tokens were not touched, and nothing else asks Avito again.
    assert stored(db, host)["refresh_token"] == host.refresh_token
    with pytest.raises(ReconnectRequiredError):
        await tokens.provider(host.account_id).access_token(force_refresh=True)
    assert len(token_requests(sandbox)) == 1


async def test_a_transient_token_endpoint_failure_does_not_cost_the_connection(
    db: Conn, sandbox: Sandbox, client: AvitoClient, sync_pool: AsyncConnectionPool[Any]
) -> None:
    host = await connect_host(db, sandbox, client, expires_in=dt.timedelta(minutes=2))
    # Twice: the refresh is asked once more at once when its answer is lost.
    sandbox.control.add_fault("/token", error_rates={503: 1.0}, times=2)
    tokens = AccountTokens(sync_pool, client)
    with pytest.raises(Exception, match="503"):
        await tokens.provider(host.account_id).access_token()
    account = db.execute(
        "select status from public.avito_accounts where id = %s", (host.account_id,)
    ).fetchone()
    assert account == {"status": "active"}
    # Next time it works, with the refresh token that was never spent.
    assert await tokens.provider(host.account_id).access_token()
    assert stored(db, host)["refresh_token"] != host.refresh_token


async def test_a_grant_without_refresh_token_is_used_until_it_expires(
    db: Conn, sandbox: Sandbox, client: AvitoClient, sync_pool: AsyncConnectionPool[Any]
) -> None:
    host = await connect_host(db, sandbox, client, expires_in=dt.timedelta(days=3))
    db.execute(
        "select avito_private.store_account_tokens(%s, %s, null, now() + interval '3 days', null)",
        (host.account_id, host.access_token),
    )
    assert stored(db, host)["refresh_token"] is None
    sandbox.control.clear_requests()
    tokens = AccountTokens(sync_pool, client)
    provider = tokens.provider(host.account_id)
    # A forced refresh (a 403) cannot refresh: the still-valid token is kept, no reconnect.
    assert await provider.access_token(force_refresh=True) == host.access_token
    assert events(db, "token_expiring") == []  # three days left: no notice yet

    db.execute(
        "update public.avito_accounts set token_expires_at = now() + interval '20 hours'"
        " where id = %s",
        (host.account_id,),
    )
    tokens.forget(host.account_id)
    for _ in range(2):
        assert await provider.access_token() == host.access_token
        tokens.forget(host.account_id)
    [notice] = events(db, "token_expiring")  # a day before, once per expiry
    assert notice["payload"]["account_id"] == str(host.account_id)

    db.execute(
        "update public.avito_accounts set token_expires_at = now() - interval '1 second'"
        " where id = %s",
        (host.account_id,),
    )
    tokens.forget(host.account_id)
    with pytest.raises(ReconnectRequiredError):
        await provider.access_token()
    assert len(events(db, "needs_reconnect")) == 1
    assert token_requests(sandbox) == []  # nothing to refresh with, never tried

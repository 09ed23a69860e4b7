"""Issue #10, "Also": a lost answer to a token refresh (Avito rotated the refresh token, the
response never arrived) leaves the account needing a reconnect. Before, nobody heard of it
until the failed sync's backoff ran out; now the host is told at once, through a
`needs_reconnect` notification event (their channels) and an avito_logs error row (the app's
toast and log dialog) in Russian."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito import AvitoClient
from avito_sync.sync.tokens import AccountTokens, ReconnectRequiredError
from tests.fixtures.sandbox import Sandbox
from tests.sync import events
from tests.sync.engine_support import connect_host

Conn = psycopg.Connection[dict[str, Any]]


@pytest.mark.parametrize("lost", [{"error_rates": {502: 1.0}}, {"malformed_rate": 1.0}])
async def test_a_lost_refresh_answer_tells_the_host_at_once(
    db: Conn,
    sandbox: Sandbox,
    client: AvitoClient,
    sync_pool: AsyncConnectionPool[Any],
    lost: dict[str, Any],
) -> None:
    host = await connect_host(db, sandbox, client, expires_in=dt.timedelta(minutes=4))
    # Avito applies the refresh (rotating the token) and the answer is lost on the way back.
    sandbox.control.add_fault(
        "refreshAccessTokenAuthorizationCode", after_apply=True, times=1, **lost
    )
    tokens = AccountTokens(sync_pool, client)

    with pytest.raises(ReconnectRequiredError):
        await tokens.access_token(host.account_id)

    account = db.execute(
        "select status from public.avito_accounts where id = %s", (host.account_id,)
    ).fetchone()
    assert account == {"status": "needs_reconnect"}
    [event] = events(db, "needs_reconnect")
    assert event["owner_id"] == host.seeded.owner_id
    assert event["payload"]["integration_ids"] == [str(host.integration_id)]
    logged = db.execute(
        "select action, status, error from public.avito_logs where integration_id = %s",
        (host.integration_id,),
    ).fetchall()
    assert logged == [
        {
            "action": "refresh_token",
            "status": "error",
            "error": "Доступ к Avito истёк или отозван: подключите аккаунт Avito заново.",
        }
    ]


async def test_a_refresh_that_never_reached_avito_is_not_a_reconnect(
    db: Conn, sandbox: Sandbox, client: AvitoClient, sync_pool: AsyncConnectionPool[Any]
) -> None:
    host = await connect_host(db, sandbox, client, expires_in=dt.timedelta(minutes=4))
    sandbox.control.add_fault(
        "refreshAccessTokenAuthorizationCode", error_rates={502: 1.0}, times=1
    )
    tokens = AccountTokens(sync_pool, client)
    assert await tokens.access_token(host.account_id)
    account = db.execute(
        "select status from public.avito_accounts where id = %s", (host.account_id,)
    ).fetchone()
    assert account == {"status": "active"}
    assert events(db, "needs_reconnect") == []

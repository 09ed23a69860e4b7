"""The point of the import: a host connected by the old app keeps syncing, with no reconnect.
The legacy row holds a real sandbox grant, stored as the old app stored it (access token
encrypted twice, refresh token once); after `cutover apply` the first sync refreshes it through
the sandbox's OAuth and pushes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from avito_sync.avito import AvitoClient
from avito_sync.sync.results import SyncResult
from avito_sync.sync.runtime import SyncRuntime
from tests.cutover.conftest import HOST_ONE, Legacy, build_legacy_database, run_cutover
from tests.fixtures.db import as_service_role, connect, running_net_dispatcher
from tests.fixtures.sandbox import Sandbox
from tests.sync import avito_settings
from tests.sync.engine_support import grant_tokens, sync_settings


async def _grant(sandbox: Sandbox) -> tuple[str, str]:
    async with AvitoClient(avito_settings(sandbox)) as client:
        access, refresh, _, _ = await grant_tokens(sandbox, client)
    return access, refresh


async def _sync(url: str, sandbox: Sandbox, legacy: Legacy) -> SyncResult:
    runtime = await SyncRuntime.open(sync_settings(url), avito_settings(sandbox))
    try:
        return await runtime.engine.sync_integration(legacy.integration_id)
    finally:
        await runtime.aclose()


def test_an_imported_connection_syncs_on_the_sandbox_without_a_reconnect(
    scratch_database: Callable[..., str], sandbox: Sandbox, service_url: str
) -> None:
    access, refresh = asyncio.run(_grant(sandbox))
    # The second demo listing: the first is the adoption fixture's d1's.
    legacy = Legacy("twice", HOST_ONE, sandbox.account_id, sandbox.item_ids[1], access, refresh)
    url = scratch_database(local_layer=True)
    build_legacy_database(url, [legacy])
    with running_net_dispatcher(url):
        applied = run_cutover("apply", "--json", database_url=url, service_url=service_url)
    assert applied.json()["applied"]["import"]["imported"] == 2  # this one and fixture's d1
    assert access not in applied.output
    assert refresh not in applied.output

    sandbox.control.clear_requests()
    outcome = asyncio.run(_sync(url, sandbox, legacy))

    assert outcome.status == "success"
    operations = [r.operation_id for r in sandbox.control.requests()]
    assert operations[0] == "refreshAccessTokenAuthorizationCode"
    assert "postRealtyPrices" in operations
    with connect(url) as conn:
        row = conn.execute(
            "select i.status, a.status as account_status, a.token_expires_at > now() as fresh"
            " from public.integrations i join public.avito_accounts a"
            "   on a.id = i.avito_account_id where i.id = %s",
            (legacy.integration_id,),
        ).fetchone()
        assert row == {"status": "active", "account_status": "active", "fresh": True}
        with as_service_role(conn):
            tokens = conn.execute(
                "select t.refresh_token from public.integrations i"
                " cross join lateral avito_private.read_account_tokens(i.avito_account_id) t"
                " where i.id = %s",
                (legacy.integration_id,),
            ).fetchone()
        assert tokens is not None
        assert tokens["refresh_token"] != refresh  # rotated by the first sync's refresh


def test_an_imported_token_avito_refuses_sends_the_host_to_reconnect(
    scratch_database: Callable[..., str], sandbox: Sandbox, service_url: str
) -> None:
    """A refresh token the old app kept after Avito stopped honouring it: the first sync's
    refresh is refused, and the existing reconnect path takes over (account, integration,
    queue, one event for the host)."""
    legacy = Legacy(
        "plain", HOST_ONE, sandbox.account_id, sandbox.item_ids[1], "AT-stale", "RT-revoked"
    )
    url = scratch_database(local_layer=True)
    build_legacy_database(url, [legacy])
    with running_net_dispatcher(url):
        run_cutover("apply", "--json", database_url=url, service_url=service_url)

    outcome = asyncio.run(_sync(url, sandbox, legacy))

    assert outcome.status == "needs_reconnect"
    with connect(url) as conn:
        row = conn.execute(
            "select i.status, i.is_active, a.status as account_status,"
            " (select count(*) from public.avito_sync_queue q"
            "   where q.integration_id = i.id) as queue_rows,"
            " (select count(*) from public.notification_events e"
            "   where e.kind = 'needs_reconnect' and e.owner_id = a.owner_id) as events"
            " from public.integrations i join public.avito_accounts a"
            "   on a.id = i.avito_account_id where i.id = %s",
            (legacy.integration_id,),
        ).fetchone()
    assert row == {
        "status": "needs_reconnect",
        "is_active": False,  # the app offers "Подключить заново"
        "account_status": "needs_reconnect",
        "queue_rows": 0,
        "events": 1,
    }

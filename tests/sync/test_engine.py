"""How one sync ends when Avito fails: outcome, run row, badge state and queue backoff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from avito_sync.avito import AvitoClient
from avito_sync.sync.runtime import SyncRuntime
from tests.fixtures.sandbox import Sandbox
from tests.sync.engine_support import connect_host, queue_row, runs

Conn = psycopg.Connection[dict[str, Any]]


def operations(sandbox: Sandbox) -> list[tuple[str | None, int]]:
    return [(r.operation_id, r.status) for r in sandbox.control.requests() if r.operation_id]


def integration_state(db: Conn, integration_id: Any) -> dict[str, Any]:
    row = db.execute(
        "select status, last_error, last_sync_at from public.integrations where id = %s",
        (integration_id,),
    ).fetchone()
    assert row is not None
    return row


async def test_a_failed_price_push_is_partial_backs_off_and_only_prices_are_retried(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    runtime: SyncRuntime = await make_runtime()
    assert (await runtime.engine.sync_integration(host.integration_id)).status == "success"
    db.execute("update public.properties set base_price = 2500 where id = %s", (host.property_id,))
    sandbox.control.add_fault("postRealtyPrices", error_rates={500: 1.0}, times=1)

    first = await runtime.engine.sync_integration(host.integration_id)

    assert first.status == "partial"
    assert first.error_code == "avito_push_failed"
    assert first.push is not None
    assert first.push.outcome("intervals").ok
    assert [o.operation for o in first.push.failures] == ["prices"]
    run = runs(db, host.integration_id)[-1]
    assert (run["outcome"], run["trigger"]) == ("partial", "manual")
    assert run["counts"]["push"]["prices"] == "failed"
    assert run["counts"]["push"]["base_params"] == "sent"
    state = integration_state(db, host.integration_id)
    assert state["status"] == "error"
    assert state["last_error"].startswith("prices: ")
    queued = queue_row(db, host.integration_id)
    assert queued is not None
    assert (queued["attempts"], queued["due"]) == (1, False)

    sandbox.control.clear_requests()
    second = await runtime.engine.sync_integration(host.integration_id)
    assert second.status == "success"
    # The pull, the bookings read right before the price write, the prices.
    assert operations(sandbox) == [
        ("getRealtyBookings", 200),
        ("getRealtyBookings", 200),
        ("postRealtyPrices", 200),
    ]
    assert integration_state(db, host.integration_id)["status"] == "active"
    queued = queue_row(db, host.integration_id)
    assert queued is not None
    assert queued["attempts"] == 0


async def test_a_failed_pull_pushes_nothing(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    sandbox.control.add_fault("getRealtyBookings", error_rates={503: 1.0}, times=1)
    runtime: SyncRuntime = await make_runtime()
    sandbox.control.clear_requests()

    result = await runtime.engine.sync_integration(host.integration_id)

    assert (result.status, result.error_code) == ("failed", "avito_server")
    assert result.push is None
    assert operations(sandbox) == [("getRealtyBookings", 503)]
    [run] = runs(db, host.integration_id)
    assert run["outcome"] == "failed"
    assert "503" in run["error"]
    queued = queue_row(db, host.integration_id)
    assert queued is not None
    assert queued["attempts"] == 1


async def test_a_401_that_survives_a_fresh_token_requires_a_reconnect(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    sandbox.control.add_fault("getRealtyBookings", error_rates={401: 1.0}, times=2)
    runtime: SyncRuntime = await make_runtime()
    sandbox.control.clear_requests()

    result = await runtime.engine.sync_integration(host.integration_id)

    assert (result.status, result.error_code) == ("needs_reconnect", "reconnect_required")
    token_calls = [r for r in sandbox.control.requests() if r.path.rstrip("/") == "/token"]
    assert len(token_calls) == 1  # one forced refresh, never a loop
    assert integration_state(db, host.integration_id)["status"] == "needs_reconnect"
    # Switched off (the app offers "Подключить заново" only then), so it leaves the queue.
    assert queue_row(db, host.integration_id) is None
    assert runs(db, host.integration_id)[-1]["outcome"] == "needs_reconnect"
    after = await runtime.engine.sync_integration(host.integration_id, wait_seconds=0)
    assert (after.status, after.ran) == ("needs_reconnect", False)


async def test_a_listing_of_another_account_fails_without_costing_the_connection(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    stranger = sandbox.control.add_account("Someone else")
    foreign = sandbox.control.add_listing(stranger.id)
    host = await connect_host(db, sandbox, client, item_id=foreign.id)
    runtime: SyncRuntime = await make_runtime()

    result = await runtime.engine.sync_integration(host.integration_id)

    assert (result.status, result.error_code) == ("failed", "avito_forbidden")
    account = db.execute(
        "select status from public.avito_accounts where id = %s", (host.account_id,)
    ).fetchone()
    assert account == {"status": "active"}
    assert integration_state(db, host.integration_id)["status"] == "error"


async def test_without_refresh_token_a_foreign_listing_still_keeps_the_connection(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    """Nothing to refresh with: the 403 is checked against the account's own profile."""
    stranger = sandbox.control.add_account("Someone else")
    foreign = sandbox.control.add_listing(stranger.id)
    host = await connect_host(db, sandbox, client, item_id=foreign.id)
    db.execute(
        "select avito_private.store_account_tokens(%s, %s, null, now() + interval '3 days', null)",
        (host.account_id, host.access_token),
    )
    runtime: SyncRuntime = await make_runtime()

    result = await runtime.engine.sync_integration(host.integration_id)

    assert (result.status, result.error_code) == ("failed", "avito_forbidden")
    account = db.execute(
        "select status from public.avito_accounts where id = %s", (host.account_id,)
    ).fetchone()
    assert account == {"status": "active"}


async def test_the_full_push_period_comes_from_the_settings(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    default: SyncRuntime = await make_runtime()
    hourly: SyncRuntime = await make_runtime(full_push_hours=1)
    assert (await default.engine.sync_integration(host.integration_id)).status == "success"
    db.execute(
        "update avito_private.avito_push_state set last_full_push_at = now() - interval '2 hours'"
        " where integration_id = %s",
        (host.integration_id,),
    )

    sandbox.control.clear_requests()
    calm = await default.engine.sync_integration(host.integration_id)
    assert calm.push is not None
    assert not calm.push.full
    assert operations(sandbox) == [("getRealtyBookings", 200)]

    sandbox.control.clear_requests()
    repaired = await hourly.engine.sync_integration(host.integration_id)
    assert repaired.push is not None
    assert repaired.push.full
    assert {op for op, _ in operations(sandbox)} == {
        "getRealtyBookings",
        "putIntervals",
        "postRealtyPrices",
        "postBaseParams",
    }

"""Workers sharing one queue: leases, bounded concurrency, per-account limits, shutdown."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any
from uuid import UUID

import psycopg

from avito_sync.avito import AvitoClient
from avito_sync.sync.runtime import SyncRuntime
from tests.fixtures.db import create_user
from tests.fixtures.sandbox import Sandbox
from tests.support.rows import create_avito_account, create_integration, create_property
from tests.support.waiting import wait_for
from tests.sync import avito_booking, day
from tests.sync.engine_support import (
    Host,
    connect_host,
    grant_tokens,
    polls_recorded,
    queue_row,
    runs,
    store_tokens,
)

Conn = psycopg.Connection[dict[str, Any]]


def slow_bookings(sandbox: Sandbox, ms: float) -> None:
    sandbox.control.add_fault("getRealtyBookings", latency={"fixed_ms": ms})


async def hosts_on_listings(
    db: Conn, sandbox: Sandbox, client: AvitoClient, count: int
) -> list[Host]:
    hosts = [await connect_host(db, sandbox, client)]
    for _ in range(count - 1):
        listing = sandbox.control.add_listing(sandbox.account_id)
        hosts.append(await connect_host(db, sandbox, client, item_id=listing.id))
    return hosts


def all_runs(db: Conn) -> list[dict[str, Any]]:
    return db.execute("select * from public.avito_sync_runs order by started_at").fetchall()


def max_overlap(intervals: list[tuple[dt.datetime, dt.datetime]]) -> int:
    edges = sorted(
        itertools.chain.from_iterable(((s, 1), (e, -1)) for s, e in intervals),
        key=lambda edge: (edge[0], edge[1]),
    )
    running = peak = 0
    for _, delta in edges:
        running += delta
        peak = max(peak, running)
    return peak


def make_all_due(db: Conn) -> None:
    db.execute("update public.avito_sync_queue set next_sync_at = now()")


async def test_two_workers_on_one_queue_never_sync_one_integration_twice_at_once(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    hosts = await hosts_on_listings(db, sandbox, client, 6)
    slow_bookings(sandbox, 150)
    first: SyncRuntime = await make_runtime(concurrency=3)
    second: SyncRuntime = await make_runtime(concurrency=3)
    sandbox.control.clear_requests()

    for round_number in (1, 2):
        started = await asyncio.gather(first.worker.run_once(), second.worker.run_once())
        assert sum(started) == 6
        make_all_due(db)
        for host in hosts:  # round 2 finds nothing changed: steady polls, no run rows
            assert polls_recorded(db, host.integration_id) == round_number

    pulls = [r.path for r in sandbox.control.requests() if r.operation_id == "getRealtyBookings"]
    # Each listing is pulled once per round, and read once more right before its first (and
    # only) price write.
    assert len(pulls) == 18
    assert all(pulls.count(path) == 3 for path in pulls)
    writes = [r.path for r in sandbox.control.requests() if r.operation_id == "postRealtyPrices"]
    assert len(writes) == len(set(writes)) == 6
    for host in hosts:
        spans = [(r["started_at"], r["finished_at"]) for r in runs(db, host.integration_id)]
        assert max_overlap(spans) == 1


async def test_a_worker_runs_at_most_its_concurrency(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    await hosts_on_listings(db, sandbox, client, 5)
    slow_bookings(sandbox, 300)
    runtime: SyncRuntime = await make_runtime(concurrency=2, per_account_concurrency=5)

    assert await runtime.worker.run_once() == 5

    spans = [(r["started_at"], r["finished_at"]) for r in all_runs(db)]
    assert len(spans) == 5
    assert max_overlap(spans) == 2


async def test_syncs_of_one_avito_account_respect_the_per_account_limit(
    db: Conn,
    sandbox: Sandbox,
    client: AvitoClient,
    make_runtime: Callable[..., Any],
) -> None:
    owner = create_user(db)
    account = create_avito_account(db, owner, sandbox.account_id)
    access, refresh, _lifetime, _scope = await grant_tokens(sandbox, client)
    store_tokens(db, account, access, refresh, dt.datetime.now(dt.UTC) + dt.timedelta(hours=20))
    integration_ids: list[UUID] = []
    for n in range(3):
        item_id = (
            sandbox.item_ids[n] if n < 2 else sandbox.control.add_listing(sandbox.account_id).id
        )
        prop = create_property(db, owner, name=f"Flat {n}", base_price=1000)
        integration = create_integration(db, prop, account, sandbox.account_id, item_id)
        integration_ids.append(integration)
        db.execute("select avito_private.enqueue_integration(%s, 'initial')", (integration,))
    slow_bookings(sandbox, 300)
    runtime: SyncRuntime = await make_runtime(concurrency=3, per_account_concurrency=1)

    assert await runtime.worker.run_once() == 3

    spans = [(r["started_at"], r["finished_at"]) for r in all_runs(db)]
    assert [r["outcome"] for r in all_runs(db)] == ["success"] * 3
    assert max_overlap(spans) == 1


async def test_stopping_the_worker_lets_running_syncs_finish(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    slow_bookings(sandbox, 1000)
    runtime: SyncRuntime = await make_runtime(fallback_poll_seconds=0.2)
    loop = asyncio.create_task(runtime.worker.run_forever())
    await wait_for(lambda: runtime.worker.in_flight == 1)
    runtime.worker.stop()
    await asyncio.wait_for(loop, timeout=15)
    [run] = runs(db, host.integration_id)
    assert run["outcome"] == "success"


async def test_a_worker_process_killed_mid_sync_leaves_nothing_and_its_row_is_taken_later(
    db: Conn,
    database_url: str,
    sandbox: Sandbox,
    client: AvitoClient,
    make_runtime: Callable[..., Any],
) -> None:
    host = await connect_host(db, sandbox, client)
    guest = sandbox.control.create_booking(sandbox.item_id, day(4), day(6), status="active")
    sandbox.control.add_fault("getRealtyBookings", latency={"fixed_ms": 5000}, times=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AVITO_", "DATABASE_URL"))}
    env |= {
        "DATABASE_URL": database_url,
        "AVITO_CLIENT_ID": sandbox.client_id,
        "AVITO_CLIENT_SECRET": sandbox.client_secret,
        "AVITO_API_BASE_URL": sandbox.base_url,
        "AVITO_OAUTH_BASE_URL": sandbox.base_url,
        "AVITO_SYNC_WORKER_ID": "doomed-worker",
        "AVITO_SYNC_LEASE_SECONDS": "5",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "avito_sync",
        "worker",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await wait_for(
            lambda: (
                (queue_row(db, host.integration_id) or {}).get("lease_owner") == "doomed-worker"
            ),
            limit=30,
        )
    finally:
        process.kill()
        await asyncio.wait_for(process.wait(), timeout=10)

    assert runs(db, host.integration_id) == []
    assert db.execute("select count(*) as n from public.bookings").fetchone() == {"n": 0}

    survivor: SyncRuntime = await make_runtime()
    await wait_for(lambda: (queue_row(db, host.integration_id) or {}).get("due") is True)
    assert await survivor.worker.run_once() == 1
    assert avito_booking(db, guest.id)["status"] == "confirmed"
    [run] = runs(db, host.integration_id)
    assert run["outcome"] == "success"


async def test_a_long_running_worker_keeps_the_interval_without_any_tick(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    # No NOTIFY will come and the fallback poll is far away: only the next due time wakes it.
    runtime: SyncRuntime = await make_runtime(interval_seconds=1, fallback_poll_seconds=300)
    loop = asyncio.create_task(runtime.worker.run_forever())
    try:
        await wait_for(lambda: polls_recorded(db, host.integration_id) >= 3, limit=15)
    finally:
        runtime.worker.stop()
        await asyncio.wait_for(loop, timeout=10)
    # The initial full sync, then steady polls (nothing changed), counted without run rows.
    assert [r["trigger"] for r in runs(db, host.integration_id)][:1] == ["initial"]
    assert polls_recorded(db, host.integration_id) >= 3

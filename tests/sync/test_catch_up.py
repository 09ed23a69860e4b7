"""Catching up after an Avito outage (issue 16): the first success after failures brings the
rows that backed off during the same outage forward, so the fleet syncs within one cadence.

The outage is a sandbox fault window (`for_seconds`); its length is
`AVITO_SYNC_TEST_OUTAGE_SECONDS` (default 3). Assertions are on queue state, never on time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Callable
from typing import Any
from uuid import UUID

import psycopg

from avito_sync.avito import AvitoClient
from avito_sync.avito.errors import (
    ForbiddenError,
    MalformedResponseError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from avito_sync.sync.failure_scope import failure_scope
from avito_sync.sync.runtime import SyncRuntime
from tests.fixtures.db import create_user
from tests.fixtures.sandbox import Sandbox
from tests.support.rows import create_avito_account, create_integration, create_property
from tests.support.waiting import wait_for
from tests.sync.engine_support import connect_host, grant_tokens, runs, store_tokens

Conn = psycopg.Connection[dict[str, Any]]
OUTAGE_SECONDS = float(os.environ.get("AVITO_SYNC_TEST_OUTAGE_SECONDS", "3"))
INTERVAL = 10
# A failure puts a row 5–10 minutes away: far beyond one cadence.
BACKOFF = {"backoff_base_seconds": 600, "backoff_cap_seconds": 3600}


async def account_with_two_listings(
    db: Conn, sandbox: Sandbox, client: AvitoClient
) -> tuple[UUID, UUID]:
    """Two integrations of one host sharing one Avito account (and its tokens)."""
    owner = create_user(db)
    account = create_avito_account(db, owner, sandbox.account_id)
    access, refresh, _lifetime, _scope = await grant_tokens(sandbox, client)
    store_tokens(db, account, access, refresh, dt.datetime.now(dt.UTC) + dt.timedelta(hours=20))
    integrations = []
    for n, item_id in enumerate(sandbox.item_ids):
        prop = create_property(db, owner, name=f"Flat {n}", base_price=1000)
        integration = create_integration(db, prop, account, sandbox.account_id, item_id)
        db.execute("select avito_private.enqueue_integration(%s, 'initial')", (integration,))
        integrations.append(integration)
    return integrations[0], integrations[1]


def queue_state(db: Conn, integration_id: UUID) -> dict[str, Any]:
    row = db.execute(
        "select attempts, status,"
        " next_sync_at <= now() + make_interval(secs => %s) as within_one_cadence"
        " from public.avito_sync_queue where integration_id = %s",
        (INTERVAL, integration_id),
    ).fetchone()
    assert row is not None
    return row


def make_due(db: Conn, *integration_ids: UUID) -> None:
    db.execute(
        "update public.avito_sync_queue set next_sync_at = now() where integration_id = any(%s)",
        (list(integration_ids),),
    )


def last_run(db: Conn, integration_id: UUID) -> dict[str, Any]:
    return runs(db, integration_id)[-1]


def bookings_path(sandbox: Sandbox, item_id: int) -> str:
    return f"/realty/v1/accounts/{sandbox.account_id}/items/{item_id}/bookings"


def test_the_widest_failure_scope_wins() -> None:
    def err(cls: type[Exception], **kw: Any) -> Exception:
        return cls("x", operation="op", **kw)

    limited = err(RateLimitedError, retry_after=None, limit=None, remaining=None)
    forbidden = err(ForbiddenError, status=403)
    assert failure_scope([]) is None
    assert failure_scope([forbidden]) == "integration"
    assert failure_scope([forbidden, limited]) == "account"
    for outage in (ServerError, TransportError, MalformedResponseError):
        assert failure_scope([limited, err(outage), forbidden]) == "app"


async def test_after_an_outage_the_first_success_makes_every_victim_due_within_one_cadence(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    a1, a2 = await account_with_two_listings(db, sandbox, client)
    listing = sandbox.control.add_listing(sandbox.account_id)
    b = (await connect_host(db, sandbox, client, item_id=listing.id)).integration_id
    stranger = sandbox.control.add_account("Someone else")
    foreign = sandbox.control.add_listing(stranger.id)  # 403: a failure of its own
    c = (await connect_host(db, sandbox, client, item_id=foreign.id)).integration_id
    runtime: SyncRuntime = await make_runtime(interval_seconds=INTERVAL, **BACKOFF)
    assert await runtime.worker.run_once() == 4
    assert [last_run(db, i)["outcome"] for i in (a1, a2, b, c)] == [
        "success",
        "success",
        "success",
        "failed",
    ]

    outage = sandbox.control.add_fault("*", error_rates={503: 1.0}, for_seconds=OUTAGE_SECONDS)
    make_due(db, a1, a2, b)
    assert await runtime.worker.run_once() == 3
    for victim in (a1, a2, b):
        assert last_run(db, victim)["counts"]["failure_scope"] == "app"
        assert queue_state(db, victim) == {
            "attempts": 1,
            "status": "pending",
            "within_one_cadence": False,
        }
    assert last_run(db, c)["counts"]["failure_scope"] == "integration"
    await wait_for(
        lambda: sandbox.control.fault(outage.id).ended,
        limit=OUTAGE_SECONDS + 30,
        what="the end of the outage window",
    )

    # The host presses "sync" on one listing: the first success after the outage.
    assert (await runtime.engine.sync_integration(a1)).status == "success"

    assert queue_state(db, a1)["attempts"] == 0
    for victim in (a2, b):  # same account, and another account (the outage was app-wide)
        assert queue_state(db, victim) == {
            "attempts": 0,
            "status": "pending",
            "within_one_cadence": True,
        }
    assert queue_state(db, c) == {"attempts": 1, "status": "pending", "within_one_cadence": False}

    before = {i: len(runs(db, i)) for i in (a2, b)}
    loop = asyncio.create_task(runtime.worker.run_forever())
    try:
        await wait_for(
            lambda: all(
                len(runs(db, i)) > before[i] and last_run(db, i)["outcome"] == "success"
                for i in (a2, b)
            ),
            limit=INTERVAL + 20,
            what="every victim to sync after the outage",
        )
    finally:
        runtime.worker.stop()
        await asyncio.wait_for(loop, timeout=15)
    assert len(runs(db, c)) == 1  # its own 403 keeps its backoff


async def test_a_rate_limited_account_catches_up_without_waking_other_accounts(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    a1, a2 = await account_with_two_listings(db, sandbox, client)
    other = sandbox.control.add_listing(sandbox.account_id)
    b = (await connect_host(db, sandbox, client, item_id=other.id)).integration_id
    runtime: SyncRuntime = await make_runtime(interval_seconds=INTERVAL, **BACKOFF)
    assert await runtime.worker.run_once() == 3

    limits = [
        sandbox.control.add_fault(bookings_path(sandbox, item), rate_limit_rate=1.0)
        for item in (*sandbox.item_ids, other.id)
    ]
    make_due(db, a1, a2, b)
    assert await runtime.worker.run_once() == 3
    assert {last_run(db, i)["counts"]["failure_scope"] for i in (a1, a2, b)} == {"account"}
    for fault in limits:
        sandbox.control.remove_fault(fault.id)

    assert (await runtime.engine.sync_integration(a1)).status == "success"

    assert queue_state(db, a2) == {"attempts": 0, "status": "pending", "within_one_cadence": True}
    # Another account's rate limit is its own: it keeps its backoff.
    assert queue_state(db, b) == {"attempts": 1, "status": "pending", "within_one_cadence": False}


async def test_a_success_of_a_row_that_was_not_failing_brings_nothing_forward(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    a1, a2 = await account_with_two_listings(db, sandbox, client)
    runtime: SyncRuntime = await make_runtime(interval_seconds=INTERVAL, **BACKOFF)
    assert await runtime.worker.run_once() == 2
    sandbox.control.add_fault(bookings_path(sandbox, sandbox.item_ids[1]), error_rates={503: 1.0})
    make_due(db, a2)
    assert await runtime.worker.run_once() == 1
    assert last_run(db, a2)["counts"]["failure_scope"] == "app"

    # a1 was healthy all along: its success is no news, a2 keeps its backoff.
    assert (await runtime.engine.sync_integration(a1)).status == "success"
    assert queue_state(db, a2) == {"attempts": 1, "status": "pending", "within_one_cadence": False}

"""Issue #10, item 8: single flight broken by the owner.

Attack: while a worker holds the lease of an integration's queue row, its owner deletes the
row and inserts it again; the new row was claimable at once, so a second worker ran a second,
concurrent sync. And a worker whose lease was lost kept running and pushed.
"""

from __future__ import annotations

import asyncio
import uuid

from avito_sync.core.database import open_pool
from avito_sync.sync import queue
from avito_sync.sync.queue import ClaimedSync
from avito_sync.sync.settings import SyncSettings
from avito_sync.sync.worker import Worker
from tests.api.conftest import Service
from tests.fixtures.db import Conn, as_authenticated, create_user
from tests.security.hosts import connected_host
from tests.support.rows import create_avito_account, create_integration, create_property


def queued_integration(db: Conn) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A host's integration with a due queue row: (owner, property, integration)."""
    owner = create_user(db)
    prop = create_property(db, owner, base_price=3000)
    account = create_avito_account(db, owner, 387654321)
    integration = create_integration(db, prop, account, 387654321, 4012345678)
    db.execute("select avito_private.enqueue_integration(%s, 'manual', false)", (integration,))
    return owner, prop, integration


def leased_integration(db: Conn) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    owner, prop, integration = queued_integration(db)
    claimed = db.execute(
        "select integration_id from avito_private.claim_sync_batch('worker-1', 10, 120)"
    ).fetchall()
    assert claimed == [{"integration_id": integration}]
    return owner, prop, integration


def test_owner_delete_and_insert_cannot_make_a_second_claimable_row(db: Conn) -> None:
    owner, prop, integration = leased_integration(db)
    with as_authenticated(db, owner) as conn:
        deleted = conn.execute(
            "delete from public.avito_sync_queue where integration_id = %s", (integration,)
        )
        assert deleted.rowcount == 0
        conn.execute(
            "insert into public.avito_sync_queue (integration_id, property_id) values (%s, %s)",
            (integration, prop),
        )
    rows = db.execute(
        "select status, lease_owner from public.avito_sync_queue where integration_id = %s",
        (integration,),
    ).fetchall()
    assert rows == [{"status": "running", "lease_owner": "worker-1"}]
    second = db.execute("select * from avito_private.claim_sync_batch('worker-2', 10, 120)")
    assert second.fetchall() == []


def test_owner_may_still_delete_a_row_nobody_runs(db: Conn) -> None:
    owner, _prop, integration = leased_integration(db)
    db.execute("select avito_private.complete_sync_success(%s, 'worker-1', 10)", (integration,))
    with as_authenticated(db, owner) as conn:
        deleted = conn.execute(
            "delete from public.avito_sync_queue where integration_id = %s", (integration,)
        )
        assert deleted.rowcount == 1


async def test_a_sync_that_lost_its_lease_stops_before_it_pushes(service: Service) -> None:
    prop = (await connected_host(service)).property_id
    service.db.execute("update public.properties set base_price = 5100 where id = %s", (prop,))
    service.db.execute("update public.avito_sync_queue set next_sync_at = now()")
    engine = service.runtime.engine
    async with service.runtime.pool.connection() as conn:
        [item] = await queue.claim_batch(conn, engine.owner, 10, 120)
    # The lease expires and another worker takes the row while this one is still at work.
    service.db.execute(
        "update public.avito_sync_queue set lease_owner = 'worker-2' where integration_id = %s",
        (item.integration_id,),
    )
    service.sandbox.control.clear_requests()

    result = await engine.run_claimed(item)

    assert result.status == "busy"
    assert result.error_code == "lease_lost"
    writes = [e for e in service.sandbox.control.requests() if e.method != "GET"]
    assert writes == []
    row = service.db.execute(
        "select lease_owner from public.avito_sync_queue where integration_id = %s",
        (item.integration_id,),
    ).fetchone()
    assert row == {"lease_owner": "worker-2"}


async def test_a_worker_that_loses_its_lease_cancels_the_running_sync(
    db: Conn, database_url: str
) -> None:
    _owner, _prop, integration = queued_integration(db)
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def endless_sync(_item: ClaimedSync) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    settings = SyncSettings.model_validate(
        {"DATABASE_URL": database_url, "worker_id": "worker-1", "lease_seconds": 5}
    )
    pool = await open_pool(database_url, max_size=3)
    try:
        worker = Worker(pool, settings, endless_sync)
        running = asyncio.create_task(worker.run_once())
        await asyncio.wait_for(started.wait(), 30)
        db.execute(
            "update public.avito_sync_queue set lease_owner = 'worker-2' where integration_id = %s",
            (integration,),
        )
        await asyncio.wait_for(running, 60)  # returns once its only sync has ended
    finally:
        await pool.close()
    assert cancelled.is_set()

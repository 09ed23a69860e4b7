"""A pool whose opening is abandoned leaves nothing reconnecting behind it."""

from __future__ import annotations

import asyncio

from avito_sync.core.database import open_pool
from tests.support.net import free_port


async def test_a_cancelled_open_closes_the_pool() -> None:
    """psycopg_pool closes a pool that times out itself, but not one whose open is cancelled
    (a deadline around start-up, a shutdown signal during it)."""
    before = asyncio.all_tasks()
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres?connect_timeout=1"

    opening = asyncio.create_task(open_pool(nowhere))
    done, _ = await asyncio.wait({opening}, timeout=0.5)
    assert not done  # still retrying the unreachable database
    opening.cancel()
    await asyncio.gather(opening, return_exceptions=True)

    await asyncio.sleep(0.05)  # let the pool's cancelled workers finish
    left = [t.get_name() for t in asyncio.all_tasks() - before if not t.done()]
    assert [name for name in left if name.startswith("pool-")] == []

"""The service's connection pool to Postgres (direct, not PostgREST; docs/decisions.md §4)."""

from __future__ import annotations

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool


async def open_pool(
    url: str, *, min_size: int = 1, max_size: int = 10, wait_seconds: float = 30.0
) -> AsyncConnectionPool:
    """Open a pool whose connections return rows as dicts; the caller closes it.

    `wait_seconds` bounds both the wait for a free connection and a new connection's handshake,
    so a request fails fast (PoolTimeout, an OperationalError) while the database is down.

    psycopg_pool closes a pool that times out while opening, but not one whose opening is
    cancelled (a shutdown during start-up): its workers would keep reconnecting forever.
    """
    pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs={
            "row_factory": dict_row,
            "autocommit": True,
            "connect_timeout": max(1, int(wait_seconds)),
        },
        timeout=wait_seconds,
        open=False,
    )
    try:
        await pool.open(wait=True)
    except BaseException:
        await pool.close()
        raise
    return pool

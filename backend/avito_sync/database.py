"""The service's connection pool to Postgres (direct connection, not PostgREST; design.md §2.3)."""

from __future__ import annotations

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool


async def open_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> AsyncConnectionPool:
    """Open a pool whose connections return rows as dicts; the caller closes it.

    psycopg_pool closes a pool that times out while opening, but not one whose opening is
    cancelled (a shutdown during start-up): its workers would keep reconnecting forever.
    """
    pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs={"row_factory": dict_row, "autocommit": True},
        open=False,
    )
    try:
        await pool.open(wait=True)
    except BaseException:
        await pool.close()
        raise
    return pool

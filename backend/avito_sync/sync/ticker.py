"""Point the pg_cron tick at this service: the target and secret in Vault, the jobs scheduled.

Both steps are SQL functions of the tick migration; running them again replaces the values
and the schedules by name, so `avito-sync setup` is safe to repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from psycopg import AsyncConnection

CronFlavour = Literal["seconds", "minute", "absent"]
PG_NET_MISSING = (
    "pg_net is not installed in this database: the tick cannot reach the service. Enable it "
    "(Dashboard → Database → Extensions, or `create extension pg_net;`) and run setup again."
)


@dataclass(frozen=True, slots=True)
class TickSetup:
    cron: CronFlavour
    jobs: tuple[str, ...]
    pg_net: bool = True


async def configure_tick(conn: AsyncConnection[Any], service_url: str, secret: str) -> TickSetup:
    """Store the target in Vault and (re)schedule the jobs, in one transaction."""
    async with conn.transaction():
        await conn.execute(
            "select avito_private.configure_poll_target(%s, %s)", (service_url, secret)
        )
        cur = await conn.execute("select avito_private.schedule_sync_jobs()")
        row = await cur.fetchone()
        flavour = _first(row)
        jobs: tuple[str, ...] = ()
        if flavour != "absent":
            cur = await conn.execute(
                "select jobname from cron.job"
                " where jobname in ('avito-poller', 'avito-sync-prune') order by jobname"
            )
            jobs = tuple(str(_first(r)) for r in await cur.fetchall())
        cur = await conn.execute(
            "select to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)')"
            " is not null"
        )
        pg_net = bool(_first(await cur.fetchone()))
    cron: CronFlavour = (
        "seconds" if flavour == "seconds" else "minute" if flavour == "minute" else "absent"
    )
    return TickSetup(cron=cron, jobs=jobs, pg_net=pg_net)


def _first(row: Any) -> Any:
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]

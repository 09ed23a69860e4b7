"""Point the pg_cron tick at this service: the target and secret in Vault, the jobs scheduled.

Both steps are SQL functions of the tick migration; running them again replaces the values
and the schedules by name, so `avito-sync setup` is safe to repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from psycopg import AsyncConnection

from avito_sync.sync import QUERIES

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
            QUERIES["configure_poll_target"], {"service_url": service_url, "secret": secret}
        )
        cur = await conn.execute(QUERIES["schedule_sync_jobs"])
        row = await cur.fetchone()
        flavour = row["cron"] if row else None
        jobs: tuple[str, ...] = ()
        if flavour != "absent":
            cur = await conn.execute(QUERIES["scheduled_jobs"])
            jobs = tuple(str(r["jobname"]) for r in await cur.fetchall())
        cur = await conn.execute(QUERIES["pg_net_installed"])
        row = await cur.fetchone()
    cron: CronFlavour = (
        "seconds" if flavour == "seconds" else "minute" if flavour == "minute" else "absent"
    )
    return TickSetup(cron=cron, jobs=jobs, pg_net=bool(row and row["installed"]))

"""The pg_net stand-in's delivery side: send queued requests after their transaction commits.

`net.http_post/get/delete` (sql/local/05_net.sql) insert into `net.http_request_queue` and
NOTIFY `net_http_request`; Postgres delivers the notification only on commit, so the dispatcher
only ever sees committed rows. It sends each request, records the reply in `net._http_response`
and deletes the queue row in one transaction. Like pg_net it never retries. Only loopback
destinations are contacted: the stand-in serves local development and tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row

from avito_sync.core.logs import get_logger
from avito_sync.core.loopback import is_loopback_url
from avito_sync.local.postgres.errors import StackError

log = get_logger(__name__)

CHANNEL = "net_http_request"
BATCH_SIZE = 200
IDLE_POLL_SECONDS = 0.5
RECONNECT_SECONDS = 1.0
USER_AGENT = "pg_net/local-stand-in"
_LOCK_KEY = "avito-sync net-dispatch"
APPLICATION_NAME = "avito-sync net-dispatch"


@dataclass(frozen=True)
class Reply:
    """One row for net._http_response."""

    id: int
    status_code: int | None = None
    content_type: str | None = None
    headers: dict[str, str] | None = None
    content: str | None = None
    timed_out: bool = False
    error_msg: str | None = None

    def params(self) -> tuple[Any, ...]:
        headers = None if self.headers is None else json.dumps(self.headers)
        return (
            self.id,
            self.status_code,
            self.content_type,
            headers,
            self.content,
            self.timed_out,
            self.error_msg,
        )


async def send(client: httpx.AsyncClient, row: dict[str, Any]) -> Reply:
    request_id = int(row["id"])
    url = str(row["url"])
    if not is_loopback_url(url):
        return Reply(request_id, error_msg="local pg_net stand-in delivers to loopback URLs only")
    headers = {"User-Agent": USER_AGENT} | {str(k): str(v) for k, v in row["headers"].items()}
    body = row["body"]
    try:
        response = await client.request(
            str(row["method"]),
            url,
            headers=headers,
            content=bytes(body) if body is not None else None,
            timeout=int(row["timeout_milliseconds"]) / 1000,
        )
    except httpx.TimeoutException:
        return Reply(request_id, timed_out=True, error_msg="Timeout was reached")
    except httpx.HTTPError as exc:
        return Reply(request_id, error_msg=f"{type(exc).__name__}: {exc}")
    return Reply(
        request_id,
        status_code=response.status_code,
        content_type=response.headers.get("content-type"),
        headers=dict(response.headers),
        content=response.text,
    )


async def drain(conn: psycopg.AsyncConnection[dict[str, Any]], client: httpx.AsyncClient) -> int:
    """Send every committed queued request; return how many were handled."""
    handled = 0
    while True:
        cursor = await conn.execute(
            "select id, method, url, headers, body, timeout_milliseconds"
            " from net.http_request_queue order by id limit %s",
            (BATCH_SIZE,),
        )
        rows = await cursor.fetchall()
        if not rows:
            return handled
        replies = await asyncio.gather(*(send(client, row) for row in rows))
        async with conn.transaction(), conn.cursor() as cur:
            await cur.executemany(
                "insert into net._http_response (id, status_code, content_type, headers,"
                " content, timed_out, error_msg) values (%s, %s, %s, %s, %s, %s, %s)",
                [reply.params() for reply in replies],
            )
            await cur.execute(
                "delete from net.http_request_queue where id = any(%s)",
                ([reply.id for reply in replies],),
            )
        for reply in replies:
            log.info(
                "net request delivered",
                request_id=reply.id,
                status_code=reply.status_code,
                timed_out=reply.timed_out,
                error=reply.error_msg,
            )
        handled += len(rows)


async def _serve(
    url: str,
    client: httpx.AsyncClient,
    stop: asyncio.Event,
    on_ready: Callable[[], None] | None,
) -> None:
    async with (
        await psycopg.AsyncConnection.connect(
            url, autocommit=True, application_name=APPLICATION_NAME
        ) as listener,
        await psycopg.AsyncConnection.connect(
            url, autocommit=True, row_factory=dict_row, application_name=APPLICATION_NAME
        ) as worker,
    ):
        locked = await worker.execute(
            "select pg_try_advisory_lock(hashtext(%s)) as ok", (_LOCK_KEY,)
        )
        row = await locked.fetchone()
        if not row or not row["ok"]:
            raise StackError(
                "dispatcher_running", "another net dispatcher already serves this database"
            )
        if await _missing_queue(worker):
            raise StackError(
                "no_net_schema", "net.http_request_queue is missing: run `avito-sync db up` first"
            )
        await listener.execute(f"listen {CHANNEL}")
        await drain(worker, client)
        if on_ready is not None:
            on_ready()
        while not stop.is_set():
            # Wake on a notification or after a short idle period (a notification that arrives
            # while draining is not lost: the next pass finds its row anyway).
            async for _ in listener.notifies(timeout=IDLE_POLL_SECONDS, stop_after=1):
                pass
            await drain(worker, client)


async def run(url: str, stop: asyncio.Event, on_ready: Callable[[], None] | None = None) -> None:
    """Dispatch until `stop` is set: drain leftovers, then wake on every committed request.

    A lost connection (the cluster restarted or was reset) is re-established every second.
    """
    async with httpx.AsyncClient(follow_redirects=False) as client:
        while not stop.is_set():
            try:
                await _serve(url, client, stop, on_ready)
            except psycopg.OperationalError as exc:
                log.warning("net dispatcher lost its database connection", error=str(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RECONNECT_SECONDS)
            else:
                return
            on_ready = None


async def _missing_queue(conn: psycopg.AsyncConnection[dict[str, Any]]) -> bool:
    cursor = await conn.execute("select to_regclass('net.http_request_queue') is null as missing")
    row = await cursor.fetchone()
    return bool(row and row["missing"])

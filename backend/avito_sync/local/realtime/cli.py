"""`avito-sync realtime-local`: the local Supabase Realtime stand-in (never for production)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from typing import Annotated

import typer

from avito_sync.core.logs import configure_logging
from avito_sync.core.loopback import is_loopback_host
from avito_sync.core.signals import on_stop_signals
from avito_sync.local.realtime.decoding import LogicalFeed
from avito_sync.local.realtime.server import RealtimeLocal


def realtime_local_command(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 54340,
    host: Annotated[str, typer.Option(help="Loopback address to listen on.")] = "127.0.0.1",
    database_url: Annotated[
        str | None, typer.Option(help="Database to decode (default: DATABASE_URL).")
    ] = None,
    poll_seconds: Annotated[
        float, typer.Option(min=0.01, max=10.0, help="How often the wal2json slot is read.")
    ] = 0.2,
) -> None:
    """Serve postgres_changes for tables in supabase_realtime at ws://HOST:PORT/realtime/v1.

    LOCAL ONLY: no authentication, no RLS, no broadcast/presence, only `eq` filters. Prints
    "realtime-local ready on <url>" to stderr once it accepts connections.
    """
    url = database_url or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        typer.secho("--database-url or DATABASE_URL (postgresql://) is required", err=True)
        raise typer.Exit(code=2)
    if not is_loopback_host(host):
        typer.secho(f"realtime-local listens on loopback only, not {host!r}", err=True)
        raise typer.Exit(code=2)
    configure_logging()

    async def run() -> None:
        stop = asyncio.Event()
        on_stop_signals(stop.set)
        ready = asyncio.Event()
        server = RealtimeLocal(LogicalFeed(url, poll_seconds=poll_seconds))
        task = asyncio.create_task(server.run(host, port, ready))
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if ready.is_set():
            print(
                f"realtime-local ready on ws://{host}:{server.bound_port}/realtime/v1",
                file=sys.stderr,
                flush=True,
            )
            await asyncio.wait(
                {task, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED
            )
        else:
            task.result()  # it ended before becoming ready: surface why
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())

"""`avito-sync db ...`: run the local Supabase-like Postgres (docs/local-postgres.md).

The cluster lives in `.local/pg` on port 54330 unless `AVITO_SYNC_PG_DIR` / `AVITO_SYNC_PG_PORT`
say otherwise.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from typing import Annotated, TypeVar

import psycopg
import typer

from avito_sync.core.logs import configure_logging
from avito_sync.core.signals import on_stop_signals
from avito_sync.local.postgres import netdispatch, stack
from avito_sync.local.postgres.config import StackConfig
from avito_sync.local.postgres.errors import StackError
from avito_sync.local.postgres.packages import BROWSER_PACKAGES, REQUIRED_PACKAGES, ensure_packages

app = typer.Typer(help="Local Postgres stack.", no_args_is_help=True)

T = TypeVar("T")


def _config() -> StackConfig:
    return StackConfig.from_env()


def _guard(action: Callable[[], T]) -> T:
    try:
        return action()
    except StackError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except psycopg.OperationalError as exc:
        typer.echo(f"error[db_unreachable]: {exc}".strip(), err=True)
        raise typer.Exit(1) from None


def _report(ready: stack.Ready) -> None:
    for note in ready.notes:
        typer.echo(f"note: {note}", err=True)
    if ready.started:
        typer.echo(f"started postgres in {ready.config.root} on port {ready.config.port}", err=True)
    if ready.layer_applied:
        typer.echo("applied the local layer (sql/local)", err=True)
    for migration in ready.migrations:
        typer.echo(f"applied migration {migration.version}_{migration.name}", err=True)
    typer.echo(ready.config.url)


@app.command()
def packages(
    browser: Annotated[
        bool, typer.Option("--browser", help="Also Debian's chromium (the browser test).")
    ] = False,
) -> None:
    """Install the missing Debian packages (as root on Debian; otherwise print the command)."""
    wanted = REQUIRED_PACKAGES + (BROWSER_PACKAGES if browser else ())
    installed = _guard(lambda: ensure_packages(wanted))
    typer.echo(f"installed: {' '.join(installed)}" if installed else "all present", err=True)


@app.command()
def up() -> None:
    """Start the cluster (initdb on first use) and apply the local layer and pending migrations."""
    _report(_guard(lambda: stack.up(_config())))


@app.command()
def reset(
    no_migrations: Annotated[
        bool, typer.Option("--no-migrations", help="Apply only the local layer.")
    ] = False,
) -> None:
    """Recreate the cluster from scratch: local layer plus (unless told not to) every migration."""
    _report(_guard(lambda: stack.reset(_config(), with_migrations=not no_migrations)))


@app.command()
def down() -> None:
    """Stop the cluster (its data stays)."""
    stopped = _guard(lambda: stack.down(_config()))
    typer.echo("stopped" if stopped else "not running")


@app.command()
def url() -> None:
    """Print the connection URL."""
    typer.echo(_guard(lambda: stack.located(_config())).url)


@app.command()
def psql() -> None:
    """Open psql on the database."""
    target = _guard(lambda: stack.located(_config())).url
    binary = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    os.execv(binary, [binary, target])  # noqa: S606 - replaces this process by design


@app.command()
def status() -> None:
    """Say whether the cluster runs, its version, extensions and migrations."""
    info = _guard(lambda: stack.status(_config()))
    typer.echo(f"dir:        {info.config.root}")
    typer.echo(f"port:       {info.config.port}")
    typer.echo(f"url:        {info.config.url}")
    typer.echo(f"running:    {'yes' if info.running else 'no'}")
    if info.running:
        typer.echo(f"version:    {info.version}")
        typer.echo(f"local layer: {'current' if info.layer_current else 'missing or outdated'}")
        typer.echo(f"extensions: {', '.join(info.extensions)}")
        typer.echo(f"applied:    {', '.join(info.applied) or '-'}")
        typer.echo(f"pending:    {', '.join(info.pending) or '-'}")


def _database_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("postgresql://", "postgres://")):
        raise typer.BadParameter("must be a postgresql:// URL")
    return value


@app.command("net-dispatch")
def net_dispatch(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Database to serve (default: the stack's `postgres` database).",
            callback=_database_url,
        ),
    ] = None,
) -> None:
    """Deliver pg_net stand-in requests after commit until SIGINT/SIGTERM."""
    configure_logging()
    target = database_url or _guard(lambda: stack.located(_config())).url

    async def main() -> None:
        stop = asyncio.Event()
        on_stop_signals(stop.set)
        await netdispatch.run(
            target, stop, on_ready=lambda: typer.echo("net-dispatch ready", err=True)
        )

    _guard(lambda: asyncio.run(main()))

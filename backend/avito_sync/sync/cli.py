"""`avito-sync setup` (point the pg_cron tick at the service) and `avito-sync worker`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

import psycopg
import typer
from psycopg.rows import dict_row

from avito_sync.avito.settings import AvitoSettings, load_avito_settings
from avito_sync.core.env_settings import exit_on_settings_error
from avito_sync.core.gc_tuning import tune_for_service
from avito_sync.core.logs import configure_logging, get_logger
from avito_sync.core.signals import on_stop_signals
from avito_sync.notify.channel_settings import load_channel_settings
from avito_sync.notify.telegram_setup import TelegramSetupError, register_webhook
from avito_sync.sync.runtime import SyncRuntime
from avito_sync.sync.settings import SyncSettings, load_sync_settings
from avito_sync.sync.ticker import PG_NET_MISSING, TickSetup, configure_tick

log = get_logger(__name__)


def _sync_settings(command: str) -> SyncSettings:
    """The settings, or exit 2 naming the bad variable."""
    with exit_on_settings_error(command):
        return load_sync_settings()


def _avito_settings(command: str) -> AvitoSettings:
    with exit_on_settings_error(command):
        return load_avito_settings()


def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


@dataclass(frozen=True, slots=True)
class SetupTarget:
    """Where `setup` points the tick; the secret is never printed."""

    database_url: str
    service_url: str
    secret: str = field(repr=False)


def setup_target(service_url: str | None, command: str = "setup") -> SetupTarget:
    """The settings `setup` needs, or exit 2 naming what is missing."""
    settings = _sync_settings(command)
    url = service_url.rstrip("/") if service_url else settings.service_url
    if not url or not url.startswith(("http://", "https://")):
        raise _fail("AVITO_SYNC_SERVICE_URL (or --service-url) must be an http(s) URL")
    if settings.poll_secret is None:
        raise _fail("AVITO_SYNC_POLL_SECRET is required (at least 32 characters)")
    return SetupTarget(settings.database_url, url, settings.poll_secret.get_secret_value())


def setup_lines(target: SetupTarget, done: TickSetup) -> list[str]:
    """What `setup` did, one line each (also printed by `cutover apply`)."""
    lines = [f"poll target stored in Vault: {target.service_url}/v1/poll"]
    if done.cron == "seconds":
        lines.append("avito-poller scheduled every 10 seconds (pg_cron >= 1.5)")
    elif done.cron == "minute":
        lines.append("avito-poller scheduled every minute, six polls 10 s apart (pg_cron < 1.5)")
    else:
        lines.append("pg_cron is not installed in this database: no job scheduled")
    if done.jobs:
        lines.append("jobs: " + ", ".join(done.jobs))
    return lines


def setup_command(
    service_url: Annotated[
        str | None,
        typer.Option(help="Base URL the database reaches the service at (AVITO_SYNC_SERVICE_URL)."),
    ] = None,
) -> None:
    """Store the tick target and secret in Vault and (re)schedule the pg_cron jobs.

    The secret is read from AVITO_SYNC_POLL_SECRET only (never a command-line argument, which
    would show in the process list); the service checks the same variable. Safe to repeat.
    """
    target = setup_target(service_url)

    async def run() -> TickSetup:
        async with await psycopg.AsyncConnection.connect(
            target.database_url, autocommit=True, row_factory=dict_row
        ) as conn:
            return await configure_tick(conn, target.service_url, target.secret)

    try:
        done = asyncio.run(run())
    except psycopg.Error as exc:
        raise _fail(f"setup failed: {type(exc).__name__}: {exc.diag.message_primary}") from None
    for line in setup_lines(target, done):
        typer.echo(line)
    if not done.pg_net:
        typer.secho(PG_NET_MISSING, fg=typer.colors.RED, err=True)
    _register_telegram(target.service_url)


def _register_telegram(service_url: str) -> None:
    """The bot's webhook, when TELEGRAM_BOT_TOKEN is set."""
    with exit_on_settings_error("setup"):
        settings = load_channel_settings()
    try:
        registered = asyncio.run(register_webhook(settings, service_url))
    except TelegramSetupError as exc:
        raise _fail(str(exc)) from None
    if registered:
        typer.echo(f"Telegram bot webhook registered: {registered}")


def worker_command() -> None:
    """Run syncs until SIGINT/SIGTERM: LISTEN for app changes, poll as a fallback."""
    settings = _sync_settings("worker")
    avito_settings = _avito_settings("worker")
    configure_logging()

    async def run() -> None:
        try:
            runtime = await SyncRuntime.open(settings, avito_settings)
        except psycopg.OperationalError as exc:
            raise _fail(f"cannot reach the database: {type(exc).__name__}") from None
        on_stop_signals(runtime.worker.stop)
        tune_for_service()
        try:
            await runtime.worker.run_forever()
        finally:
            await runtime.aclose()

    asyncio.run(run())

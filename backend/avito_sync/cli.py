"""The `avito-sync` command: one entry point for every part of the system."""

from __future__ import annotations

import typer

from avito_sync.api.cli import serve_command
from avito_sync.cutover.cli import app as cutover_app
from avito_sync.db.cli import app as db_app
from avito_sync.devstack.cli import app as dev_app
from avito_sync.devstack.cli import demo_command
from avito_sync.notify.cli import notify_command
from avito_sync.realtime_local.cli import realtime_local_command
from avito_sync.sandbox.cli import sandbox_command
from avito_sync.standins.cli import push_local_command, telegram_local_command
from avito_sync.sync.cli import setup_command, worker_command

app = typer.Typer(
    name="avito-sync",
    help="Avito short-term-rent sync for a Supabase property-management app.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(cutover_app, name="cutover")
app.add_typer(db_app, name="db")
app.add_typer(dev_app, name="dev")
app.command("demo")(demo_command)
app.command("notify")(notify_command)
app.command("push-local")(push_local_command)
app.command("realtime-local")(realtime_local_command)
app.command("sandbox")(sandbox_command)
app.command("serve")(serve_command)
app.command("setup")(setup_command)
app.command("telegram-local")(telegram_local_command)
app.command("worker")(worker_command)

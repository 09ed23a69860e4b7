"""The `avito-sync` command: one entry point for every part of the system.

Subcommands are a lazy registry: each names the module that defines it, imported only when that
command runs. So `avito-sync worker` never loads the local stand-ins (the product wing does not
import the local one) and `avito-sync --help` stays fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import typer
from typer import _click as click  # Typer vendors click; its types are these
from typer.core import TyperGroup


@dataclass(frozen=True)
class Entry:
    """Where a subcommand lives: ``module:attribute``, a Typer app (a group) or a function."""

    target: str
    help: str

    def load(self, name: str) -> click.Command:
        module_name, attribute = self.target.split(":")
        obj = getattr(importlib.import_module(module_name), attribute)
        if isinstance(obj, typer.Typer):
            command = typer.main.get_command(obj)
        else:
            single = typer.Typer(add_completion=False)
            single.command(name, help=self.help if obj.__doc__ is None else None)(obj)
            command = typer.main.get_command(single)
        command.name = name
        return command


REGISTRY: dict[str, Entry] = {
    "cutover": Entry(
        "avito_sync.cutover.cli:app", "Check or apply the cutover from the old functions."
    ),
    "db": Entry("avito_sync.local.postgres.cli:app", "Local Postgres stack."),
    "demo": Entry(
        "avito_sync.local.devstack.cli:demo_command", "A guided walkthrough against `make dev`."
    ),
    "dev": Entry(
        "avito_sync.local.devstack.cli:app", "Run the whole system locally (development only)."
    ),
    "notify": Entry("avito_sync.notify.cli:notify_command", "Run the notifier."),
    "push-local": Entry(
        "avito_sync.local.standins.cli:push_local_command", "Local Web Push service stand-in."
    ),
    "realtime-local": Entry(
        "avito_sync.local.realtime.cli:realtime_local_command", "Local Realtime stand-in."
    ),
    "sandbox": Entry("avito_sync.local.sandbox.cli:sandbox_command", "The Avito emulator."),
    "serve": Entry("avito_sync.api.cli:serve_command", "Run the HTTP service."),
    "setup": Entry("avito_sync.sync.cli:setup_command", "Point the pg_cron tick at the service."),
    "telegram-local": Entry(
        "avito_sync.local.standins.cli:telegram_local_command", "Local Telegram Bot API stand-in."
    ),
    "worker": Entry("avito_sync.sync.cli:worker_command", "Run the sync worker."),
}


class LazyGroup(TyperGroup):
    """Lists the registry without importing it; imports one entry when it is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(REGISTRY)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = REGISTRY.get(cmd_name)
        return None if entry is None else entry.load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, REGISTRY[name].help) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="avito-sync",
    cls=LazyGroup,
    rich_markup_mode=None,  # rich help would import every entry to render its panel
    help="Avito short-term-rent sync for a Supabase property-management app.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Avito short-term-rent sync for a Supabase property-management app."""

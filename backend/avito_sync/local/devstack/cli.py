"""`avito-sync dev` (run the whole system locally) and `avito-sync dev token` (a dev JWT)."""

from __future__ import annotations

import asyncio
import shlex
import uuid
from typing import Annotated

import psycopg
import typer

from avito_sync.local.devstack import secrets
from avito_sync.local.devstack.config import DevConfig, DevConfigError
from avito_sync.local.devstack.demo import run_demo
from avito_sync.local.devstack.output import Output
from avito_sync.local.devstack.run import run
from avito_sync.local.devstack.seed import DEMO_PROPERTY_IDS, DEMO_USER_EMAIL, DEMO_USER_ID
from avito_sync.local.devstack.token import mint
from avito_sync.local.postgres.errors import StackError
from avito_sync.local.sandbox.config import DEMO_ITEM_IDS

app = typer.Typer(
    help="Run the whole system locally (development only).",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _config() -> DevConfig:
    try:
        return DevConfig.from_env()
    except (DevConfigError, StackError) as exc:
        typer.echo(f"avito-sync dev: {exc}", err=True)
        raise typer.Exit(2) from None


@app.callback()
def dev(ctx: typer.Context) -> None:
    """Database, seed, sandbox, net dispatcher, service + worker, pg_cron tick, Realtime
    stand-in and notifier in the foreground; Ctrl-C stops them all.

    Ports: AVITO_SYNC_PG_PORT (54330), AVITO_SYNC_DEV_API_PORT (8000),
    AVITO_SYNC_DEV_SANDBOX_PORT (8790), AVITO_SYNC_DEV_REALTIME_PORT (54340),
    AVITO_SYNC_DEV_INBOX_PORT (8791), AVITO_SYNC_DEV_SUPABASE_PORT (54321, the functions
    gateway), AVITO_SYNC_DEV_APP_PORT (5173, the app's callback page stand-in); files:
    AVITO_SYNC_DEV_DIR (.local: dev.env, sandbox-state.json, and the cluster in pg/ unless
    AVITO_SYNC_PG_DIR says otherwise); AVITO_SYNC_DEV_FUNCTIONS_URL (where the callback page
    calls /functions/v1; default the functions gateway, SUPABASE_URL).
    """
    if ctx.invoked_subcommand is not None:
        return
    config = _config()
    try:
        code = asyncio.run(run(config, Output()))
    except (StackError, secrets.DevEnvError) as exc:
        typer.echo(f"avito-sync dev: {exc}", err=True)
        raise typer.Exit(1) from None
    except psycopg.OperationalError as exc:
        typer.echo(f"avito-sync dev: database unreachable: {exc}".strip(), err=True)
        raise typer.Exit(1) from None
    except OSError as exc:  # e.g. the inbox port is taken
        typer.echo(f"avito-sync dev: {exc}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command()
def token(
    user_id: Annotated[
        uuid.UUID, typer.Option(help="The user (`sub`); default: the seeded demo host.")
    ] = DEMO_USER_ID,
    ttl: Annotated[int, typer.Option(min=60, max=7 * 86400, help="Lifetime in seconds.")] = 3600,
) -> None:
    """Print a user JWT signed with the dev stack's HS256 secret.

    Refuses unless the dev stack's env file exists: it never signs with any other secret.
    """
    try:
        dev_env = secrets.read(_config().env_file)
    except secrets.DevEnvError as exc:
        typer.echo(f"avito-sync dev token: {exc}", err=True)
        raise typer.Exit(1) from None
    email = DEMO_USER_EMAIL if user_id == DEMO_USER_ID else None
    typer.echo(mint(dev_env, user_id, email=email, ttl_seconds=ttl))


@app.command("env")
def shell_env() -> None:
    """Print `export` lines for a shell: eval "$(uv run --frozen avito-sync dev env)".

    API, SANDBOX, APP, INBOX and DB are the dev stack's URLs (with every override applied),
    FUNCTIONS the /functions/v1 base the app calls, TOKEN a dev JWT of the demo host,
    PROPERTY the first demo property and ITEM the first demo Avito listing.
    """
    config = _config()
    try:
        dev_env = secrets.read(config.env_file)
    except secrets.DevEnvError as exc:
        typer.echo(f"avito-sync dev env: {exc}", err=True)
        raise typer.Exit(1) from None
    values = {
        "API": config.api_url,
        "FUNCTIONS": f"{config.functions_url}/functions/v1",
        "SANDBOX": config.sandbox_url,
        "APP": config.app_url,
        "INBOX": config.inbox_url,
        "DB": config.database.url,
        "TOKEN": mint(dev_env, DEMO_USER_ID, email=DEMO_USER_EMAIL),
        "PROPERTY": str(DEMO_PROPERTY_IDS[0]),
        "ITEM": str(DEMO_ITEM_IDS[0]),
    }
    for name, value in values.items():
        typer.echo(f"export {name}={shlex.quote(value)}")


def demo_command() -> None:
    """A guided walkthrough against the dev stack (started here unless `make dev` runs):
    connect the demo property, list listings, save the integration, a guest booking arriving,
    a price reaching Avito, the notification in the inbox. Exits 0 when every step worked."""
    raise typer.Exit(run_demo(_config()))

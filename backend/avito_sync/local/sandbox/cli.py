"""`avito-sync sandbox`: run the Avito emulator standalone (dev stack, manual consent flow)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from avito_sync.core.logs import configure_logging, get_logger
from avito_sync.local.sandbox.app import create_app
from avito_sync.local.sandbox.config import DEMO_ACCOUNT_ID, DEMO_ITEM_IDS, config_from_env


def sandbox_command(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8790,
    host: Annotated[str, typer.Option(help="Interface to bind (keep it on loopback).")] = (
        "127.0.0.1"
    ),
    state_file: Annotated[
        Path | None, typer.Option(help="Persist state to this JSON file (loaded at start).")
    ] = None,
    redirect_uri: Annotated[
        str | None,
        typer.Option(help="Registered redirect URI of the demo application.", show_default=False),
    ] = None,
    token_ttl: Annotated[
        int | None, typer.Option(min=1, help="Access-token lifetime in seconds (default 86400).")
    ] = None,
) -> None:
    """Run the Avito sandbox: OAuth consent page, /token, accounts, items and the STR API.

    Demo application credentials come from AVITO_CLIENT_ID / AVITO_CLIENT_SECRET, its redirect
    URI from --redirect-uri or AVITO_REDIRECT_URI; without them fixed dev defaults are used.
    """
    configure_logging()
    log = get_logger("avito_sync.local.sandbox")
    try:
        config = config_from_env(
            redirect_uri=redirect_uri, token_ttl_seconds=token_ttl, state_file=state_file
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    base = f"http://{host}:{port}"
    typer.echo(f"Avito sandbox on {base}  (control API: {base}/_sandbox/docs)")
    typer.echo(f"  demo account {DEMO_ACCOUNT_ID}, listings {', '.join(map(str, DEMO_ITEM_IDS))}")
    typer.echo(f"  redirect URI {config.redirect_uri}")
    if config.uses_default_credentials:
        # Public dev defaults, printed on purpose so a developer can paste them into .env.
        typer.echo(f"  demo client_id     {config.client_id}")
        typer.echo(f"  demo client_secret {config.client_secret}")
    else:
        typer.echo(f"  demo client_id {config.client_id} (secret from AVITO_CLIENT_SECRET)")
    typer.echo(
        f"  consent page: {base}/oauth?response_type=code&client_id={config.client_id}"
        "&scope=user:read,short_term_rent:read,short_term_rent:write,items:info&state=dev"
    )
    try:
        app = create_app(config, log_requests=True)
    except ValueError as exc:  # an unreadable --state-file
        raise typer.BadParameter(str(exc), param_hint="--state-file") from None
    log.info("sandbox starting", host=host, port=port, persisted=state_file is not None)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)

"""`avito-sync serve`: the HTTP service, with the sync worker loop in the same process."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from avito_sync.api.app import create_app
from avito_sync.api.settings import load_service_settings
from avito_sync.avito.settings import load_avito_settings
from avito_sync.core.env_settings import exit_on_settings_error
from avito_sync.core.gc_tuning import tune_for_service
from avito_sync.core.logs import configure_logging, get_logger
from avito_sync.sync.settings import load_sync_settings

log = get_logger(__name__)


def serve_command(
    host: Annotated[
        str, typer.Option(envvar="AVITO_SYNC_HOST", help="Interface to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="AVITO_SYNC_PORT", min=1, max=65535, help="TCP port.")
    ] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Serve HTTP only; another process runs syncs.")
    ] = False,
) -> None:
    """Serve the frontend's functions, /v1/poll, /healthz, /readyz and /metrics."""
    with exit_on_settings_error("serve"):
        settings = load_service_settings()
        avito_settings = load_avito_settings()
        sync_settings = load_sync_settings()
    configure_logging(settings.log_level)
    run_worker = settings.run_worker and not no_worker
    log.info("service_starting", host=host, port=port, worker=run_worker)
    app = create_app(settings, avito_settings, sync_settings, run_worker=run_worker)
    tune_for_service()
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)

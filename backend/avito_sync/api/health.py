"""Liveness, readiness and the Prometheus scrape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from avito_sync.api import store
from avito_sync.api.deps import Context
from avito_sync.core.migrations import ProjectNotFoundError, list_migrations

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up; says nothing about its dependencies."""
    return {"status": "ok"}


def shipped_versions(directory: Path | None = None) -> set[str]:
    return {migration.version for migration in list_migrations(directory)}


@router.get("/readyz", responses={503: {"description": "A dependency is not ready"}})
async def readyz(context: Context) -> JSONResponse:
    """Database reachable, every shipped migration applied, Vault readable."""
    checks: dict[str, Any] = {"database": False, "migrations": False, "vault": False}
    try:
        async with context.pool.connection(timeout=5) as conn:
            await conn.execute("select 1")
            checks["database"] = True
            try:
                shipped = shipped_versions(context.settings.migrations_dir)
            except ProjectNotFoundError:
                checks["missing_migrations"] = (
                    "migration files not found: set AVITO_SYNC_MIGRATIONS_DIR"
                )
            else:
                missing = sorted(shipped - await store.applied_migrations(conn))
                checks["migrations"] = not missing
                if missing:
                    checks["missing_migrations"] = missing
            checks["vault"] = await store.vault_readable(conn)
    except (psycopg.Error, OSError, TimeoutError) as error:
        checks["error"] = type(error).__name__
    ready = all(checks[name] for name in ("database", "migrations", "vault"))
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response)
async def metrics(context: Context) -> Response:
    try:
        async with context.pool.connection(timeout=2) as conn:
            lag = await store.queue_lag(conn)
            outcomes = await store.recent_run_outcomes(conn)
        context.metrics.queue_lag.set(float(lag["lag"]))
        context.metrics.queue_due.set(float(lag["due"]))
        context.metrics.recent_runs.clear()
        for row in outcomes:
            context.metrics.recent_runs.labels(row["outcome"]).set(float(row["runs"]))
    except (psycopg.Error, OSError, TimeoutError):
        pass  # the scrape still reports the in-process counters
    return Response(generate_latest(context.metrics.registry), media_type=CONTENT_TYPE_LATEST)

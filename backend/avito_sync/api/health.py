"""Liveness, readiness and the Prometheus scrape."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NotRequired

import psycopg
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from typing_extensions import TypedDict

from avito_sync.api.deps import Context
from avito_sync.api.store import QUERIES, Conn, Row
from avito_sync.core.migrations import ProjectNotFoundError, list_migrations

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up; says nothing about its dependencies."""
    return {"status": "ok"}


def shipped_versions(directory: Path | None = None) -> set[str]:
    return {migration.version for migration in list_migrations(directory)}


class Readiness(TypedDict):
    """`/readyz`: each dependency's check; `missing_migrations` names what is not applied."""

    ready: bool
    database: bool
    migrations: bool
    vault: bool
    missing_migrations: NotRequired[list[str] | str]
    error: NotRequired[str]


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is not ready"}},
)
async def readyz(context: Context) -> JSONResponse:
    """Database reachable, every shipped migration applied, Vault readable."""
    checks: dict[str, Any] = {"database": False, "migrations": False, "vault": False}
    try:
        async with context.pool.connection(timeout=5) as conn:
            await conn.execute(QUERIES["ping"])
            checks["database"] = True
            try:
                shipped = shipped_versions(context.settings.migrations_dir)
            except ProjectNotFoundError:
                checks["missing_migrations"] = (
                    "migration files not found: set AVITO_SYNC_MIGRATIONS_DIR"
                )
            else:
                missing = sorted(shipped - await applied_migrations(conn))
                checks["migrations"] = not missing
                if missing:
                    checks["missing_migrations"] = missing
            checks["vault"] = await vault_readable(conn)
    except (psycopg.Error, OSError, TimeoutError) as error:
        checks["error"] = type(error).__name__
    ready = all(checks[name] for name in ("database", "migrations", "vault"))
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response)
async def metrics(context: Context) -> Response:
    try:
        async with context.pool.connection(timeout=2) as conn:
            lag = await queue_lag(conn)
            outcomes = await recent_run_outcomes(conn)
        context.metrics.queue_lag.set(float(lag["lag"]))
        context.metrics.queue_due.set(float(lag["due"]))
        context.metrics.recent_runs.clear()
        for row in outcomes:
            context.metrics.recent_runs.labels(row["outcome"]).set(float(row["runs"]))
    except (psycopg.Error, OSError, TimeoutError):
        pass  # the scrape still reports the in-process counters
    return Response(generate_latest(context.metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def _row(conn: Conn, name: str) -> Row | None:
    cur = await conn.execute(QUERIES[name])
    row: Row | None = await cur.fetchone()
    return row


async def _rows(conn: Conn, name: str) -> list[Row]:
    cur = await conn.execute(QUERIES[name])
    return list(await cur.fetchall())


async def applied_migrations(conn: Conn) -> set[str]:
    """Versions in the Supabase CLI's history table; none when nothing was ever applied."""
    exists = await _row(conn, "migrations_table_exists")
    if not (exists and exists["ok"]):
        return set()
    return {str(row["version"]) for row in await _rows(conn, "applied_migrations")}


async def vault_readable(conn: Conn) -> bool:
    row = await _row(conn, "vault_readable")
    return bool(row and row["ok"])


async def queue_lag(conn: Conn) -> Row:
    return await _row(conn, "queue_lag") or {"lag": 0.0, "due": 0}


async def recent_run_outcomes(conn: Conn) -> list[Row]:
    return await _rows(conn, "recent_run_outcomes")

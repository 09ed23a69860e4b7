"""The real process: `avito-sync serve` under uvicorn on a free port, health, readiness,
metrics and shutdown; readiness failing on a database without the migrations."""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from avito_sync.api.app import build_app, service_context
from avito_sync.api.metrics import ServiceMetrics
from avito_sync.local.postgres.migrate import list_migrations
from avito_sync.sync.runtime import SyncRuntime
from avito_sync.sync.settings import SyncSettings
from tests.api.conftest import (
    ENDPOINT,
    Service,
    avito_settings,
    service_settings,
)
from tests.api.jwt_tools import JwksServer, SigningKey, claims, sign
from tests.api.process import SERVE, serve_env, start_service
from tests.api.test_integrations import connect_and_save
from tests.fixtures.db import Conn, create_user
from tests.fixtures.sandbox import Sandbox


def test_serve_refuses_to_start_naming_the_variable(
    database_url: str, jwks_server: JwksServer, sandbox: Sandbox
) -> None:
    env = serve_env(database_url, jwks_server, sandbox)
    env["SUPABASE_URL"] = "not a url"
    del env["AVITO_CLIENT_SECRET"]
    done = subprocess.run(SERVE, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "SUPABASE_URL" in done.stderr
    env = serve_env(database_url, jwks_server, sandbox)
    del env["AVITO_CLIENT_SECRET"]
    done = subprocess.run(SERVE, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "AVITO_CLIENT_SECRET" in done.stderr


def test_serve_runs_http_and_worker_and_stops_cleanly(
    database_url: str,
    db: Conn,
    jwks_server: JwksServer,
    sandbox: Sandbox,
    signing_key: SigningKey,
) -> None:
    process, base = start_service(serve_env(database_url, jwks_server, sandbox))
    try:
        with httpx.Client(base_url=base, trust_env=False) as http:
            ready = http.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json() == {
                "ready": True,
                "database": True,
                "migrations": True,
                "vault": True,
            }
            user = create_user(db)
            token = sign(signing_key, claims(jwks_server.issuer, user))
            answer = http.post(
                ENDPOINT,
                json={"action": "get-accounts"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.json() == {"success": True, "accounts": []}
            metrics = http.get("/metrics").text
            assert (
                'avito_sync_http_requests_total{method="POST",route="/functions/v1/avito-sync",'
                'status="200"} 1.0' in metrics
            )
            assert "avito_sync_queue_lag_seconds 0.0" in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert "worker_started" in stderr
    assert "worker_stopped" in stderr


@pytest.fixture
async def bare_service(
    scratch_database: Callable[..., str], jwks_server: JwksServer, sandbox: Sandbox
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a database that has the Supabase layer but none of our migrations."""
    url = scratch_database(local_layer=True)
    settings = service_settings(url, jwks_server)
    runtime = await SyncRuntime.open(
        SyncSettings.model_validate({"DATABASE_URL": url}), avito_settings(sandbox)
    )
    metrics = ServiceMetrics()
    try:
        async with service_context(settings, runtime, metrics) as context:
            app = build_app(settings, metrics)
            app.state.context = context
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
                yield http
    finally:
        await runtime.aclose()


async def test_readyz_reports_missing_migrations(bare_service: httpx.AsyncClient) -> None:
    answer = await bare_service.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["ready"] is False
    assert body["database"] is True
    assert body["migrations"] is False
    assert "20261127000600" in body["missing_migrations"]


async def test_metrics_count_requests_and_syncs(service: Service) -> None:
    c = await connect_and_save(service)
    await service.act(c.host, "sync", integration_id=c.integration_id)
    await service.http.post(ENDPOINT, json={"action": "status"})
    text = (await service.http.get("/metrics")).text
    assert 'avito_sync_syncs_total{outcome="success",trigger="manual"} 1.0' in text
    assert 'avito_sync_syncs_total{outcome="success",trigger="initial"} 1.0' in text
    assert (
        'avito_sync_http_requests_total{method="POST",route="/functions/v1/avito-sync",'
        'status="401"} 1.0' in text
    )
    assert "avito_sync_http_request_duration_seconds_bucket" in text
    assert "avito_sync_queue_due_rows" in text
    assert 'avito_sync_runs_last_hour{outcome="success"} 2.0' in text
    assert (
        'avito_sync_avito_calls_total{endpoint="POST /realty/v1/items/{id}/base",status="200"}'
        in text
    )
    assert 'avito_sync_avito_calls_total{endpoint="POST /token",status="200"} 1.0' in text


async def test_readyz_compares_with_the_shipped_migration_files(
    service: Service, tmp_path: Path
) -> None:
    for migration in list_migrations():
        shutil.copy(migration.path, tmp_path / migration.path.name)
    service.context.settings.migrations_dir = tmp_path
    assert (await service.http.get("/readyz")).status_code == 200
    (tmp_path / "29991231000000_from_the_future.sql").write_text("select 1;\n")
    answer = await service.http.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["missing_migrations"] == ["29991231000000"]


async def test_invented_http_methods_share_one_metrics_label(service: Service) -> None:
    for method in ("BREW", "WHEN", "X-ANYTHING"):
        await service.http.request(method, "/healthz")
    text = (await service.http.get("/metrics")).text
    assert (
        'avito_sync_http_requests_total{method="OTHER",route="/healthz",status="405"} 3.0' in text
    )
    assert "BREW" not in text

"""`avito-sync db ...` end to end, on a throw-away cluster of its own and on the test cluster."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from avito_sync.local.postgres import stack
from avito_sync.local.postgres.config import StackConfig
from tests.fixtures.db import connect
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]


def db_cli(config: StackConfig, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AVITO_SYNC_PG_DIR": str(config.root),
        "AVITO_SYNC_PG_PORT": str(config.port),
    }
    return subprocess.run(
        [sys.executable, "-m", "avito_sync.local.postgres", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


@pytest.fixture
def own_cluster() -> Iterator[StackConfig]:
    config = StackConfig(ROOT / ".local" / f"pg-cli-{uuid.uuid4().hex[:8]}", free_port())
    yield config
    db_cli(config, "down")
    shutil.rmtree(stack.located(config).root, ignore_errors=True)
    shutil.rmtree(config.root, ignore_errors=True)


def test_up_down_up_keeps_data_and_is_idempotent(own_cluster: StackConfig) -> None:
    first = db_cli(own_cluster, "up")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == own_cluster.url
    assert "started postgres" in first.stderr
    assert "applied the local layer" in first.stderr
    with connect(own_cluster.url) as conn:
        conn.execute("create table public.kept (v text)")
        conn.execute("insert into public.kept values ('still here')")

    second = db_cli(own_cluster, "up")
    assert second.returncode == 0, second.stderr
    assert "started" not in second.stderr
    assert "applied" not in second.stderr

    assert db_cli(own_cluster, "down").stdout.strip() == "stopped"
    stopped = db_cli(own_cluster, "status")
    assert "running:    no" in stopped.stdout

    third = db_cli(own_cluster, "up")
    assert third.returncode == 0, third.stderr
    assert "started postgres" in third.stderr
    with connect(own_cluster.url) as conn:
        assert conn.execute("select v from public.kept").fetchall() == [{"v": "still here"}]
        key = stack.located(own_cluster).data_dir / "avito_vault_root.key"
        assert key.stat().st_mode & 0o777 == 0o600
        assert conn.execute("select vault.create_secret('s') is not null as ok").fetchone() == {
            "ok": True
        }


def test_url_and_status_on_the_test_cluster(database_url: str, pg_cluster: StackConfig) -> None:
    url = db_cli(pg_cluster, "url")
    assert url.stdout.strip() == database_url
    status = db_cli(pg_cluster, "status")
    assert status.returncode == 0, status.stderr
    lines = {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in status.stdout.splitlines())
    }
    assert lines["running"] == "yes"
    assert lines["version"].startswith("15.")
    assert lines["local layer"] == "current"
    assert lines["pending"] == "-"
    assert "pg_cron" in lines["extensions"]
    with connect(database_url) as conn:
        applied = [
            r["version"]
            for r in conn.execute(
                "select version from supabase_migrations.schema_migrations order by 1"
            )
        ]
    assert lines["applied"] == (", ".join(applied) or "-")


def test_bad_port_is_a_clear_error(pg_cluster: StackConfig) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "avito_sync.local.postgres", "url"],
        env={**os.environ, "AVITO_SYNC_PG_PORT": "not-a-port"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "error[invalid_port]" in done.stderr

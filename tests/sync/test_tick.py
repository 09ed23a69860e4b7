"""The tick end to end: Vault-held target, pg_cron jobs, pg_net stand-in → `/v1/poll` → sync."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import psycopg
import pytest
import uvicorn
from fastapi import FastAPI
from psycopg.rows import dict_row
from typer.testing import CliRunner

from avito_sync.api.poll import PollGate, router
from avito_sync.avito import AvitoClient
from avito_sync.cli import app as cli_app
from avito_sync.sync.runtime import SyncRuntime
from avito_sync.sync.ticker import configure_tick
from tests.fixtures.db import apply_migrations, running_net_dispatcher
from tests.fixtures.sandbox import Sandbox
from tests.support.waiting import wait_for
from tests.sync import seed_integration
from tests.sync.engine_support import connect_host, runs

Conn = psycopg.Connection[dict[str, Any]]
SECRET = "p" * 48


def jobs(db: Conn) -> dict[str, dict[str, Any]]:
    rows = db.execute(
        "select jobname, jobid, schedule, command from cron.job"
        " where jobname in ('avito-poller', 'avito-sync-prune')"
    ).fetchall()
    return {r["jobname"]: r for r in rows}


def secret_value(db: Conn, name: str) -> str | None:
    row = db.execute(
        "select decrypted_secret from vault.decrypted_secrets where name = %s", (name,)
    ).fetchone()
    return None if row is None else row["decrypted_secret"]


async def test_setup_stores_the_target_and_schedules_the_jobs_idempotently(
    db: Conn, database_url: str
) -> None:
    before = jobs(db)
    async with await psycopg.AsyncConnection.connect(
        database_url, autocommit=True, row_factory=dict_row
    ) as conn:
        first = await configure_tick(conn, "http://127.0.0.1:8000/", SECRET)
        second = await configure_tick(conn, "http://127.0.0.1:9000", SECRET[::-1] + "x")
    assert first.cron == second.cron == "minute"  # Debian's pg_cron 1.4 in the local stack
    after = jobs(db)
    assert {k: v["jobid"] for k, v in after.items()} == {k: v["jobid"] for k, v in before.items()}
    assert after["avito-poller"]["schedule"] == "* * * * *"
    assert after["avito-poller"]["command"] == "select avito_private.request_polls_for_minute()"
    assert after["avito-sync-prune"]["command"] == "select avito_private.prune_sync_history()"
    assert secret_value(db, "avito_sync_service_url") == "http://127.0.0.1:9000"
    assert secret_value(db, "avito_sync_poll_secret") == SECRET[::-1] + "x"
    names = db.execute(
        "select count(*) as n from vault.secrets where name like 'avito_sync_%%'"
    ).fetchone()
    assert names == {"n": 2}


def test_migrations_apply_where_pg_cron_is_absent(scratch_database: Callable[..., str]) -> None:
    url = scratch_database(local_layer=True)
    apply_migrations(url)
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("select to_regnamespace('cron')").fetchone() == (None,)
        assert conn.execute("select avito_private.schedule_sync_jobs()").fetchone() == ("absent",)


def test_the_per_minute_job_asks_for_six_polls_ten_seconds_apart(db: Conn) -> None:
    db.execute("select avito_private.configure_poll_target('http://127.0.0.1:1', %s)", (SECRET,))
    db.execute("select avito_private.request_polls_for_minute()")
    queued = db.execute(
        "select url, headers, convert_from(body, 'utf8')::jsonb as body"
        " from net.http_request_queue order by id"
    ).fetchall()
    assert [q["body"]["delay_seconds"] for q in queued] == [0, 10, 20, 30, 40, 50]
    assert {q["url"] for q in queued} == {"http://127.0.0.1:1/v1/poll"}
    assert {q["headers"]["Authorization"] for q in queued} == {f"Bearer {SECRET}"}


def test_setup_command_refuses_without_a_secret_and_works_with_one(
    db: Conn, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [k for k in os.environ if k.startswith("AVITO_SYNC_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AVITO_SYNC_SERVICE_URL", "http://127.0.0.1:8000")
    runner = CliRunner()
    refused = runner.invoke(cli_app, ["setup"])
    assert refused.exit_code == 2
    assert "AVITO_SYNC_POLL_SECRET" in refused.output
    monkeypatch.setenv("AVITO_SYNC_POLL_SECRET", SECRET)
    done = runner.invoke(cli_app, ["setup"])
    assert done.exit_code == 0, done.output
    assert "http://127.0.0.1:8000/v1/poll" in done.output
    assert "every minute, six polls" in done.output
    assert SECRET not in done.output
    assert secret_value(db, "avito_sync_poll_secret") == SECRET


@pytest.fixture
async def poll_service(
    make_runtime: Callable[..., Any],
) -> AsyncIterator[tuple[str, SyncRuntime, PollGate]]:
    """The `/v1/poll` router on a real HTTP port, fed by a real sync runtime."""
    runtime: SyncRuntime = await make_runtime()
    app = FastAPI()
    app.include_router(router)
    gate = PollGate(runtime.worker.run_once, SECRET)
    app.state.poll_gate = gate
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", runtime, gate
    finally:
        server.should_exit = True
        await serving
        await gate.aclose()


async def test_request_poll_reaches_the_service_through_pg_net_and_runs_a_sync(
    db: Conn,
    database_url: str,
    sandbox: Sandbox,
    client: AvitoClient,
    poll_service: tuple[str, SyncRuntime, PollGate],
) -> None:
    url, _runtime, _gate = poll_service
    host = await connect_host(db, sandbox, client)
    async with await psycopg.AsyncConnection.connect(
        database_url, autocommit=True, row_factory=dict_row
    ) as conn:
        await configure_tick(conn, url, SECRET)
    with running_net_dispatcher(database_url):
        request = db.execute("select avito_private.request_poll() as id").fetchone()
        assert request is not None
        await wait_for(lambda: len(runs(db, host.integration_id)) == 1, limit=20)
    reply = db.execute(
        "select status_code, content from net._http_response where id = %s", (request["id"],)
    ).fetchone()
    assert reply is not None
    assert reply["status_code"] == 202
    [run] = runs(db, host.integration_id)
    assert (run["trigger"], run["outcome"]) == ("initial", "success")


def test_the_prune_job_drops_old_cron_history_and_old_runs_only(db: Conn) -> None:
    seeded = seed_integration(db, avito_user_id=7100, avito_item_id=1_000_000_100)
    for age in ("40 days", "1 day"):
        db.execute(
            "insert into public.avito_sync_runs (integration_id, property_id, trigger, outcome,"
            " started_at, finished_at) values (%s, %s, 'tick', 'success', now() - %s::interval,"
            " now() - %s::interval)",
            (seeded.integration_id, seeded.property_id, age, age),
        )
        db.execute(
            "insert into cron.job_run_details (jobid, runid, status, start_time, end_time)"
            " values (1, nextval('cron.runid_seq'), 'succeeded', now() - %s::interval,"
            " now() - %s::interval)",
            (age, age),
        )
    db.execute("select avito_private.prune_sync_history()")
    kept_runs = db.execute(
        "select count(*) as n from public.avito_sync_runs"
        " where started_at > now() - interval '2 days'"
    ).fetchone()
    all_runs = db.execute("select count(*) as n from public.avito_sync_runs").fetchone()
    assert (kept_runs, all_runs) == ({"n": 1}, {"n": 1})
    old_cron = db.execute(
        "select count(*) as n from cron.job_run_details where end_time < now() - interval '3 days'"
    ).fetchone()
    assert old_cron == {"n": 0}
    recent_cron = db.execute(
        "select count(*) as n from cron.job_run_details where end_time > now() - interval '2 days'"
    ).fetchone()
    assert recent_cron is not None
    assert recent_cron["n"] >= 1

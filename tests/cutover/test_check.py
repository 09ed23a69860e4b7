"""What `cutover check` finds on a real database: the old pg_cron jobs (pg_cron exists only in
database `postgres`, the shared test database), the service reached or not through the pg_net
stand-in, and the Edge Functions, ours or old, on a local functions host."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner

from avito_sync.cli import app
from tests.cutover.conftest import functions_handler, run_cutover
from tests.cutover.test_apply import assert_schema
from tests.fixtures.db import Conn, connect
from tests.support.net import serving

OLD_JOBS = {
    "avito_poller_cron": (
        "* * * * *",
        "select net.http_post(url := 'https://ref.supabase.co/functions/v1/avito-poller',"
        " body := '{}'::jsonb)",
    ),
    "avito_message_poller": (
        "*/2 * * * *",
        "select net.http_post(url := 'https://ref.supabase.co/functions/v1/avito-message-poller',"
        " body := '{}'::jsonb)",
    ),
    "nightly-resync": (
        "0 3 * * *",
        "select net.http_post(url := 'https://ref.supabase.co/functions/v1/avito_sync',"
        ' body := \'{"action": "sync"}\'::jsonb)',
    ),
    "push-reminders": (
        "0 9 * * *",
        "select net.http_post(url := 'https://ref.supabase.co/functions/v1/send-push',"
        " body := '{}'::jsonb)",
    ),
}


@pytest.fixture
def old_jobs(db: Conn) -> Iterator[Conn]:
    for name, (schedule, command) in OLD_JOBS.items():
        db.execute("select cron.schedule(%s, %s, %s)", (name, schedule, command))
    yield db
    db.execute(
        "select cron.unschedule(jobname) from cron.job where jobname = any(%s)", (list(OLD_JOBS),)
    )


def jobs(conn: Conn) -> set[str]:
    rows = conn.execute("select jobname from cron.job").fetchall()
    return {r["jobname"] for r in rows}


def test_check_finds_the_old_jobs_and_apply_retires_them(
    old_jobs: Conn,
    database_url: str,
    service_url: str,
    net_dispatcher: subprocess.Popen[str],
) -> None:
    check = run_cutover("check", "--json", database_url=database_url)
    assert check.exit_code == 1
    assert_schema(check.json())
    rentals = check.finding("old_cron_jobs")
    assert rentals["status"] == "fail"
    assert "avito_poller_cron (* * * * *)" in rentals["detail"]
    assert "nightly-resync" in rentals["detail"]
    assert "push-reminders" not in rentals["detail"]
    messenger = check.finding("messenger_cron_jobs")
    assert messenger["status"] == "warn"
    assert "avito_message_poller" in messenger["detail"]
    assert check.finding("setup")["status"] == "fail"
    assert check.finding("pg_cron")["status"] == "warn"  # Debian's 1.4: per-minute tick

    applied = run_cutover("apply", "--json", database_url=database_url, service_url=service_url)
    report = applied.json()
    assert_schema(report)
    assert set(report["applied"]["unscheduled_jobs"]) == {
        "avito_poller_cron",
        "nightly-resync",
        "avito_message_poller",
    }
    assert report["applied"]["setup"]["cron"] == "minute"
    assert applied.finding("setup")["status"] == "ok"
    assert applied.finding("old_cron_jobs")["status"] == "ok"
    assert applied.finding("messenger_cron_jobs")["status"] == "ok"
    assert jobs(old_jobs) >= {"push-reminders", "avito-poller"}
    assert not jobs(old_jobs) & {"avito_poller_cron", "nightly-resync", "avito_message_poller"}

    again = run_cutover("apply", "--json", database_url=database_url, service_url=service_url)
    assert again.json()["applied"]["unscheduled_jobs"] == []
    assert "push-reminders" in jobs(old_jobs)


def test_check_reaches_the_service_through_pg_net_or_says_why_not(
    db: Conn, database_url: str, service_url: str, net_dispatcher: subprocess.Popen[str]
) -> None:
    reached = run_cutover(
        "check", "--json", "--service-url", service_url, database_url=database_url
    )
    assert reached.finding("service") == {
        "id": "service",
        "status": "ok",
        "title": "the database reaches the service (pg_net → /healthz)",
        "detail": f"GET {service_url}/healthz through pg_net answered 200.",
        "action": None,
    }
    # The request really went through the database's HTTP queue.
    replies = db.execute("select status_code from net._http_response").fetchall()
    assert {"status_code": 200} in replies

    closed = run_cutover(
        "check", "--json", "--service-url", "http://127.0.0.1:9", database_url=database_url
    )
    service = closed.finding("service")
    assert service["status"] == "fail"
    assert "ConnectError" in service["detail"]
    missing = run_cutover("check", "--json", database_url=database_url)
    assert "No service URL" in missing.finding("service")["detail"]


def test_without_a_pg_net_worker_the_check_times_out_clearly(
    database_url: str, service_url: str, db: Conn
) -> None:
    ran = run_cutover(
        "check",
        "--json",
        "--timeout",
        "1",
        "--service-url",
        service_url,
        database_url=database_url,
    )
    detail = ran.finding("service")["detail"]
    assert "no answer recorded within 1 s" in detail
    assert ran.exit_code == 1


def test_check_tells_the_forwarders_from_the_old_functions(database_url: str, db: Conn) -> None:
    modes = {
        "avito_sync": "ours",
        "avito-oauth-callback": "ours",
        "avito-close-availability": "old",
        "avito-messenger": "old",
        "avito-poller": "old",
        "apply-migration": "old",
    }
    handler = functions_handler(modes)
    with serving(handler) as functions_url:
        ran = run_cutover("check", "--json", database_url=database_url, SUPABASE_URL=functions_url)
    assert_schema(ran.json())
    status = {f["id"]: f["status"] for f in ran.json()["findings"]}
    assert status["function:avito_sync"] == "ok"
    assert status["function:avito-oauth-callback"] == "ok"
    assert status["function:avito-close-availability"] == "fail"  # the app calls it
    assert status["function:avito-sync"] == "warn"  # absent; the deployed app does not call it
    assert status["function:avito-messenger"] == "warn"
    assert status["old_function:avito-poller"] == "warn"
    assert status["old_function:apply-migration"] == "warn"
    assert status["old_function:avito-webhook"] == "ok"  # 404: deleted
    close = ran.finding("function:avito-close-availability")
    assert "x-avito-sync-forwarder" in close["detail"]
    assert "supabase/functions/avito-close-availability" in close["action"]
    # Removed functions are only ever preflighted: a POST would run the old poller.
    assert ("POST", "avito-poller") not in handler.calls
    assert ("OPTIONS", "avito-poller") in handler.calls


def test_check_with_every_forwarder_live(database_url: str, db: Conn) -> None:
    modes = dict.fromkeys(
        (
            "avito_sync",
            "avito-oauth-callback",
            "avito-close-availability",
            "avito-sync",
            "avito-messenger",
        ),
        "ours",
    )
    with serving(functions_handler(modes)) as functions_url:
        ran = run_cutover(
            "check", "--json", "--supabase-url", functions_url, database_url=database_url
        )
    findings = ran.json()["findings"]
    assert all(f["status"] == "ok" for f in findings if f["id"].startswith(("function:", "old_")))


def test_live_forwarders_with_unimported_tokens_is_urgent(
    legacy_database: Callable[..., str],
) -> None:
    url = legacy_database([])
    with serving(functions_handler({"avito_sync": "ours"})) as functions_url:
        ran = run_cutover("check", "--json", database_url=url, SUPABASE_URL=functions_url)
    legacy = ran.finding("legacy_tokens")
    assert legacy["status"] == "fail"
    assert "without sync until imported" in legacy["detail"]
    assert legacy["action"] == "Run `cutover apply` now."


def test_setup_and_check_say_when_pg_net_is_missing(
    legacy_database: Callable[..., str], service_url: str
) -> None:
    url = legacy_database([])
    with connect(url) as conn:
        conn.execute("drop schema net cascade")  # a project without pg_net
    env = {"DATABASE_URL": url, "AVITO_SYNC_POLL_SECRET": "p" * 40, "AVITO_SYNC_SERVICE_URL": None}
    setup = CliRunner().invoke(app, ["setup", "--service-url", service_url], env=env)
    assert setup.exit_code == 0
    assert "pg_net is not installed in this database" in setup.output
    ran = run_cutover("check", "--json", database_url=url)
    assert ran.finding("pg_net")["status"] == "fail"
    assert ran.finding("service")["detail"].endswith("pg_net is not installed.")
    refused = run_cutover("apply", "--json", database_url=url, service_url=service_url)
    assert refused.json()["refused"] is True

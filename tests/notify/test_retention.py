"""Retention (`avito_private.prune_retention`, pg_cron job `avito-sync-retention`): old rows
nobody needs go; anything still needed (pending, recent, unexpired) stays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.fixtures.db import Conn, create_user
from tests.notify.conftest import add_channel, make_host
from tests.sync import seed_integration

OLD, RECENT = "200 days", "1 hour"


def _event(db: Conn, owner: Any, age: str, key: str) -> int:
    row = db.execute(
        "insert into public.notification_events (owner_id, kind, dedupe_key, created_at)"
        " values (%s, 'booking_created', %s, now() - %s::interval) returning id",
        (owner, key, age),
    ).fetchone()
    assert row is not None
    return int(row["id"])


def _count(db: Conn, sql: str) -> int:
    row = db.execute(f"select count(*) as n from {sql}").fetchone()
    assert row is not None
    return int(row["n"])


def test_prunes_what_is_spent_and_keeps_what_is_needed(db: Conn) -> None:
    host = make_host(db)
    channel = add_channel(db, host.owner_id, "telegram", {"chat_id": 1})
    old_done = _event(db, host.owner_id, OLD, "old-done")
    old_pending = _event(db, host.owner_id, OLD, "old-pending")
    recent = _event(db, host.owner_id, RECENT, "recent")
    # The fan-out made a pending delivery for each; age them as the notifier would leave them.
    db.execute(
        "update public.notification_deliveries set status = 'delivered',"
        " delivered_at = now() - interval '100 days', updated_at = now() - interval '100 days'"
        " where event_id = %s",
        (old_done,),
    )
    db.execute(
        "update public.notification_deliveries set status = 'delivered', delivered_at = now()"
        " where event_id = %s",
        (recent,),
    )
    seeded = seed_integration(db, avito_user_id=7200, avito_item_id=1_000_000_200)
    for age in (OLD, RECENT):
        db.execute(
            "insert into public.avito_sync_runs (integration_id, property_id, trigger, outcome,"
            " started_at, finished_at) values (%s, %s, 'tick', 'success', now() - %s::interval,"
            " now() - %s::interval)",
            (seeded.integration_id, seeded.property_id, age, age),
        )
        db.execute(
            "insert into public.avito_logs (integration_id, property_id, action, status,"
            " created_at) values (%s, %s, 'sync', 'error', now() - %s::interval)",
            (seeded.integration_id, seeded.property_id, age),
        )
    owner = create_user(db)
    for expires in ("now() - interval '3 days'", "now() + interval '30 minutes'"):
        db.execute(
            "insert into public.avito_oauth_states (owner_id, state_hash, created_at, expires_at,"
            " used_at) values (%s, md5(random()::text) || md5(random()::text),"
            f" {expires} - interval '1 hour', {expires}, {expires} - interval '30 minutes')",
            (owner,),
        )

    pruned = db.execute("select avito_private.prune_retention() as r").fetchone()

    assert pruned is not None
    assert pruned["r"] == {
        "notification_deliveries": 1,
        "notification_events": 1,
        "avito_sync_runs": 1,
        "avito_oauth_states": 1,
        "avito_logs": 1,
        "telegram_link_tokens": 0,
    }
    kept = db.execute("select id from public.notification_events order by id").fetchall()
    assert [r["id"] for r in kept] == [old_pending, recent]
    statuses = db.execute(
        "select status from public.notification_deliveries where channel_id = %s order by id",
        (channel,),
    ).fetchall()
    assert [r["status"] for r in statuses] == ["pending", "delivered"]
    assert _count(db, "public.avito_sync_runs") == 1
    assert _count(db, "public.avito_logs where created_at < now() - interval '100 days'") == 0
    assert _count(db, "public.avito_logs where created_at > now() - interval '2 hours'") >= 1
    assert _count(db, "public.avito_oauth_states where expires_at > now()") == 1


def test_periods_are_settings_never_below_a_day(db: Conn) -> None:
    host = make_host(db)
    _event(db, host.owner_id, "3 days", "three-days")
    db.execute("select set_config('avito_sync.retention_events', '2 days', false)")
    try:
        assert db.execute("select avito_private.retention_period('events') as p").fetchone() == {
            "p": timedelta(days=2)
        }
        db.execute("select avito_private.prune_retention()")
        assert _count(db, "public.notification_events") == 0
        db.execute("select set_config('avito_sync.retention_events', '1 second', false)")
        period = db.execute("select avito_private.retention_period('events') as p").fetchone()
        assert period is not None
        assert period["p"].days == 1
        db.execute("select set_config('avito_sync.retention_events', 'nonsense', false)")
        period = db.execute("select avito_private.retention_period('events') as p").fetchone()
        assert period is not None
        assert period["p"].days == 90
    finally:
        db.execute("select set_config('avito_sync.retention_events', '', false)")


def test_the_job_is_scheduled_and_the_admin_view_shows_sizes(db: Conn) -> None:
    job = db.execute(
        "select schedule, command from cron.job where jobname = 'avito-sync-retention'"
    ).fetchone()
    if job is None:  # truncate_all empties cron.job; the migration's function re-creates it
        db.execute("select avito_private.schedule_retention_job()")
        job = db.execute(
            "select schedule, command from cron.job where jobname = 'avito-sync-retention'"
        ).fetchone()
    assert job == {"schedule": "37 3 * * *", "command": "select avito_private.prune_retention()"}
    sizes = db.execute(
        "select table_name, keep_for, total_bytes from avito_private.retention_sizes"
    ).fetchall()
    assert {r["table_name"] for r in sizes} == {
        "notification_deliveries",
        "notification_events",
        "avito_sync_runs",
        "avito_oauth_states",
        "avito_logs",
    }
    assert all(r["total_bytes"] > 0 for r in sizes)
    privileges = db.execute(
        "select has_table_privilege('authenticated', 'avito_private.retention_sizes', 'select')"
        " as auth, has_function_privilege('authenticated',"
        " 'avito_private.prune_retention()', 'execute') as prune"
    ).fetchone()
    assert privileges == {"auth": False, "prune": False}

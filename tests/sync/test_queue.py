"""The queue's SQL functions and change triggers on real Postgres."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.db import connect
from tests.support.rows import create_integration, create_property
from tests.sync import Seeded, add_booking, day, events, seed_integration

Conn = psycopg.Connection[dict[str, Any]]


def connected(db: Conn, item_id: int = 1_000_000_001, user_id: int = 7001) -> Seeded:
    seeded = seed_integration(db, avito_user_id=user_id, avito_item_id=item_id)
    db.execute("select avito_private.enqueue_integration(%s, 'initial')", (seeded.integration_id,))
    return seeded


def claim(
    conn: Conn, owner: str, limit: int = 10, lease: int = 60, quiet: float | None = None
) -> list[uuid.UUID]:
    """The worker's claim (quiet: seconds an account must be silent in other workers), or
    the three-argument form of the previous release."""
    if quiet is None:
        rows = conn.execute(
            "select integration_id from avito_private.claim_sync_batch(%s, %s, %s)",
            (owner, limit, lease),
        ).fetchall()
    else:
        rows = conn.execute(
            "select integration_id from avito_private.claim_sync_batch(%s, %s, %s, %s)",
            (owner, limit, lease, quiet),
        ).fetchall()
    return [r["integration_id"] for r in rows]


def row(db: Conn, integration_id: uuid.UUID) -> dict[str, Any]:
    found = db.execute(
        "select *, next_sync_at <= now() as due, extract(epoch from next_sync_at - now()) as wait"
        " from public.avito_sync_queue where integration_id = %s",
        (integration_id,),
    ).fetchone()
    assert found is not None
    return found


def make_due(db: Conn, integration_id: uuid.UUID) -> None:
    db.execute(
        "update public.avito_sync_queue set next_sync_at = now() - interval '1 second'"
        " where integration_id = %s",
        (integration_id,),
    )


def test_two_concurrent_claimers_never_get_the_same_row(db: Conn, database_url: str) -> None:
    ids = {connected(db, 1_000_000_000 + n, 7000 + n).integration_id for n in range(6)}
    with connect(database_url) as a, connect(database_url) as b, ThreadPoolExecutor(1) as pool:
        with a.transaction():
            first = claim(a, "worker-a", limit=4)
            # Claims take turns (an advisory lock): b's waits for a's to commit, then sees
            # a's leases, so it can neither take a's rows nor an account a is polling.
            later = pool.submit(claim, b, "worker-b", 10)
            time.sleep(0.2)
            assert not later.done()
        second = later.result(timeout=10)
        assert len(first) == 4
        assert set(first).isdisjoint(second)
        assert set(first) | set(second) == ids
        # Leased rows are not claimable again, by anyone, until the lease expires.
        assert claim(a, "worker-a") == []
        assert claim(b, "worker-c") == []
    owners = {
        r["integration_id"]: r["lease_owner"]
        for r in db.execute(
            "select integration_id, lease_owner from public.avito_sync_queue"
        ).fetchall()
    }
    assert {owners[i] for i in first} == {"worker-a"}
    assert {owners[i] for i in second} == {"worker-b"}


def same_account(db: Conn, count: int) -> list[Seeded]:
    """`count` listings of one host's Avito account, each queued and due."""
    first = connected(db, 1_000_000_201, 7201)
    listings = [first]
    for n in range(1, count):
        prop = create_property(db, first.owner_id)
        integration = create_integration(
            db, prop, first.account_id, first.avito_user_id, 1_000_000_201 + n
        )
        db.execute("select avito_private.enqueue_integration(%s, 'initial')", (integration,))
        listings.append(
            Seeded(first.owner_id, prop, first.account_id, integration, 7201, 1_000_000_201 + n)
        )
    return listings


def test_a_change_is_claimed_before_routine_polls_that_fell_due_earlier(db: Conn) -> None:
    """A worker at its in-flight limit claims a few rows at a time: what the host did goes
    first, so a price change does not queue behind the polls of the last seconds."""
    routine = [connected(db, 1_000_000_401 + n, 7401 + n) for n in range(3)]
    changed = connected(db, 1_000_000_411, 7411)
    db.execute(
        "update public.avito_sync_queue set wake_reason = 'tick',"
        " next_sync_at = now() + interval '1 minute'"
    )
    db.execute(
        "update public.avito_sync_queue set next_sync_at = now() - interval '5 seconds'"
        " where integration_id = any(%s)",
        ([r.integration_id for r in routine],),
    )
    add_booking(db, changed.property_id, day(20), day(22))
    assert row(db, changed.integration_id)["wake_reason"] == "change"
    assert claim(db, "worker-a", limit=1, quiet=2.5) == [changed.integration_id]
    assert set(claim(db, "worker-a", quiet=2.5)) == {r.integration_id for r in routine}


def test_an_account_another_worker_is_polling_is_not_claimed(db: Conn) -> None:
    """Each worker has its own rate-limit buckets: one account's requests must come from one
    worker at a time, or the account sees the sum of two buckets."""
    one, two, three = same_account(db, 3)
    elsewhere = connected(db, 1_000_000_301, 7301)
    assert claim(db, "worker-a", limit=1, quiet=2.5) == [one.integration_id]
    # b may take the other account's listing, not the account a is sending for.
    assert claim(db, "worker-b", quiet=2.5) == [elsewhere.integration_id]
    # a itself keeps claiming its account's listings.
    assert claim(db, "worker-a", limit=1, quiet=2.5) == [two.integration_id]
    # The three-argument claim (previous release) keeps the rule too.
    assert claim(db, "worker-b") == []
    assert three.integration_id not in claim(db, "worker-c", quiet=0)


def test_an_account_changes_worker_only_after_its_quiet_time(db: Conn) -> None:
    one, two = same_account(db, 2)
    assert claim(db, "worker-a", limit=1, quiet=2.5) == [one.integration_id]
    db.execute(
        "select avito_private.complete_sync_success(%s, 'worker-a', 10)", (one.integration_id,)
    )
    released = db.execute(
        "select owner, released_at > now() - interval '1 minute' as recent"
        " from avito_private.account_releases where avito_account_id = %s",
        (one.account_id,),
    ).fetchone()
    assert released == {"owner": "worker-a", "recent": True}
    # a finished just now: its bucket may be empty, so b waits out the quiet time.
    assert claim(db, "worker-b", quiet=60) == []
    # Once the account has been silent that long (here: a quiet time of 0), b takes over.
    assert claim(db, "worker-b", quiet=0) == [two.integration_id]


def test_a_dead_workers_account_is_taken_over_when_its_lease_expires(db: Conn) -> None:
    one, two = same_account(db, 2)
    assert claim(db, "dead-worker", limit=1, quiet=2.5) == [one.integration_id]
    assert claim(db, "worker-b", quiet=2.5) == []
    db.execute(
        "update public.avito_sync_queue set lease_expires_at = now() - interval '1 second',"
        " next_sync_at = now() - interval '1 second' where integration_id = %s",
        (one.integration_id,),
    )
    assert set(claim(db, "worker-b", quiet=2.5)) == {one.integration_id, two.integration_id}


def test_an_expired_lease_is_reclaimed_and_the_old_owner_cannot_complete(db: Conn) -> None:
    seeded = connected(db)
    assert claim(db, "dead-worker") == [seeded.integration_id]
    db.execute(
        "update public.avito_sync_queue set lease_expires_at = now() - interval '1 second'"
        " where integration_id = %s",
        (seeded.integration_id,),
    )
    assert claim(db, "live-worker") == [seeded.integration_id]
    stale = db.execute(
        "select avito_private.complete_sync_success(%s, 'dead-worker', 10) as ok",
        (seeded.integration_id,),
    ).fetchone()
    assert stale == {"ok": False}
    assert row(db, seeded.integration_id)["lease_owner"] == "live-worker"


def test_success_schedules_the_next_poll_and_resets_attempts(db: Conn) -> None:
    seeded = connected(db)
    db.execute(
        "update public.avito_sync_queue set attempts = 3, last_error = 'x'"
        " where integration_id = %s",
        (seeded.integration_id,),
    )
    claim(db, "w")
    db.execute("select avito_private.complete_sync_success(%s, 'w', 25)", (seeded.integration_id,))
    after = row(db, seeded.integration_id)
    assert after["status"] == "pending"
    assert after["attempts"] == 0
    assert after["last_error"] is None
    assert after["lease_owner"] is None
    assert 20 < after["wait"] <= 25


def test_a_change_during_a_run_keeps_the_row_due_after_success(db: Conn) -> None:
    seeded = connected(db)
    claim(db, "w")
    add_booking(db, seeded.property_id, day(3), day(5))
    db.execute("select avito_private.complete_sync_success(%s, 'w', 10)", (seeded.integration_id,))
    after = row(db, seeded.integration_id)
    assert after["due"]
    assert after["wake_reason"] == "change"


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 12])
def test_failure_backs_off_exponentially_with_jitter_up_to_the_cap(db: Conn, attempt: int) -> None:
    seeded = connected(db)
    db.execute(
        "update public.avito_sync_queue set attempts = %s where integration_id = %s",
        (attempt - 1, seeded.integration_id),
    )
    claim(db, "w")
    db.execute(
        "select avito_private.complete_sync_failure(%s, 'w', 'avito down', 10, 300)",
        (seeded.integration_id,),
    )
    after = row(db, seeded.integration_id)
    full = min(300, 10 * 2 ** (attempt - 1))
    assert after["attempts"] == attempt
    assert after["last_error"] == "avito down"
    assert after["status"] == "pending"
    assert full * 0.5 - 1 <= after["wait"] <= full


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    attempts=st.integers(min_value=-5, max_value=500),
    base=st.integers(min_value=1, max_value=600),
    extra=st.integers(min_value=0, max_value=86400),
)
def test_backoff_stays_between_half_and_the_capped_exponential(
    db: Conn, attempts: int, base: int, extra: int
) -> None:
    cap = base + extra
    found = db.execute(
        "select extract(epoch from avito_private.sync_backoff(%s, %s, %s)) as s",
        (attempts, base, cap),
    ).fetchone()
    assert found is not None
    full = min(cap, base * 2 ** (min(max(attempts, 1) - 1, 30)))
    assert full * 0.5 - 1e-6 <= float(found["s"]) <= full


def test_app_changes_make_the_row_due_and_notify(db: Conn, database_url: str) -> None:
    seeded = connected(db)
    other = connected(db, 1_000_000_002, 7002)
    for s in (seeded, other):
        db.execute(
            "update public.avito_sync_queue set next_sync_at = now() + interval '1 hour',"
            " wake_reason = 'tick' where integration_id = %s",
            (s.integration_id,),
        )
    with connect(database_url) as listener:
        listener.execute("listen avito_sync_due")
        add_booking(db, seeded.property_id, day(10), day(12))
        notes = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert notes == [str(seeded.integration_id)]
    assert row(db, seeded.integration_id)["due"]
    assert row(db, seeded.integration_id)["wake_reason"] == "change"
    assert not row(db, other.integration_id)["due"]


@pytest.mark.parametrize(
    "change",
    [
        "insert into public.property_rates (property_id, date, daily_price)"
        " values (%(p)s, %(d)s, 5000)",
        "update public.properties set base_price = 4321 where id = %(p)s",
        "update public.properties set minimum_booking_days = 5 where id = %(p)s",
        "update public.integrations set avito_markup = 20 where property_id = %(p)s",
    ],
)
def test_rates_prices_minimum_stay_and_markup_changes_make_the_row_due(
    db: Conn, change: str
) -> None:
    seeded = connected(db)
    db.execute(
        "update public.avito_sync_queue set next_sync_at = now() + interval '1 hour'"
        " where integration_id = %s",
        (seeded.integration_id,),
    )
    db.execute(change, {"p": seeded.property_id, "d": day(30)})
    assert row(db, seeded.integration_id)["due"]


def test_an_unrelated_edit_does_not_wake_the_sync(db: Conn) -> None:
    seeded = connected(db)
    booking = add_booking(db, seeded.property_id, day(3), day(5))
    db.execute(
        "update public.avito_sync_queue set next_sync_at = now() + interval '1 hour'"
        " where integration_id = %s",
        (seeded.integration_id,),
    )
    db.execute("update public.bookings set notes = 'late arrival' where id = %s", (booking,))
    db.execute("update public.properties set name = 'Loft' where id = %s", (seeded.property_id,))
    assert not row(db, seeded.integration_id)["due"]


def test_writes_made_by_the_sync_itself_do_not_wake_it_again(db: Conn) -> None:
    seeded = connected(db)
    db.execute(
        "update public.avito_sync_queue set next_sync_at = now() + interval '1 hour'"
        " where integration_id = %s",
        (seeded.integration_id,),
    )
    with db.transaction():
        db.execute("select set_config('avito_sync.sync_write', 'on', true)")
        add_booking(db, seeded.property_id, day(3), day(5), source="avito")
    assert not row(db, seeded.integration_id)["due"]
    add_booking(db, seeded.property_id, day(6), day(8))
    assert row(db, seeded.integration_id)["due"]


def test_rows_in_backoff_or_paused_keep_their_schedule(db: Conn) -> None:
    backing_off = connected(db)
    paused = connected(db, 1_000_000_002, 7002)
    db.execute(
        "update public.avito_sync_queue set next_sync_at = now() + interval '1 hour',"
        " attempts = 2 where integration_id = %s",
        (backing_off.integration_id,),
    )
    db.execute(
        "select avito_private.pause_integration_sync(%s, 'reconnect')", (paused.integration_id,)
    )
    for s in (backing_off, paused):
        add_booking(db, s.property_id, day(3), day(5))
    assert not row(db, backing_off.integration_id)["due"]
    assert row(db, paused.integration_id)["status"] == "paused"
    assert claim(db, "w") == []


def test_deleted_properties_and_disconnected_integrations_leave_the_queue(db: Conn) -> None:
    deleted = connected(db)
    disconnected = connected(db, 1_000_000_002, 7002)
    kept = connected(db, 1_000_000_003, 7003)
    db.execute(
        "update public.properties set deleted_at = now() where id = %s", (deleted.property_id,)
    )
    db.execute(
        "update public.integrations set is_active = false, status = 'disconnected' where id = %s",
        (disconnected.integration_id,),
    )
    left = {
        r["integration_id"]
        for r in db.execute("select integration_id from public.avito_sync_queue").fetchall()
    }
    assert left == {kept.integration_id}
    # And they cannot be put back while they stay that way.
    for s in (deleted, disconnected):
        back = db.execute(
            "select avito_private.enqueue_integration(%s, 'manual') as ok", (s.integration_id,)
        ).fetchone()
        assert back == {"ok": False}


def test_needs_reconnect_pauses_rows_marks_everything_and_writes_one_event(db: Conn) -> None:
    seeded = connected(db)
    claim(db, "w")
    for _ in range(2):  # a second call (another process) adds no second event
        db.execute(
            "select avito_private.mark_account_needs_reconnect(%s, 'refresh refused')",
            (seeded.account_id,),
        )
    account = db.execute(
        "select status from public.avito_accounts where id = %s", (seeded.account_id,)
    ).fetchone()
    integration = db.execute(
        "select status, last_error, is_active from public.integrations where id = %s",
        (seeded.integration_id,),
    ).fetchone()
    assert account == {"status": "needs_reconnect"}
    # Inactive to the app (its "Подключить заново" button), needs_reconnect in our status.
    assert integration == {
        "status": "needs_reconnect",
        "last_error": "refresh refused",
        "is_active": False,
    }
    assert db.execute(
        "select count(*) as n from public.avito_sync_queue where integration_id = %s",
        (seeded.integration_id,),
    ).fetchone() == {"n": 0}
    [event] = events(db, "needs_reconnect")
    assert event["owner_id"] == seeded.owner_id
    assert event["payload"]["integration_ids"] == [str(seeded.integration_id)]
    assert claim(db, "w") == []


def test_reconnecting_the_account_resumes_its_paused_rows(db: Conn) -> None:
    seeded = connected(db)
    db.execute(
        "select avito_private.mark_account_needs_reconnect(%s, 'refresh refused')",
        (seeded.account_id,),
    )
    db.execute(
        "select avito_private.store_account_tokens(%s, 'new-access', 'new-refresh', %s, null)",
        (seeded.account_id, dt.datetime.now(dt.UTC) + dt.timedelta(days=1)),
    )
    queued = row(db, seeded.integration_id)
    assert (queued["status"], queued["due"], queued["attempts"]) == ("pending", True, 0)
    integration = db.execute(
        "select status from public.integrations where id = %s", (seeded.integration_id,)
    ).fetchone()
    assert integration == {"status": "active"}
    assert claim(db, "w") == [seeded.integration_id]


def test_sync_runs_are_recorded_with_the_queue_row_moved_on(db: Conn) -> None:
    seeded = connected(db)
    claim(db, "w")
    started = dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=250)
    held = db.execute(
        "select avito_private.record_sync_result(%s, 'w', 'initial', 'failed',"
        " '{\"pull\": {\"created\": 0}}', 2, %s, 'HTTP 500', 10, 10, 3600) as held",
        (seeded.integration_id, started),
    ).fetchone()
    assert held == {"held": True}
    [run] = db.execute(
        "select * from public.avito_sync_runs where integration_id = %s", (seeded.integration_id,)
    ).fetchall()
    assert (run["trigger"], run["outcome"], run["api_calls"], run["error"]) == (
        "initial",
        "failed",
        2,
        "HTTP 500",
    )
    assert run["property_id"] == seeded.property_id
    assert run["duration_ms"] >= 250
    integration = db.execute(
        "select status, last_error, last_sync_at from public.integrations where id = %s",
        (seeded.integration_id,),
    ).fetchone()
    assert integration == {"status": "error", "last_error": "HTTP 500", "last_sync_at": None}
    assert row(db, seeded.integration_id)["attempts"] == 1


def _record(db: Conn, integration_id: uuid.UUID, outcome: str) -> None:
    make_due(db, integration_id)
    assert claim(db, "w") == [integration_id]
    db.execute(
        "select avito_private.record_sync_result(%s, 'w', 'tick', %s, '{}', 1,"
        " now(), 'HTTP 503', 10, 1, 1)",
        (integration_id, outcome),
    )


def test_failing_longer_than_30_minutes_alerts_once_and_recovery_once(db: Conn) -> None:
    seeded = connected(db)
    for _ in range(7):  # a burst of failures within the window: no alert
        _record(db, seeded.integration_id, "failed")
    assert events(db, "sync_failing") == []

    # The streak began 31 minutes ago: the next failure alerts, the ones after it do not.
    db.execute(
        "update avito_private.sync_failure_streaks set failing_since = now() - interval"
        " '31 minutes' where integration_id = %s",
        (seeded.integration_id,),
    )
    for _ in range(4):
        _record(db, seeded.integration_id, "failed")
    [event] = events(db, "sync_failing")
    assert event["integration_id"] == seeded.integration_id
    assert event["payload"]["failing_minutes"] == 31
    assert event["payload"]["error"] == "HTTP 503"

    _record(db, seeded.integration_id, "success")
    _record(db, seeded.integration_id, "success")
    [recovered] = events(db, "sync_recovered")
    assert recovered["payload"]["failing_minutes"] >= 31
    assert len(events(db, "sync_failing")) == 1


def test_a_failure_streak_that_never_alerted_recovers_silently(db: Conn) -> None:
    seeded = connected(db)
    _record(db, seeded.integration_id, "failed")
    _record(db, seeded.integration_id, "success")
    assert events(db, "sync_recovered") == []
    assert db.execute(
        "select count(*) as n from avito_private.sync_failure_streaks"
    ).fetchone() == {"n": 0}


def test_the_alert_threshold_is_a_database_setting(db: Conn) -> None:
    seeded = connected(db)
    db.execute("select set_config('avito_sync.sync_failing_minutes', '0', false)")
    try:
        _record(db, seeded.integration_id, "failed")
        _record(db, seeded.integration_id, "failed")
    finally:
        db.execute("select set_config('avito_sync.sync_failing_minutes', '', false)")
    assert len(events(db, "sync_failing")) == 1


def test_queue_functions_are_for_the_service_role_only(db: Conn) -> None:
    rows = db.execute(
        "select p.proname, has_function_privilege('authenticated', p.oid, 'execute') as auth,"
        " has_function_privilege('anon', p.oid, 'execute') as anon,"
        " has_function_privilege('service_role', p.oid, 'execute') as service,"
        " p.prosecdef as definer, p.proconfig"
        " from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'avito_private' and p.proname = any(%s)",
        (
            [
                "claim_sync_batch",
                "claim_integration",
                "complete_sync_success",
                "complete_sync_failure",
                "enqueue_integration",
                "remove_integration_from_queue",
                "pause_integration_sync",
                "resume_integration_sync",
                "record_sync_result",
                "mark_account_needs_reconnect",
                "request_poll",
                "configure_poll_target",
                "schedule_sync_jobs",
                "next_sync_due_in",
            ],
        ),
    ).fetchall()
    assert len(rows) == 15  # claim_sync_batch: three- and four-argument forms
    for r in rows:
        assert (r["auth"], r["anon"], r["service"]) == (False, False, True), r["proname"]
        assert r["definer"], r["proname"]
        assert r["proconfig"] == ['search_path=""'], r["proname"]

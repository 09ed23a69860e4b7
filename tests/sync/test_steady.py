"""Steady-state polls: a skip never skips a change.

Hypothesis drives the change stamp and the steady check in real Postgres (any app change to
rates, bookings, the property or the integration, any other Avito answer, another day or a
due full push makes the poll plan again; a change to someone else's property does not), and
the engine runs against the sandbox end to end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avito_sync.avito import AvitoClient
from avito_sync.avito.errors import ServerError
from avito_sync.sync import steady
from avito_sync.sync.plan import DateRange, PlanWarning
from avito_sync.sync.results import OperationOutcome, PushResult
from avito_sync.sync.runtime import SyncRuntime
from tests.fixtures.db import connect
from tests.fixtures.sandbox import Sandbox
from tests.sync import add_booking, avito_booking, day, seed_integration
from tests.sync.engine_support import connect_host, queue_row, runs

Conn = psycopg.Connection[dict[str, Any]]
OWNER = "steady-test"
FULL_EVERY = dt.timedelta(hours=6)
WINDOW = DateRange(dt.date(2026, 1, 1), dt.date(2027, 1, 1))


# --- pure --------------------------------------------------------------------------------


@given(st.binary(max_size=300), st.binary(max_size=300))
def test_answer_hash_differs_for_any_other_answer(a: bytes, b: bytes) -> None:
    assert (steady.answer_hash(a, WINDOW) == steady.answer_hash(b, WINDOW)) == (a == b)


@given(st.integers(min_value=1, max_value=400))
def test_answer_hash_differs_for_another_window(shift: int) -> None:
    moved = DateRange(
        WINDOW.start + dt.timedelta(days=shift), WINDOW.end + dt.timedelta(days=shift)
    )
    assert steady.answer_hash(b"{}", WINDOW) != steady.answer_hash(b"{}", moved)


_OUTCOMES = st.sampled_from(
    [
        OperationOutcome("intervals", "sent"),
        OperationOutcome("closures", "skipped", "unchanged"),
        OperationOutcome("closures", "skipped", "nothing_to_send"),
        OperationOutcome("closures", "conflict"),
        OperationOutcome("prices", "skipped", "deferred"),
        OperationOutcome("prices", "skipped", "not_pushable"),
        OperationOutcome(
            "base_params", "failed", error=ServerError("boom", operation="post_prices", status=500)
        ),
    ]
)


@given(st.lists(_OUTCOMES, min_size=1, max_size=4), st.booleans())
def test_only_a_sync_that_left_nothing_behind_arms_the_skip(
    outcomes: list[OperationOutcome], deferred_warning: bool
) -> None:
    warnings = (PlanWarning("prices_deferred_new_request", "held", ()),) if deferred_warning else ()
    result = PushResult(tuple(outcomes), full=False, warnings=warnings)
    left_behind = deferred_warning or any(
        o.status == "failed" or o.reason in ("deferred", "not_pushable") for o in outcomes
    )
    assert steady.clean(result) is not left_behind


# --- the stamp and the check, in Postgres ------------------------------------------------


def _lease(db: Conn, integration_id: uuid.UUID) -> None:
    db.execute(
        "update public.avito_sync_queue set next_sync_at = now(), status = 'pending',"
        " lease_owner = null, lease_expires_at = null where integration_id = %s",
        (integration_id,),
    )
    claimed = db.execute(
        "select * from avito_private.claim_integration(%s, %s, 30)", (integration_id, OWNER)
    ).fetchone()
    assert claimed is not None


def _arm(db: Conn, integration_id: uuid.UUID, digest: str, today: dt.date) -> None:
    """What a clean sync leaves behind: its stamp, answer hash and day, a fresh full push."""
    _lease(db, integration_id)
    db.execute("select avito_private.record_push(%s, '{}'::jsonb, now())", (integration_id,))
    stamp = db.execute("select avito_private.sync_app_stamp(%s) as s", (integration_id,)).fetchone()
    assert stamp is not None
    db.execute(
        "select avito_private.record_steady_state(%s, %s, %s, %s, %s)",
        (integration_id, OWNER, stamp["s"], digest, today),
    )


def _poll(
    db: Conn,
    integration_id: uuid.UUID,
    digest: str,
    today: dt.date,
    *,
    now: dt.datetime | None = None,
) -> str:
    [status] = _batch(db, [(integration_id, digest, today, now or dt.datetime.now(dt.UTC))])
    return status


def _batch(
    db: Conn, polls: list[tuple[uuid.UUID, str, dt.date, dt.datetime]], owner: str = OWNER
) -> list[str]:
    """The worker's batched statement (finish_steady_polls) over these polls, in order."""
    rows = db.execute(
        "select integration_id, status from avito_private.finish_steady_polls("
        "%s, %s::uuid[], %s::text[], %s::date[], %s::timestamptz[], %s, 10, 60)",
        (
            owner,
            [p[0] for p in polls],
            [p[1] for p in polls],
            [p[2] for p in polls],
            [p[3] for p in polls],
            FULL_EVERY.total_seconds(),
        ),
    ).fetchall()
    assert [r["integration_id"] for r in rows] == [p[0] for p in polls]
    return [r["status"] for r in rows]


def _steady_polls(db: Conn, integration_id: uuid.UUID) -> int:
    row = db.execute(
        "select steady_polls from avito_private.sync_steady_state where integration_id = %s",
        (integration_id,),
    ).fetchone()
    return 0 if row is None else int(row["steady_polls"])


@pytest.fixture(name="pair")
def pair_fixture(db: Conn) -> tuple[Any, Any]:
    """Our integration (queued) and another host's property."""
    ours = seed_integration(db, avito_user_id=101, avito_item_id=2001)
    other = seed_integration(db, avito_user_id=102, avito_item_id=2002)
    for seeded in (ours, other):
        db.execute(
            "select avito_private.enqueue_integration(%s, 'initial')", (seeded.integration_id,)
        )
    return ours, other


def _fresh_rows(db: Conn, property_id: uuid.UUID) -> None:
    """One booking and one rate, as every example starts (earlier examples changed them)."""
    db.execute("delete from public.bookings where property_id = %s", (property_id,))
    db.execute("delete from public.property_rates where property_id = %s", (property_id,))
    add_booking(db, property_id, day(10), day(12))
    db.execute(
        "insert into public.property_rates (property_id, date, daily_price, min_stay)"
        " values (%s, %s, 2000, 1)",
        (property_id, day(3)),
    )


CHANGES: dict[str, str] = {
    "rate_insert": "insert into public.property_rates (property_id, date, daily_price)"
    " values (%(p)s, current_date + %(n)s, 1000 + %(n)s)"
    " on conflict do nothing",
    "rate_update": "update public.property_rates set daily_price = daily_price + 1 + %(n)s"
    " where property_id = %(p)s",
    "rate_min_stay": "update public.property_rates set min_stay = min_stay + 1"
    " where property_id = %(p)s and %(n)s >= 0",
    "rate_delete": "delete from public.property_rates where property_id = %(p)s and %(n)s >= 0",
    "booking_insert": "insert into public.bookings (property_id, check_in, check_out, status,"
    " source) values (%(p)s, current_date + 40 + %(n)s, current_date + 42 + %(n)s,"
    " 'pending', 'manual')",
    "booking_dates": "update public.bookings set check_out = check_out + 1 + %(n)s"
    " where property_id = %(p)s",
    "booking_status": "update public.bookings set status = 'cancelled'"
    " where property_id = %(p)s and %(n)s >= 0",
    "booking_delete": "delete from public.bookings where property_id = %(p)s and %(n)s >= 0",
    "property_price": "update public.properties set base_price = base_price + 1 + %(n)s"
    " where id = %(p)s",
    "property_min_days": "update public.properties set minimum_booking_days ="
    " minimum_booking_days + 1 + %(n)s where id = %(p)s",
    "markup": "update public.integrations"
    " set avito_markup = mod(avito_markup + 1 + mod(%(n)s, 98), 99) where property_id = %(p)s",
    "property_name": "update public.properties set name = name || %(n)s::text where id = %(p)s",
}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    change=st.sampled_from(sorted(CHANGES)),
    n=st.integers(min_value=0, max_value=300),
    digest=st.text(alphabet="0123456789abcdef", min_size=40, max_size=40),
)
def test_any_app_change_makes_the_next_poll_plan_again(
    db: Conn, pair: tuple[Any, Any], change: str, n: int, digest: str
) -> None:
    ours, other = pair
    today = day(0)
    _fresh_rows(db, ours.property_id)
    _fresh_rows(db, other.property_id)
    _arm(db, ours.integration_id, digest, today)
    # Someone else's change leaves our skip armed.
    db.execute(CHANGES[change], {"p": other.property_id, "n": n})
    assert _poll(db, ours.integration_id, digest, today) == "done"

    _arm(db, ours.integration_id, digest, today)
    db.execute(CHANGES[change], {"p": ours.property_id, "n": n})
    assert _poll(db, ours.integration_id, digest, today) == "changed"
    assert _poll(db, ours.integration_id, digest, today) == "changed"  # until a full sync


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    armed=st.text(alphabet="0123456789abcdef", min_size=40, max_size=40),
    answer=st.text(alphabet="0123456789abcdef", min_size=40, max_size=40),
    days_later=st.integers(min_value=0, max_value=3),
    hours_since_full=st.floats(min_value=0, max_value=12),
)
def test_another_answer_another_day_or_a_due_full_push_plans_again(
    db: Conn,
    pair: tuple[Any, Any],
    armed: str,
    answer: str,
    days_later: int,
    hours_since_full: float,
) -> None:
    ours, _other = pair
    today = day(0)
    _arm(db, ours.integration_id, armed, today)
    now = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours_since_full)
    status = _poll(db, ours.integration_id, answer, today + dt.timedelta(days=days_later), now=now)
    unchanged = (
        answer == armed
        and days_later == 0
        and dt.timedelta(hours=hours_since_full) < FULL_EVERY - dt.timedelta(seconds=5)
    )
    if dt.timedelta(hours=hours_since_full) > FULL_EVERY - dt.timedelta(seconds=5) and (
        dt.timedelta(hours=hours_since_full) < FULL_EVERY + dt.timedelta(seconds=5)
    ):
        return  # the boundary itself depends on the seconds the test takes
    assert status == ("done" if unchanged else "changed")


def test_a_disarmed_skip_stays_disarmed(db: Conn, pair: tuple[Any, Any]) -> None:
    ours, _other = pair
    _arm(db, ours.integration_id, "a" * 40, day(0))
    _lease(db, ours.integration_id)
    db.execute(
        "select avito_private.record_steady_state(%s, %s, null, null, null)",
        (ours.integration_id, OWNER),
    )
    assert _poll(db, ours.integration_id, "a" * 40, day(0)) == "changed"


def _lease_row(db: Conn, integration_id: uuid.UUID) -> dict[str, Any]:
    row = db.execute(
        "select q.status, q.lease_owner, i.last_sync_at from public.avito_sync_queue q"
        " join public.integrations i on i.id = q.integration_id where q.integration_id = %s",
        (integration_id,),
    ).fetchone()
    assert row is not None
    return row


def test_a_batch_answers_each_poll_and_writes_only_the_done_ones(
    db: Conn, pair: tuple[Any, Any]
) -> None:
    ours, other = pair
    third = seed_integration(db, avito_user_id=103, avito_item_id=2003)
    db.execute("select avito_private.enqueue_integration(%s, 'initial')", (third.integration_id,))
    today, digest = day(0), "c" * 40
    for seeded in (ours, other, third):
        _arm(db, seeded.integration_id, digest, today)
    # other: an app change since its clean sync; third: its lease taken by another worker.
    db.execute(CHANGES["rate_insert"], {"p": other.property_id, "n": 7})
    db.execute(
        "update public.avito_sync_queue set lease_owner = 'someone-else' where integration_id = %s",
        (third.integration_id,),
    )
    runs_before = db.execute("select count(*) as n from public.avito_sync_runs").fetchone()
    now = dt.datetime.now(dt.UTC)
    polls = [(s.integration_id, digest, today, now) for s in (third, ours, other)]
    assert _batch(db, polls) == ["lease_lost", "done", "changed"]

    assert db.execute("select count(*) as n from public.avito_sync_runs").fetchone() == runs_before
    done = _lease_row(db, ours.integration_id)
    assert (done["status"], done["lease_owner"]) == ("pending", None)
    assert done["last_sync_at"] is not None
    assert _steady_polls(db, ours.integration_id) == 1
    # The changed poll keeps its lease for the full sync; the lost one is left to its owner.
    assert _lease_row(db, other.integration_id)["lease_owner"] == OWNER
    assert _lease_row(db, third.integration_id)["lease_owner"] == "someone-else"
    assert _steady_polls(db, other.integration_id) == _steady_polls(db, third.integration_id) == 0

    # Another steady poll within a minute counts, but leaves last_sync_at where it was; a
    # failed attempt since (backoff bookkeeping is the full path's) plans again.
    _lease(db, ours.integration_id)
    assert _poll(db, ours.integration_id, digest, today) == "done"
    assert _lease_row(db, ours.integration_id)["last_sync_at"] == done["last_sync_at"]
    assert _steady_polls(db, ours.integration_id) == 2
    _lease(db, ours.integration_id)
    db.execute(
        "update public.avito_sync_queue set attempts = 1 where integration_id = %s",
        (ours.integration_id,),
    )
    assert _poll(db, ours.integration_id, digest, today) == "changed"


# A held row lock the flush must not wait for: what an app write in flight holds.
HELD_BY_APP: dict[str, str] = {
    # A price change: its stamp and mark-due triggers lock the steady row and the queue row.
    "price_change": CHANGES["rate_insert"],
    # A statement that has locked the queue row only (mark-due without a stamp bump).
    "queue_row": "select 1 from public.avito_sync_queue q join public.integrations i"
    " on i.id = q.integration_id where i.property_id = %(p)s for no key update of q",
}


@pytest.mark.parametrize("held", sorted(HELD_BY_APP))
def test_a_flush_never_waits_for_an_app_write_in_flight(
    db: Conn, database_url: str, pair: tuple[Any, Any], held: str
) -> None:
    """The capacity bench deadlocked a host's price change against finish_steady_polls (queue
    row, then steady row, while the app locks them the other way round). A flush that never
    waits cannot deadlock: with an app write holding the rows, the poll is 'changed' at once
    (lock_timeout turns a wait into an error) and keeps its lease for the full sync."""
    ours, _ = pair
    digest, today = "d" * 40, day(0)
    _arm(db, ours.integration_id, digest, today)
    db.execute("set lock_timeout = '2s'")
    with connect(database_url) as app, app.transaction():
        app.execute(HELD_BY_APP[held], {"p": ours.property_id, "n": 9})
        assert _poll(db, ours.integration_id, digest, today) == "changed"
    assert _lease_row(db, ours.integration_id)["lease_owner"] == OWNER
    assert _steady_polls(db, ours.integration_id) == 0


def test_a_held_integration_row_keeps_last_sync_at_for_a_later_poll(
    db: Conn, database_url: str, pair: tuple[Any, Any]
) -> None:
    """The app may hold the integration row while it waits for a row the flush locked, so the
    flush moves last_sync_at only on rows nobody holds; the poll itself is still done."""
    ours, _ = pair
    digest, today = "e" * 40, day(0)
    _arm(db, ours.integration_id, digest, today)
    old = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    db.execute(
        "update public.integrations set last_sync_at = %s where id = %s", (old, ours.integration_id)
    )
    db.execute("set lock_timeout = '2s'")
    with connect(database_url) as app, app.transaction():
        app.execute(
            "select 1 from public.integrations where id = %s for no key update",
            (ours.integration_id,),
        )
        assert _poll(db, ours.integration_id, digest, today) == "done"
    assert _lease_row(db, ours.integration_id)["last_sync_at"] == old
    _lease(db, ours.integration_id)
    assert _poll(db, ours.integration_id, digest, today) == "done"
    assert _lease_row(db, ours.integration_id)["last_sync_at"] > old
    assert _steady_polls(db, ours.integration_id) == 2


@pytest.mark.parametrize("change", ["rate_update", "booking_insert", "property_price", "markup"])
async def test_a_change_stamped_between_claim_and_flush_forces_the_full_sync(
    db: Conn, pair: tuple[Any, Any], sync_pool: Any, change: str
) -> None:
    ours, _other = pair
    today, digest = day(0), "d" * 40
    _fresh_rows(db, ours.property_id)
    recorder = steady.PollRecorder(
        sync_pool, owner=OWNER, full_push_every=FULL_EVERY, interval_seconds=10, max_delay=3600
    )
    poll = steady.FinishedPoll(ours.integration_id, digest, today, dt.datetime.now(dt.UTC))

    _arm(db, ours.integration_id, digest, today)
    waiting = asyncio.create_task(recorder.finish(poll))
    await asyncio.sleep(0)  # queued, not yet written
    await recorder.aclose()
    assert await waiting == "done"

    _arm(db, ours.integration_id, digest, today)
    waiting = asyncio.create_task(recorder.finish(poll))
    await asyncio.sleep(0)
    db.execute(CHANGES[change], {"p": ours.property_id, "n": 3})
    await recorder.aclose()
    assert await waiting == "changed"
    assert _lease_row(db, ours.integration_id)["lease_owner"] == OWNER  # the full sync's now
    assert _steady_polls(db, ours.integration_id) == 1


async def test_a_poll_woken_by_a_change_is_written_without_waiting_for_the_batch(
    db: Conn, pair: tuple[Any, Any], sync_pool: Any
) -> None:
    """The batch timer (here an hour) holds routine polls; a change's poll writes at once."""
    ours, other = pair
    today, digest = day(0), "f" * 40
    for seeded in (ours, other):
        _arm(db, seeded.integration_id, digest, today)
    recorder = steady.PollRecorder(
        sync_pool, owner=OWNER, full_push_every=FULL_EVERY, interval_seconds=10, max_delay=3600
    )
    now = dt.datetime.now(dt.UTC)
    routine = asyncio.create_task(
        recorder.finish(steady.FinishedPoll(other.integration_id, digest, today, now))
    )
    await asyncio.sleep(0)
    woken = steady.FinishedPoll(ours.integration_id, digest, today, now)
    # Both are written by the urgent poll's batch; neither waits for the hour.
    assert await asyncio.wait_for(recorder.finish(woken, urgent=True), 30) == "done"
    assert await asyncio.wait_for(routine, 30) == "done"
    await recorder.aclose()


# --- the engine against the sandbox ------------------------------------------------------


def operations(sandbox: Sandbox) -> list[str]:
    return [r.operation_id for r in sandbox.control.requests() if r.operation_id]


def make_due(db: Conn, integration_id: Any) -> None:
    db.execute(
        "update public.avito_sync_queue set next_sync_at = now() where integration_id = %s",
        (integration_id,),
    )


async def test_a_steady_poll_is_one_avito_call_and_plans_again_on_any_change(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    runtime: SyncRuntime = await make_runtime()
    assert await runtime.worker.run_once() == 1  # the initial, full sync arms the skip

    # Nothing changed on either side: one call, counted on the state row, no run row,
    # nothing pushed, the row rescheduled.
    sandbox.control.clear_requests()
    make_due(db, host.integration_id)
    before = len(runs(db, host.integration_id))
    assert await runtime.worker.run_once() == 1
    assert operations(sandbox) == ["getRealtyBookings"]
    assert len(runs(db, host.integration_id)) == before
    assert _steady_polls(db, host.integration_id) == 1
    row = queue_row(db, host.integration_id)
    assert row is not None
    assert (row["status"], row["due"]) == ("pending", False)

    # An app change: planned and pushed, with the poll's answer reused (one bookings read
    # for the pull, one right before the price write).
    sandbox.control.clear_requests()
    db.execute(
        "insert into public.property_rates (property_id, date, daily_price, min_stay)"
        " values (%s, %s, 2000, 2)",
        (host.property_id, day(40)),
    )
    assert await runtime.worker.run_once() == 1
    assert operations(sandbox) == ["getRealtyBookings", "getRealtyBookings", "postRealtyPrices"]
    [price] = sandbox.control.prices(sandbox.item_id, day(40), day(40))
    assert price.night_price == 2300

    # A guest booking on Avito: a different answer is pulled and its dates pushed.
    guest = sandbox.control.create_booking(sandbox.item_id, day(5), day(8), status="active")
    make_due(db, host.integration_id)
    sandbox.control.clear_requests()
    assert await runtime.worker.run_once() == 1
    assert avito_booking(db, guest.id)["status"] == "confirmed"
    assert operations(sandbox).count("getRealtyBookings") == 1
    assert runs(db, host.integration_id)[-1]["counts"]["pull"]["created"] == 1
    assert _steady_polls(db, host.integration_id) == 1

    # Settled again: the next poll is steady.
    make_due(db, host.integration_id)
    before = len(runs(db, host.integration_id))
    assert await runtime.worker.run_once() == 1
    assert len(runs(db, host.integration_id)) == before
    assert _steady_polls(db, host.integration_id) == 2


async def test_the_full_re_push_still_happens_every_six_hours(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    runtime: SyncRuntime = await make_runtime()
    assert await runtime.worker.run_once() == 1
    db.execute(
        "update avito_private.avito_push_state set last_full_push_at = now() - interval '7h'"
        " where integration_id = %s",
        (host.integration_id,),
    )
    sandbox.control.clear_requests()
    make_due(db, host.integration_id)
    assert await runtime.worker.run_once() == 1
    last = runs(db, host.integration_id)[-1]
    assert last["counts"]["push_full"] is True
    assert "putIntervals" in operations(sandbox)


async def test_a_markup_change_is_pushed_although_avito_answers_the_same(
    db: Conn, sandbox: Sandbox, client: AvitoClient, make_runtime: Callable[..., Any]
) -> None:
    host = await connect_host(db, sandbox, client)
    db.execute(
        "insert into public.property_rates (property_id, date, daily_price, min_stay)"
        " values (%s, %s, 2000, 2)",
        (host.property_id, day(30)),
    )
    runtime: SyncRuntime = await make_runtime()
    assert await runtime.worker.run_once() == 1
    db.execute(
        "update public.integrations set avito_markup = %s where id = %s",
        (Decimal(50), host.integration_id),
    )
    assert await runtime.worker.run_once() == 1
    [price] = sandbox.control.prices(sandbox.item_id, day(30), day(30))
    assert price.night_price == 3000

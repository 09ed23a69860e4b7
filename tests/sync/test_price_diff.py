"""Which price nights are sent (pure): examples, and hypothesis for the invariants."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given
from hypothesis import strategies as st

from avito_sync.avito.models import RealtyBooking
from avito_sync.sync import price_diff
from avito_sync.sync.plan import DateRange, PriceRange

DAY0 = dt.date(2026, 12, 6)
HORIZON = 40


def d(offset: int) -> dt.date:
    return DAY0 + dt.timedelta(days=offset)


values = st.tuples(st.integers(1, 4), st.integers(1, 3))
nights_strategy = st.dictionaries(st.integers(0, HORIZON - 1).map(d), values, max_size=HORIZON)
pending_strategy = st.lists(
    st.tuples(st.integers(-3, HORIZON), st.integers(1, 10)).map(
        lambda t: DateRange(d(t[0]), d(t[0] + t[1]))
    ),
    max_size=4,
)


def days_of(ranges: tuple[PriceRange, ...]) -> list[dt.date]:
    return [day for r in ranges for day in price_diff.price_nights([r])]


def in_any(day: dt.date, spans: list[DateRange]) -> bool:
    return any(r.start <= day < r.end for r in spans)


@given(nights_strategy, nights_strategy, pending_strategy)
def test_updates_are_disjoint_ranges_covering_exactly_the_changed_nights_off_requests(
    desired: price_diff.Nights, pushed: price_diff.Nights, pending: list[DateRange]
) -> None:
    updates = price_diff.price_updates(desired, pushed, pending)

    covered = days_of(updates)
    assert len(covered) == len(set(covered))  # disjoint
    assert all(r.date_from <= r.date_to for r in updates)
    assert list(updates) == sorted(updates, key=lambda r: r.date_from)
    expected = {
        day
        for day, value in desired.items()
        if pushed.get(day) != value and not in_any(day, pending)
    }
    assert set(covered) == expected
    sent = price_diff.price_nights(updates)
    assert all(sent[day] == desired[day] for day in covered)  # prices exact
    for left, right in itertools.pairwise(updates):  # maximal ranges
        touching = left.date_to + dt.timedelta(days=1) == right.date_from
        assert not touching or (left.night_price, left.minimal_duration) != (
            right.night_price,
            right.minimal_duration,
        )


@given(nights_strategy, nights_strategy, pending_strategy)
def test_once_accepted_only_the_nights_of_pending_requests_still_differ(
    desired: price_diff.Nights, pushed: price_diff.Nights, pending: list[DateRange]
) -> None:
    updates = price_diff.price_updates(desired, pushed, pending)
    after = price_diff.after_push(pushed, updates, DAY0)

    left = price_diff.changed_nights(desired, after)
    assert all(in_any(day, pending) for day in left)
    assert price_diff.price_updates(desired, after, pending) == ()
    # Nights under a request keep what Avito had.
    assert all(after.get(day) == pushed.get(day) for day in left)


@given(nights_strategy)
def test_the_stored_form_round_trips(nights: price_diff.Nights) -> None:
    assert price_diff.decode(7, price_diff.encode(7, nights)) == nights


@given(nights_strategy, pending_strategy)
def test_touched_names_exactly_the_changed_nights_under_requests(
    nights: price_diff.Nights, pending: list[DateRange]
) -> None:
    touched = {day for r in price_diff.touched(nights, pending) for day in r.days()}
    assert touched == {day for day in nights if in_any(day, pending)}


def test_a_range_is_split_around_a_pending_request() -> None:
    desired = price_diff.price_nights([PriceRange(d(0), d(9), 5000, 2)])
    updates = price_diff.price_updates(desired, {}, [DateRange(d(3), d(6))])
    assert updates == (PriceRange(d(0), d(2), 5000, 2), PriceRange(d(6), d(9), 5000, 2))


def test_a_full_push_from_an_empty_state_still_skips_pending_nights() -> None:
    desired = price_diff.price_nights([PriceRange(d(0), d(2), 100, 1)])
    pushed = dict(desired)
    assert price_diff.price_updates(desired, pushed, []) == ()
    full = price_diff.price_updates(desired, {}, [DateRange(d(1), d(2))])
    assert full == (PriceRange(d(0), d(0), 100, 1), PriceRange(d(2), d(2), 100, 1))


def test_state_of_another_listing_or_unreadable_state_means_nothing_is_known() -> None:
    stored = price_diff.encode(1, {d(0): (100, 1)})
    assert price_diff.decode(2, stored) == {}
    assert price_diff.decode(1, {"item_id": 1, "ranges": [["x", "y", 1, 1]]}) == {}
    assert price_diff.decode(1, None) == {}


def test_after_push_forgets_past_nights() -> None:
    pushed = {d(-2): (1, 1), d(0): (1, 1)}
    assert price_diff.after_push(pushed, [PriceRange(d(1), d(1), 2, 1)], d(0)) == {
        d(0): (1, 1),
        d(1): (2, 1),
    }


def booking(booking_id: int, start: int, end: int, status: str) -> RealtyBooking:
    return RealtyBooking.model_validate(
        {
            "avito_booking_id": booking_id,
            "check_in": d(start).isoformat(),
            "check_out": d(end).isoformat(),
            "status": status,
        }
    )


def test_pending_and_unknown_statuses_hold_their_nights_settled_ones_do_not() -> None:
    answer = [
        booking(1, 2, 4, "pending"),
        booking(2, 10, 12, "active"),
        booking(3, 20, 22, "canceled"),
        booking(4, 30, 31, "waiting_for_host"),  # a status Avito might add: be safe
        booking(5, 40, 41, "overbook"),
        booking(6, 3, 5, "pending"),
    ]
    assert price_diff.unconfirmed_ranges(answer) == [
        DateRange(d(2), d(5)),
        DateRange(d(30), d(31)),
    ]

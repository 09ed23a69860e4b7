"""The pure sync plan: examples for each rule, hypothesis for the invariants."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avito_sync.sync.models import (
    BookingInput,
    IntegrationContext,
    PropertyInput,
    RateInput,
    SyncInput,
)
from avito_sync.sync.plan import (
    DateRange,
    PlanInputError,
    build_plan,
    marked_up_price,
    merge_ranges,
    sync_window,
    today_in,
)

TODAY = dt.date(2026, 11, 27)
PROPERTY_ID = UUID(int=1)


def d(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def prop(base: str | None = "1000", min_days: int | None = 2) -> PropertyInput:
    return PropertyInput(
        id=PROPERTY_ID,
        base_price=None if base is None else Decimal(base),
        minimum_booking_days=min_days,
    )


def booking(
    start: int,
    end: int,
    status: str = "confirmed",
    source: str = "manual",
    avito: str | None = None,
) -> BookingInput:
    return BookingInput(uuid4(), d(start), d(end), status, source, avito)


def make_input(
    p: PropertyInput,
    rates: tuple[RateInput, ...] = (),
    bookings: tuple[BookingInput, ...] = (),
    markup: str = "0",
) -> SyncInput:
    ctx = IntegrationContext(uuid4(), PROPERTY_ID, uuid4(), 42, 1234567890, Decimal(markup))
    return SyncInput(ctx, p, rates, bookings)


# --- examples ---------------------------------------------------------------------------


def test_today_is_taken_in_moscow() -> None:
    late_utc = dt.datetime(2026, 11, 26, 22, 30, tzinfo=dt.UTC)
    assert today_in("Europe/Moscow", late_utc) == dt.date(2026, 11, 27)
    assert today_in("UTC", late_utc) == dt.date(2026, 11, 26)
    with pytest.raises(PlanInputError):
        today_in("Europe/Moscow", dt.datetime(2026, 11, 26, 22, 30))


def test_markup_rounds_half_up_and_never_below_one() -> None:
    assert marked_up_price(Decimal(1000), Decimal(15)) == 1150
    assert marked_up_price(Decimal("1001"), Decimal("15")) == 1151  # 1151.15
    assert marked_up_price(Decimal("10.5"), Decimal(0)) == 11  # half-up, not banker's
    assert marked_up_price(Decimal("12.5"), Decimal(0)) == 13
    assert marked_up_price(Decimal(0), Decimal(15)) == 1
    assert marked_up_price(Decimal("0.4"), Decimal(0)) == 1
    assert marked_up_price(Decimal(100), Decimal(100)) == 200
    for bad in ("-0.01", "100.01"):
        with pytest.raises(PlanInputError):
            marked_up_price(Decimal(100), Decimal(bad))


def test_prices_use_rates_then_base_and_merge_equal_days() -> None:
    rates = (
        RateInput(d(2), Decimal(2000), 3),
        RateInput(d(3), Decimal(2000), 3),
        RateInput(d(4), Decimal(2000), 40),
        RateInput(d(6), Decimal(1000), None),
    )
    plan = build_plan(make_input(prop(), rates, markup="10"), TODAY)
    prices = [(p.date_from, p.date_to, p.night_price, p.minimal_duration) for p in plan.prices]
    assert prices == [
        (d(0), d(1), 1100, 2),
        (d(2), d(3), 2200, 3),
        (d(4), d(4), 2200, 30),  # min stay clamped to 30
        (d(5), d(364), 1100, 2),  # a rate equal to the base merges with it
    ]
    assert plan.warnings == ()


def test_days_without_any_price_are_skipped_and_reported() -> None:
    rates = (RateInput(d(10), Decimal(500), 1), RateInput(d(11), Decimal(500), 1))
    plan = build_plan(make_input(prop(base=None), rates), TODAY)
    assert [(p.date_from, p.date_to) for p in plan.prices] == [(d(10), d(11))]
    (warning,) = plan.warnings
    assert warning.code == "no_price"
    assert warning.ranges == (DateRange(d(0), d(10)), DateRange(d(12), d(365)))
    assert plan.base_params.night_price is None


def test_intervals_are_the_complement_of_busy_bookings() -> None:
    bookings = (
        booking(-3, 2),  # started in the past: clipped to today
        booking(5, 8),
        booking(7, 10, status="paid"),  # overlaps the previous one
        booking(10, 12, source="avito", status="pending", avito="active"),  # active on Avito
        booking(20, 22, status="pending"),  # pending never blocks
        booking(30, 33, status="cancelled"),
        booking(40, 42, source="avito", status="pending", avito="pending"),
        booking(50, 52, source="avito", status="cancelled", avito="canceled"),
        booking(360, 400),  # runs past the window
    )
    plan = build_plan(make_input(prop(), (), bookings), TODAY)
    assert plan.open_intervals == (
        DateRange(d(2), d(5)),
        DateRange(d(12), d(360)),
    )
    # Avito's own booking (10..12) is never echoed through core bookings.
    assert plan.closures == (
        DateRange(d(0), d(2)),
        DateRange(d(5), d(10)),
        DateRange(d(360), d(365)),
    )


def test_pending_avito_requests_defer_prices() -> None:
    bookings = (booking(3, 5, source="avito", status="pending", avito="pending"),)
    plan = build_plan(make_input(prop(), (), bookings), TODAY)
    assert [(p.date_from, p.date_to) for p in plan.prices] == [(d(0), d(2)), (d(5), d(364))]
    (warning,) = plan.warnings
    assert (warning.code, warning.ranges) == ("prices_deferred", (DateRange(d(3), d(5)),))


def test_base_params_clamp_min_stay_to_seven() -> None:
    plan = build_plan(make_input(prop("999.5", 12), markup="15"), TODAY)
    assert plan.base_params.night_price == 1149  # 1149.425
    assert plan.base_params.minimal_duration == 7
    assert build_plan(make_input(prop("1", 0)), TODAY).base_params.minimal_duration == 1


def test_empty_window_stays_open_without_bookings() -> None:
    plan = build_plan(make_input(prop()), TODAY)
    assert plan.open_intervals == (sync_window(TODAY),)
    assert plan.closures == ()


# --- properties -------------------------------------------------------------------------

offsets = st.integers(min_value=-40, max_value=420)
statuses = st.sampled_from(["confirmed", "paid", "pending", "cancelled", None])
sources = st.sampled_from(["manual", "avito", "booking"])
avito_statuses = st.sampled_from(["active", "pending", "canceled", "overbook", None])


@st.composite
def bookings_st(draw: st.DrawFn) -> BookingInput:
    start = draw(offsets)
    nights = draw(st.integers(min_value=0, max_value=40))
    return BookingInput(
        uuid4(), d(start), d(start + nights), draw(statuses), draw(sources), draw(avito_statuses)
    )


@st.composite
def rates_st(draw: st.DrawFn) -> tuple[RateInput, ...]:
    days = draw(st.sets(st.integers(min_value=-5, max_value=370), max_size=60))
    return tuple(
        RateInput(
            d(day),
            Decimal(draw(st.integers(min_value=0, max_value=200_000))) / 100,
            draw(st.one_of(st.none(), st.integers(min_value=-5, max_value=60))),
        )
        for day in sorted(days)
    )


@st.composite
def inputs_st(draw: st.DrawFn) -> SyncInput:
    base = draw(st.one_of(st.none(), st.decimals(min_value=0, max_value=100_000, places=2)))
    p = PropertyInput(
        PROPERTY_ID, base, draw(st.one_of(st.none(), st.integers(min_value=-3, max_value=90)))
    )
    # Both kinds in the app's column convention: >= 0 percent, < 0 fixed rubles.
    markup = draw(
        st.one_of(
            st.decimals(min_value=0, max_value=100, places=2),
            st.decimals(min_value=-100_000, max_value=-1, places=2),
        )
    )
    return make_input(
        p, draw(rates_st()), tuple(draw(st.lists(bookings_st(), max_size=12))), str(markup)
    )


def covered(ranges: tuple[DateRange, ...] | list[DateRange]) -> list[dt.date]:
    return [day for r in ranges for day in r.days()]


@settings(max_examples=150, deadline=None)
@given(inputs_st())
def test_intervals_are_sorted_disjoint_inside_window_and_exact(sync_input: SyncInput) -> None:
    plan = build_plan(sync_input, TODAY)
    window = plan.window
    intervals = plan.open_intervals
    for interval in intervals:
        assert window.start <= interval.start < interval.end <= window.end
    for left, right in itertools.pairwise(intervals):
        assert left.end < right.start  # sorted, disjoint and never touching (maximal)
    open_days = set(covered(intervals))
    for day in window.days():
        busy = any(b.is_busy and b.check_in <= day < b.check_out for b in sync_input.bookings)
        assert (day in open_days) == (not busy), day


@settings(max_examples=150, deadline=None)
@given(inputs_st())
def test_every_day_priced_once_and_clamps_hold(sync_input: SyncInput) -> None:
    plan = build_plan(sync_input, TODAY)
    priced = [
        day
        for p in plan.prices
        for day in DateRange(p.date_from, p.date_to + dt.timedelta(1)).days()
    ]
    assert len(priced) == len(set(priced))
    assert priced == sorted(priced)
    pending = {
        day
        for b in sync_input.bookings
        if b.source == "avito" and b.avito_status == "pending"
        for day in DateRange(b.check_in, b.check_out).days()
    }
    rated = {r.date for r in sync_input.rates}
    has_base = sync_input.property.base_price is not None
    expected = [
        day for day in plan.window.days() if day not in pending and (has_base or day in rated)
    ]
    assert priced == expected
    for period in plan.prices:
        assert period.night_price >= 1
        assert 1 <= period.minimal_duration <= 30
    for left, right in zip(plan.prices, plan.prices[1:], strict=False):
        touching = left.date_to + dt.timedelta(1) == right.date_from
        assert not (
            touching
            and (left.night_price, left.minimal_duration)
            == (right.night_price, right.minimal_duration)
        )
    assert 1 <= plan.base_params.minimal_duration <= 7
    assert plan.base_params.night_price is None or plan.base_params.night_price >= 1


@settings(max_examples=150, deadline=None)
@given(inputs_st())
def test_each_priced_day_has_the_marked_up_rate_or_base(sync_input: SyncInput) -> None:
    plan = build_plan(sync_input, TODAY)
    rates = {r.date: r for r in sync_input.rates}
    markup = sync_input.integration.markup
    for period in plan.prices:
        day = period.date_from
        while day <= period.date_to:
            rate = rates.get(day)
            source = rate.daily_price if rate else sync_input.property.base_price
            assert source is not None
            assert period.night_price == marked_up_price(source, markup)
            day += dt.timedelta(1)


@settings(max_examples=150, deadline=None)
@given(inputs_st())
def test_closures_cover_only_non_avito_busy_days(sync_input: SyncInput) -> None:
    plan = build_plan(sync_input, TODAY)
    closed = covered(plan.closures)
    assert len(closed) == len(set(closed))
    expected = {
        day
        for b in sync_input.bookings
        if b.is_busy and b.source != "avito"
        for day in DateRange(b.check_in, b.check_out).days()
        if plan.window.start <= day < plan.window.end
    }
    assert set(closed) == expected


@given(st.lists(st.tuples(offsets, st.integers(min_value=0, max_value=30)), max_size=20))
def test_merge_keeps_exactly_the_union(pairs: list[tuple[int, int]]) -> None:
    ranges = [DateRange(d(s), d(s + n)) for s, n in pairs]
    merged = merge_ranges(ranges)
    assert set(covered(merged)) == set(covered(ranges))
    for left, right in itertools.pairwise(merged):
        assert left.end < right.start


@given(
    st.decimals(min_value=0, max_value=1_000_000, places=2),
    st.decimals(min_value=0, max_value=100, places=2),
)
def test_markup_math_bounds(price: Decimal, markup: Decimal) -> None:
    result = marked_up_price(price, markup)
    exact = price * (1 + markup / 100)
    assert result >= 1
    if exact >= Decimal("0.5"):
        assert abs(Decimal(result) - exact) <= Decimal("0.5")
        assert result >= marked_up_price(price, Decimal(0))  # a markup never lowers a price

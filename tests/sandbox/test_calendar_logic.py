"""Property tests for the sandbox's pure range logic (half-open ranges, full-state intervals)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from avito_sync.local.sandbox import calendar
from avito_sync.local.sandbox.calendar import Range

BASE = dt.date(2026, 1, 1)


@st.composite
def ranges(draw: st.DrawFn, max_offset: int = 60) -> Range:
    start = draw(st.integers(0, max_offset))
    length = draw(st.integers(1, 20))
    return Range(BASE + dt.timedelta(days=start), BASE + dt.timedelta(days=start + length))


def _day_sets(items: list[Range]) -> list[set[dt.date]]:
    return [set(r.days()) for r in items]


@given(st.lists(ranges(), max_size=8))
def test_overlapping_pairs_are_exactly_the_pairs_sharing_a_night(items: list[Range]) -> None:
    sets = _day_sets(items)
    expected = [
        (i, j) for i in range(len(items)) for j in range(i + 1, len(items)) if sets[i] & sets[j]
    ]
    assert calendar.overlapping_pairs(items) == expected


@given(ranges(), ranges())
def test_overlaps_matches_shared_days_and_touching_is_fine(a: Range, b: Range) -> None:
    assert a.overlaps(b) == bool(set(a.days()) & set(b.days()))
    assert not a.overlaps(Range(a.end, a.end + dt.timedelta(days=1)))


@given(st.dates(), st.integers(0, 40))
def test_inclusive_ranges_contain_their_last_day(first: dt.date, length: int) -> None:
    last = first + dt.timedelta(days=length)
    days = list(calendar.inclusive(first, last).days())
    assert days[0] == first
    assert days[-1] == last
    assert len(days) == length + 1


@given(
    st.lists(st.tuples(ranges(), st.integers(1, 9)), max_size=6),
    st.integers(-400, 30),
)
def test_open_days_are_exactly_the_covered_future_days(
    intervals: list[tuple[Range, int]], today_offset: int
) -> None:
    today = BASE + dt.timedelta(days=today_offset)
    result = calendar.open_days(intervals, today)
    year = calendar.horizon(today)
    covered = {d for r, _ in intervals for d in r.days() if year.start <= d < year.end}
    assert set(result) == covered
    for rng, quota in intervals:
        if not any(rng.overlaps(other) for other, _ in intervals if other is not rng):
            assert all(result[d] == quota for d in rng.days() if d in covered)


def test_empty_intervals_close_everything() -> None:
    assert calendar.open_days([], BASE) == {}


def test_horizon_is_one_year_from_today() -> None:
    year = calendar.horizon(BASE)
    assert year.start == BASE
    assert len(list(year.days())) == 365

"""Pure date-range logic behind the STR operations (no I/O, property-tested).

Ranges are half-open ``[start, end)`` like Avito's intervals and core bookings; the inclusive
``date_to`` of prices is converted at the edge with :func:`inclusive`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

HORIZON_DAYS = 365
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, order=True)
class Range:
    start: dt.date
    end: dt.date  # exclusive

    def days(self) -> Iterator[dt.date]:
        day = self.start
        while day < self.end:
            yield day
            day += ONE_DAY

    def overlaps(self, other: Range) -> bool:
        return self.start < other.end and other.start < self.end

    def clip(self, lower: dt.date) -> Range:
        return Range(max(self.start, lower), self.end)

    def clip_end(self, upper: dt.date) -> Range:
        return Range(self.start, min(self.end, upper))


def inclusive(start: dt.date, last: dt.date) -> Range:
    """A range given by its first and last day (prices' ``date_from``..``date_to``)."""
    return Range(start, last + ONE_DAY)


def horizon(today: dt.date) -> Range:
    """The year ahead that an intervals call describes completely."""
    return Range(today, today + dt.timedelta(days=HORIZON_DAYS))


def overlapping_pairs(ranges: Sequence[Range]) -> list[tuple[int, int]]:
    """Pairs ``(earlier, later)`` of request indices whose ranges overlap; touching is fine."""
    order = sorted(range(len(ranges)), key=lambda i: (ranges[i], i))
    pairs: list[tuple[int, int]] = []
    active: list[int] = []
    for index in order:
        current = ranges[index]
        active = [j for j in active if ranges[j].end > current.start]
        pairs.extend((min(j, index), max(j, index)) for j in active)
        active.append(index)
    return sorted(pairs)


def open_days(intervals: Sequence[tuple[Range, int]], today: dt.date) -> dict[dt.date, int]:
    """Full-state availability: only the days an interval covers are open, with its quota.

    Only the year ahead is described; every day not returned is closed.
    """
    year = horizon(today)
    days: dict[dt.date, int] = {}
    for rng, quota in intervals:
        for day in rng.clip(year.start).clip_end(year.end).days():
            days[day] = quota
    return days

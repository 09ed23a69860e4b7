"""The desired Avito state of one listing, computed from the app's rows and a date (pure).

Decisions (docs/avito-api.md §3, docs/app-contract.md §7 and §9):

- Window: [today, today + 365 days), "today" in the property's timezone (Europe/Moscow by
  default), so nothing is ever sent for a past date.
- Prices: the day's rate, else the property's base price, with the markup (`sync.markup`:
  × (1 + m/100) for a percent, + m for a fixed ruble surcharge), rounded to whole rubles
  half-up (the old frontend's `Math.round` for positive prices), at least 1 ruble.
  Minimum stay from the rate, else the property's, clamped to 1–30. A day with neither a rate
  nor a base price is not sent (Avito keeps whatever it had) and reported as a `no_price`
  warning. Nights held by a pending Avito request are not sent either (`prices_deferred`
  warning): Avito turns pending requests under a price write into `overbook`, so a price change
  waits until the host has answered the request.
- Availability: the open intervals are the complement, inside the window, of the merged busy
  ranges: confirmed or paid bookings from any source plus Avito bookings whose Avito status is
  active. Pending requests and cancellations never close a day. `date_end` is exclusive, the
  intervals are disjoint and sorted, and `open` is always 1 (Avito treats an uncovered day as
  closed; `open: 0` is never sent).
- Closures (core bookings): busy ranges of bookings that did not come from Avito, merged.
  Avito's own bookings are never echoed back (they would conflict with themselves, 409).
- Base params: `night_price` from the base price with the same markup and rounding,
  `minimal_duration` from the property clamped to 1–7.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from avito_sync.sync.markup import Markup, MarkupError
from avito_sync.sync.models import (
    AVITO_SOURCE,
    BookingInput,
    PropertyInput,
    RateInput,
    SyncInput,
)

WINDOW_DAYS = 365
PRICE_MIN_STAY = (1, 30)
BASE_MIN_STAY = (1, 7)
AVITO_PENDING_STATUS = "pending"
_ONE_DAY = dt.timedelta(days=1)


class PlanInputError(ValueError):
    """The app's rows cannot be turned into a plan (e.g. a markup out of bounds)."""


@dataclass(frozen=True, slots=True, order=True)
class DateRange:
    """Days `start` .. `end - 1`; `end` is exclusive like a booking's check-out."""

    start: dt.date
    end: dt.date

    def days(self) -> Iterable[dt.date]:
        day = self.start
        while day < self.end:
            yield day
            day += _ONE_DAY


@dataclass(frozen=True, slots=True)
class PriceRange:
    """One Avito price period; `date_to` is inclusive as Avito's prices endpoint wants."""

    date_from: dt.date
    date_to: dt.date
    night_price: int
    minimal_duration: int


@dataclass(frozen=True, slots=True)
class BaseParamsPlan:
    night_price: int | None
    minimal_duration: int


@dataclass(frozen=True, slots=True)
class PlanWarning:
    code: str
    message: str
    ranges: tuple[DateRange, ...] = ()


@dataclass(frozen=True, slots=True)
class SyncPlan:
    window: DateRange
    prices: tuple[PriceRange, ...]
    open_intervals: tuple[DateRange, ...]
    closures: tuple[DateRange, ...]
    base_params: BaseParamsPlan
    warnings: tuple[PlanWarning, ...]


def today_in(timezone: str, now: dt.datetime) -> dt.date:
    """The calendar date at `now` in `timezone`; `now` must be timezone-aware."""
    if now.tzinfo is None:
        raise PlanInputError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(timezone)).date()


def sync_window(today: dt.date) -> DateRange:
    return DateRange(today, today + dt.timedelta(days=WINDOW_DAYS))


def clamp(value: int, bounds: tuple[int, int]) -> int:
    low, high = bounds
    return max(low, min(high, value))


def check_markup(stored: Decimal) -> Markup:
    """The integration's `avito_markup` (≥ 0 percent, < 0 fixed rubles) as a typed markup."""
    try:
        return Markup.from_column(stored)
    except MarkupError as error:
        raise PlanInputError(f"markup {stored}: {error}") from error


def marked_up_price(price: Decimal, stored_markup: Decimal | Markup) -> int:
    """Whole rubles, half-up, never below 1 (Avito rejects 0 with 422)."""
    markup = stored_markup if isinstance(stored_markup, Markup) else check_markup(stored_markup)
    return markup.apply(price)


def merge_ranges(ranges: Iterable[DateRange]) -> list[DateRange]:
    """Union of ranges; overlapping and touching ranges become one."""
    merged: list[DateRange] = []
    for current in sorted(r for r in ranges if r.start < r.end):
        if merged and current.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = DateRange(last.start, max(last.end, current.end))
        else:
            merged.append(current)
    return merged


def clip(ranges: Iterable[DateRange], window: DateRange) -> list[DateRange]:
    clipped = (DateRange(max(r.start, window.start), min(r.end, window.end)) for r in ranges)
    return [r for r in clipped if r.start < r.end]


def _stay(booking: BookingInput) -> DateRange:
    return DateRange(booking.check_in, booking.check_out)


def busy_ranges(bookings: Iterable[BookingInput], window: DateRange) -> list[DateRange]:
    return merge_ranges(clip((_stay(b) for b in bookings if b.is_busy), window))


def open_intervals(busy: Sequence[DateRange], window: DateRange) -> list[DateRange]:
    """The window minus `busy` (which must be merged, sorted and inside the window)."""
    intervals: list[DateRange] = []
    cursor = window.start
    for taken in busy:
        if cursor < taken.start:
            intervals.append(DateRange(cursor, taken.start))
        cursor = max(cursor, taken.end)
    if cursor < window.end:
        intervals.append(DateRange(cursor, window.end))
    return intervals


def closure_ranges(bookings: Iterable[BookingInput], window: DateRange) -> list[DateRange]:
    """Busy ranges to report through core bookings: never Avito's own bookings."""
    return busy_ranges((b for b in bookings if b.source != AVITO_SOURCE), window)


def pending_request_ranges(bookings: Iterable[BookingInput], window: DateRange) -> list[DateRange]:
    pending = (
        _stay(b) for b in bookings if b.is_from_avito and b.avito_status == AVITO_PENDING_STATUS
    )
    return merge_ranges(clip(pending, window))


def _days_to_ranges(days: Sequence[dt.date]) -> tuple[DateRange, ...]:
    return tuple(merge_ranges(DateRange(d, d + _ONE_DAY) for d in days))


def plan_prices(
    prop: PropertyInput,
    rates: Iterable[RateInput],
    markup: Markup,
    window: DateRange,
    *,
    skip: Sequence[DateRange] = (),
) -> tuple[tuple[PriceRange, ...], tuple[dt.date, ...]]:
    """Price periods for the window, and the days that had no price at all.

    Days inside `skip` are left out of both (they are neither priced nor missing).
    """
    by_date = {rate.date: rate for rate in rates}
    skipped = {day for r in skip for day in r.days()}
    default_stay = prop.minimum_booking_days or 1
    periods: list[PriceRange] = []
    missing: list[dt.date] = []
    for day in window.days():
        if day in skipped:
            continue
        rate = by_date.get(day)
        if rate is not None:
            price, stay = rate.daily_price, rate.min_stay or default_stay
        elif prop.base_price is not None:
            price, stay = prop.base_price, default_stay
        else:
            missing.append(day)
            continue
        night = markup.apply(price)
        stay = clamp(stay, PRICE_MIN_STAY)
        last = periods[-1] if periods else None
        if (
            last is not None
            and last.date_to + _ONE_DAY == day
            and (last.night_price, last.minimal_duration) == (night, stay)
        ):
            periods[-1] = PriceRange(last.date_from, day, night, stay)
        else:
            periods.append(PriceRange(day, day, night, stay))
    return tuple(periods), tuple(missing)


def plan_base_params(prop: PropertyInput, markup: Markup) -> BaseParamsPlan:
    night = markup.apply(prop.base_price) if prop.base_price is not None else None
    return BaseParamsPlan(night, clamp(prop.minimum_booking_days or 1, BASE_MIN_STAY))


def build_plan(sync_input: SyncInput, today: dt.date) -> SyncPlan:
    """Everything Avito should show for this listing, as of `today`."""
    markup = check_markup(sync_input.integration.markup)
    window = sync_window(today)
    valid = [b for b in sync_input.bookings if b.check_in < b.check_out]
    warnings: list[PlanWarning] = []
    if len(valid) != len(sync_input.bookings):
        warnings.append(
            PlanWarning("invalid_booking_dates", "bookings whose check-out is not after check-in")
        )
    pending = pending_request_ranges(valid, window)
    prices, missing = plan_prices(
        sync_input.property, sync_input.rates, markup, window, skip=pending
    )
    if missing:
        warnings.append(
            PlanWarning("no_price", "days without a rate or a base price", _days_to_ranges(missing))
        )
    if pending:
        warnings.append(
            PlanWarning(
                "prices_deferred",
                "prices not sent over pending Avito requests (they would become overbook)",
                tuple(pending),
            )
        )
    busy = busy_ranges(valid, window)
    return SyncPlan(
        window=window,
        prices=prices,
        open_intervals=tuple(open_intervals(busy, window)),
        closures=tuple(closure_ranges(valid, window)),
        base_params=plan_base_params(sync_input.property, markup),
        warnings=tuple(warnings),
    )

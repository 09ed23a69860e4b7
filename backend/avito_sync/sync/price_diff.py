"""Which price nights to send to Avito (pure).

A price write is dangerous: Avito turns every unconfirmed request on the written dates into
`overbook` (docs/avito-api.md §3.3). So a push sends only the nights whose price or minimum stay
differ from what Avito last accepted, and never a night of a pending request, not even in the
periodic full push (which starts from an empty "last accepted" state to repair drift).

The state is kept per night, as (night_price, minimal_duration); ranges are only the wire
format. `price_updates` is the whole decision:

    changed = desired nights whose value differs from the pushed one
    updates = changed minus the nights of pending requests, as maximal ranges of equal value
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from avito_sync.avito.models import BookingStatus, RealtyBooking
from avito_sync.sync.plan import DateRange, PriceRange, merge_ranges

Night = tuple[int, int]
"""(night_price, minimal_duration) of one night."""
Nights = dict[dt.date, Night]

_ONE_DAY = dt.timedelta(days=1)
# Statuses that no price write may touch: pending requests, and any status we do not know
# (Avito may add unconfirmed states; re-pricing them could destroy a guest's request).
_SETTLED = frozenset({BookingStatus.ACTIVE, BookingStatus.CANCELED, BookingStatus.OVERBOOK})


def price_nights(ranges: Iterable[PriceRange]) -> Nights:
    """Night by night values of price ranges (a later range wins where they overlap)."""
    nights: Nights = {}
    for period in ranges:
        day = period.date_from
        while day <= period.date_to:
            nights[day] = (period.night_price, period.minimal_duration)
            day += _ONE_DAY
    return nights


def price_ranges(nights: Mapping[dt.date, Night]) -> tuple[PriceRange, ...]:
    """Sorted, disjoint ranges; consecutive nights of equal value share one range."""
    ranges: list[PriceRange] = []
    for day in sorted(nights):
        price, stay = nights[day]
        last = ranges[-1] if ranges else None
        if (
            last is not None
            and last.date_to + _ONE_DAY == day
            and (last.night_price, last.minimal_duration) == (price, stay)
        ):
            ranges[-1] = PriceRange(last.date_from, day, price, stay)
        else:
            ranges.append(PriceRange(day, day, price, stay))
    return tuple(ranges)


def changed_nights(desired: Mapping[dt.date, Night], pushed: Mapping[dt.date, Night]) -> Nights:
    return {day: value for day, value in desired.items() if pushed.get(day) != value}


def without(nights: Mapping[dt.date, Night], blocked: Iterable[DateRange]) -> Nights:
    """`nights` minus every day inside `blocked` (end-exclusive ranges)."""
    spans = merge_ranges(blocked)
    return {
        day: value
        for day, value in nights.items()
        if not any(r.start <= day < r.end for r in spans)
    }


def price_updates(
    desired: Mapping[dt.date, Night],
    pushed: Mapping[dt.date, Night],
    pending: Iterable[DateRange],
) -> tuple[PriceRange, ...]:
    """The ranges to send: changed nights, split around every pending request."""
    return price_ranges(without(changed_nights(desired, pushed), pending))


def after_push(
    pushed: Mapping[dt.date, Night], sent: Iterable[PriceRange], since: dt.date
) -> Nights:
    """What Avito holds once `sent` was accepted; nights before `since` are forgotten."""
    merged = {day: value for day, value in pushed.items() if day >= since}
    merged.update(price_nights(sent))
    return {day: value for day, value in merged.items() if day >= since}


def touched(nights: Mapping[dt.date, Night], blocked: Iterable[DateRange]) -> tuple[DateRange, ...]:
    """The days of `nights` inside `blocked`, as ranges (for the host's warning)."""
    kept = without(nights, blocked)
    return tuple(merge_ranges(DateRange(d, d + _ONE_DAY) for d in nights if d not in kept))


def unconfirmed_ranges(bookings: Iterable[RealtyBooking]) -> list[DateRange]:
    """Nights held by requests a price write would turn into `overbook`."""
    return merge_ranges(
        DateRange(b.check_in, b.check_out)
        for b in bookings
        if b.normalized_status not in _SETTLED and b.check_in < b.check_out
    )


# --- storage (avito_private.avito_push_state.prices) ----------------------------------------


def encode(item_id: int, nights: Mapping[dt.date, Night]) -> dict[str, Any]:
    """Compact JSON: the listing and [date_from, date_to, night_price, minimal_duration] rows."""
    return {
        "item_id": item_id,
        "ranges": [
            [p.date_from.isoformat(), p.date_to.isoformat(), p.night_price, p.minimal_duration]
            for p in price_ranges(nights)
        ],
    }


def decode(item_id: int, stored: object) -> Nights:
    """The nights Avito holds for `item_id`; empty (so everything is sent again) when the
    state is missing, belongs to another listing, or cannot be read."""
    if not isinstance(stored, dict) or stored.get("item_id") != item_id:
        return {}
    try:
        return price_nights(
            PriceRange(dt.date.fromisoformat(a), dt.date.fromisoformat(b), int(p), int(s))
            for a, b, p, s in stored.get("ranges") or ()
        )
    except (TypeError, ValueError):
        return {}

"""Read-only views of a listing for the control API: the per-day calendar and prices."""

from __future__ import annotations

import datetime as dt

from avito_sync.local.sandbox.calendar import Range
from avito_sync.local.sandbox.models import GuestBooking, Listing
from avito_sync.local.sandbox.schemas import CalendarDay, PriceDay


def calendar_days(listing: Listing, bookings: list[GuestBooking], days: Range) -> list[CalendarDay]:
    """Who keeps each day closed, strongest first: a paid Avito booking, a closure from core
    bookings, or the last intervals call not covering it. Never-configured listings are open."""
    paid = [b for b in bookings if b.status == "active"]
    out: list[CalendarDay] = []
    for day in days.days():
        quota = 1 if listing.open_days is None else listing.open_days.get(day, 0)
        booking = next((b for b in paid if b.check_in <= day < b.check_out), None)
        closure = listing.closures.get(day)
        if booking is not None:
            out.append(
                CalendarDay(
                    date=day,
                    open=False,
                    quota=quota,
                    closed_by="avito_booking",
                    booking_id=booking.id,
                )
            )
        elif closure is not None:
            out.append(
                CalendarDay(
                    date=day,
                    open=False,
                    quota=quota,
                    closed_by="closure",
                    closure_type=closure.type,
                    source=closure.source,
                    comment=closure.comment,
                )
            )
        else:
            out.append(
                CalendarDay(
                    date=day, open=quota > 0, quota=quota, closed_by=None if quota else "intervals"
                )
            )
    return out


def price_days(listing: Listing, first: dt.date | None, last: dt.date | None) -> list[PriceDay]:
    """Only days that have had prices set, in date order."""
    return [
        PriceDay(date=day, **price.model_dump())
        for day, price in sorted(listing.prices.items())
        if (first is None or day >= first) and (last is None or day <= last)
    ]

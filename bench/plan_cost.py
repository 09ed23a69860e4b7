"""`build_plan` for a busy year (a rate every day, a booking every week, pending requests)
against an empty property (base price only): what a full calendar costs the pure planner."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from avito_sync.sync.models import (
    BookingInput,
    IntegrationContext,
    PropertyInput,
    RateInput,
    SyncInput,
)
from avito_sync.sync.plan import build_plan
from bench.harness import Result, paired_median_seconds

TODAY = dt.date(2026, 1, 1)


def sync_input(*, rates: int, bookings: int) -> SyncInput:
    prop = PropertyInput(uuid.uuid4(), Decimal(3000), 2)
    context = IntegrationContext(uuid.uuid4(), prop.id, uuid.uuid4(), 1, 1, Decimal(15))
    rate_rows = tuple(
        RateInput(TODAY + dt.timedelta(days=n), Decimal(3000 + (n % 7) * 250), 1 + n % 3)
        for n in range(rates)
    )
    booking_rows = []
    for n in range(bookings):
        check_in = TODAY + dt.timedelta(days=2 + n * 7)
        from_avito = n % 3 == 0
        booking_rows.append(
            BookingInput(
                uuid.uuid4(),
                check_in,
                check_in + dt.timedelta(days=3),
                "pending" if n % 5 == 0 else "confirmed",
                "avito" if from_avito else "manual",
                ("pending" if n % 5 == 0 else "active") if from_avito else None,
            )
        )
    return SyncInput(context, prop, rate_rows, tuple(booking_rows))


def run() -> Result:
    busy = sync_input(rates=365, bookings=52)
    empty = sync_input(rates=0, bookings=0)
    busy_plan = build_plan(busy, TODAY)
    empty_seconds, busy_seconds = paired_median_seconds(
        lambda: build_plan(empty, TODAY), lambda: build_plan(busy, TODAY), repeat=15, number=20
    )
    return Result(
        name="build_plan: busy year vs empty property",
        baseline="empty (base price only)",
        candidate="365 rates + 52 bookings",
        unit="ms per plan",
        baseline_value=empty_seconds * 1000,
        candidate_value=busy_seconds * 1000,
        ratio=busy_seconds / empty_seconds,
        meaning="how many times slower a full calendar plans than an empty one",
        notes={
            "busy_price_ranges": len(busy_plan.prices),
            "busy_open_intervals": len(busy_plan.open_intervals),
        },
    )

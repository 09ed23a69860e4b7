"""Inputs of one integration's sync, as read from the app's tables.

Plain frozen dataclasses so that the plan stays pure: the engine loads these rows, the plan
turns them into the desired Avito state, and nothing here knows about Postgres or HTTP.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

DEFAULT_TIMEZONE = "Europe/Moscow"

# App statuses that occupy the calendar, whatever the booking's source.
BUSY_STATUSES = frozenset({"confirmed", "paid"})
# Raw Avito status that occupies the calendar even if the host changed the app status.
AVITO_BUSY_STATUS = "active"
AVITO_SOURCE = "avito"


@dataclass(frozen=True, slots=True)
class PropertyInput:
    id: UUID
    base_price: Decimal | None
    minimum_booking_days: int | None
    timezone: str = DEFAULT_TIMEZONE
    deleted_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class RateInput:
    date: dt.date
    daily_price: Decimal
    min_stay: int | None


@dataclass(frozen=True, slots=True)
class BookingInput:
    """A booking as the calendar sees it; `check_out` is exclusive (the departure day is free)."""

    id: UUID
    check_in: dt.date
    check_out: dt.date
    status: str | None
    source: str | None
    avito_status: str | None = None

    @property
    def is_busy(self) -> bool:
        """Confirmed or paid app bookings and active Avito bookings block dates; pending
        requests and cancellations never do."""
        return self.status in BUSY_STATUSES or (
            self.source == AVITO_SOURCE and self.avito_status == AVITO_BUSY_STATUS
        )

    @property
    def is_from_avito(self) -> bool:
        return self.source == AVITO_SOURCE


@dataclass(frozen=True, slots=True)
class IntegrationContext:
    """Who and what to talk to on Avito for one integration."""

    integration_id: UUID
    property_id: UUID
    avito_account_id: UUID
    avito_user_id: int
    avito_item_id: int
    markup: Decimal  # avito_markup as stored: >= 0 percent, < 0 fixed rubles (sync.markup)


@dataclass(frozen=True, slots=True)
class SyncInput:
    integration: IntegrationContext
    property: PropertyInput
    rates: tuple[RateInput, ...]
    bookings: tuple[BookingInput, ...]

"""Pull: Avito's bookings for the window into the app's `bookings`, in one transaction.

`pull_bookings` is the one path, for the engine and the tests: the HTTP read (or the answer
a steady-state poll has just received) happens first and outside any transaction; the merge
is one call of the SQL function `avito_private.apply_avito_bookings` (migration
20261127200000), so a crash leaves either everything or nothing written. What the merge does
and why:

- Key: Avito's booking id (`avito_booking_id`, also as text in `external_id`) and the listing
  (`avito_item_id`), looked up only among the owner's own properties: another owner's rows
  are never matched, so nobody can hide a real booking by holding its id (issue #10). A new
  Avito booking is INSERTed with `source='avito'` (the frontend's Realtime toast listens for
  inserts) and writes a `booking_created` event.
- Status: pending → pending, active → confirmed, canceled/cancelled → cancelled. Any other
  value (e.g. `overbook`) is kept raw in `avito_status`, leaves the app status alone (a new row
  starts as pending) and is flagged with `unknown_status: true` in its event's payload.
  Every change of Avito's raw status writes one event (`booking_cancelled` for cancellations,
  else `booking_status_changed`). Nothing is ever cancelled on Avito.
- Host edits win: for every field we import (dates, guest name/e-mail/phone, guest count,
  total price, status) the values we imported last are kept per booking in
  `avito_private.avito_booking_imports`. A field is overwritten only while its current value
  still equals what we imported last; once the host changed it, Avito's later values are
  ignored for that field. One exception: Avito's cancellation always sets the status to
  cancelled, because the guest is gone whatever the host wrote. `property_id` is never touched.
- Vanished: an Avito booking of this integration that is missing from the answer while its
  check-in is still inside the window gets `avito_status='vanished'` and `avito_vanished_at`,
  keeps its app status (its dates stay closed until the host decides) and writes a
  `booking_status_changed` event (avito_status `vanished`). It is never deleted; if it comes
  back, the flag is cleared.
- Conflicts: a non-cancelled Avito booking overlapping another busy booking of the same
  property gets the other bookings' ids in `avito_conflict_with` and one `booking_conflict`
  event per distinct set of conflicting bookings.
- Events are idempotent by their dedupe key, so a repeated pull writes nothing new.
- `total_price` is Avito's `base_price`: the price of the whole stay, which is what the app's
  own `total_price` means. `safe_deposit` is only the prepayment and its split with Avito.
- Guest phones: Avito sends 10 digits without the country code; they become `+7XXXXXXXXXX`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.client import BookingsAnswer
from avito_sync.avito.models import BookingStatus, RealtyBooking
from avito_sync.core.logs import get_logger
from avito_sync.sync import QUERIES
from avito_sync.sync.plan import DateRange
from avito_sync.sync.results import PullResult

log = get_logger(__name__)

Conn = AsyncConnection[Any]

_APP_STATUS = {
    BookingStatus.PENDING: "pending",
    BookingStatus.ACTIVE: "confirmed",
    BookingStatus.CANCELED: "cancelled",
}
_NON_DIGITS = re.compile(r"\D")
_RU_NATIONAL_DIGITS = 10


class BookingsReader(Protocol):
    """The part of the Avito client a pull needs."""

    async def get_bookings_answer(
        self,
        auth: TokenProvider,
        user_id: int,
        item_id: int,
        date_start: dt.date,
        date_end: dt.date,
        *,
        with_unpaid: bool = True,
    ) -> BookingsAnswer: ...


@dataclass(frozen=True, slots=True)
class PulledBooking:
    """An Avito booking in the app's terms, ready for the merge function."""

    avito_booking_id: int
    check_in: dt.date
    check_out: dt.date
    status: str | None
    avito_status: str
    guest_name: str | None
    guest_email: str | None
    guest_phone: str | None
    guests_count: int | None
    total_price: int | None


@dataclass(frozen=True, slots=True)
class _Merged:
    """`apply_avito_bookings`'s counts."""

    created: int
    updated: int
    unchanged: int
    vanished: int
    conflicts: int


@dataclass(frozen=True, slots=True)
class Pulled:
    """A pull's result, and Avito's raw answer (its hash arms the steady-state skip)."""

    result: PullResult
    answer: BookingsAnswer


def app_status(known: BookingStatus | None) -> str | None:
    """The app status for an Avito status; None for a value outside the mapping (`overbook`,
    or anything Avito adds later)."""
    return _APP_STATUS.get(known) if known is not None else None


def normalize_phone(raw: str | None) -> str | None:
    """Avito's 10 national digits become +7XXXXXXXXXX; other forms are kept as sent."""
    if raw is None or not raw.strip():
        return None
    digits = _NON_DIGITS.sub("", raw)
    if len(digits) == _RU_NATIONAL_DIGITS:
        return "+7" + digits
    if len(digits) == _RU_NATIONAL_DIGITS + 1 and digits[0] in "78":
        return "+7" + digits[1:]
    return raw.strip()


def to_pulled(booking: RealtyBooking) -> PulledBooking:
    contact = booking.contact
    return PulledBooking(
        avito_booking_id=booking.avito_booking_id,
        check_in=booking.check_in,
        check_out=booking.check_out,
        status=app_status(booking.normalized_status),
        avito_status=booking.status.strip(),
        guest_name=(contact.name.strip() or None) if contact else None,
        guest_email=(contact.email.strip() or None) if contact else None,
        guest_phone=normalize_phone(contact.phone) if contact else None,
        guests_count=booking.guest_count,
        total_price=booking.base_price,
    )


def _payload(bookings: list[PulledBooking]) -> str:
    by_id = {b.avito_booking_id: b for b in bookings}  # a repeated id: the last one wins
    return json.dumps([asdict(b) for b in by_id.values()], default=str)


async def pull_bookings(
    pool: AsyncConnectionPool[Any],
    client: BookingsReader,
    auth: TokenProvider,
    *,
    integration_id: UUID,
    avito_user_id: int,
    avito_item_id: int,
    window: DateRange,
    answer: BookingsAnswer | None = None,
) -> Pulled:
    """Read the window with unpaid requests in one call (unless `answer` is the one a poll
    has just received for this window), then merge it.

    No connection is held while Avito answers. Avito errors, and a malformed answer,
    propagate unchanged (nothing is written then); the caller records the run.
    """
    if answer is None:
        answer = await client.get_bookings_answer(
            auth, avito_user_id, avito_item_id, window.start, window.end, with_unpaid=True
        )
    pulled = [to_pulled(b) for b in answer.bookings()]
    async with pool.connection() as conn:
        result = await apply_pulled(conn, integration_id, window.start, window.end, pulled)
    return Pulled(result, answer)


async def apply_pulled(
    conn: Conn,
    integration_id: UUID,
    window_start: dt.date,
    window_end: dt.date,
    bookings: list[PulledBooking],
) -> PullResult:
    """Merge one complete Avito answer for the window; atomic (one SQL function call).

    A booking whose check-out is not after its check-in cannot be stored (the table forbids
    it); it is left out and counted as `rejected` rather than blocking every later pull.
    """
    valid = [b for b in bookings if b.check_out > b.check_in]
    if len(valid) != len(bookings):
        log.warning(
            "avito_bookings_rejected",
            integration_id=str(integration_id),
            avito_booking_ids=[b.avito_booking_id for b in bookings if b not in valid],
        )
    async with conn.cursor(row_factory=class_row(_Merged)) as cur:
        await cur.execute(
            QUERIES["apply_bookings"],
            {
                "integration_id": integration_id,
                "window_start": window_start,
                "window_end": window_end,
                "bookings": _payload(valid),
            },
        )
        merged = await cur.fetchone()
    if merged is None:
        raise RuntimeError("apply_avito_bookings returned no row")
    return PullResult(
        created=merged.created,
        updated=merged.updated,
        unchanged=merged.unchanged,
        vanished=merged.vanished,
        conflicts=merged.conflicts,
        fetched=len({b.avito_booking_id for b in bookings}),
        rejected=len(bookings) - len(valid),
    )

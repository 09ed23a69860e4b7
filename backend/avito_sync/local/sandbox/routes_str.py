"""The five short-term-rent operations with Avito's semantics (docs/avito-api.md §3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from avito_sync.local.sandbox import calendar
from avito_sync.local.sandbox.calendar import Range
from avito_sync.local.sandbox.errors import ApiError, error, validation_error
from avito_sync.local.sandbox.gate import Call, begin, json_body
from avito_sync.local.sandbox.models import Closure, DayPrice, GuestBooking, Listing

router = APIRouter()

SUCCESS = {"result": "success"}
PAST = "must not be in the past"
# Closures and prices further ahead than this are dropped (a guard against year-9999 ranges).
STORED_DAYS = 2 * calendar.HORIZON_DAYS


def _listing(call: Call, item_id: int, user_id: int | None = None) -> Listing:
    """404 for an unknown item, 403 when the token's account does not own it."""
    listing = call.state.world.listings.get(item_id)
    if listing is None:
        raise error(call.family, 404, "Item not found")
    if user_id is not None and user_id != call.token.account_id:
        raise error(call.family, 403, "Forbidden: user_id does not match the token's account")
    if listing.account_id != call.token.account_id:
        raise error(call.family, 403, "Forbidden: the user does not own the item")
    return listing


def _skipping(request: Request) -> bool:
    return request.query_params.get("skip_error") in {"true", "1"}


def _listing_or_skip(
    request: Request, call: Call, item_id: int, user_id: int | None, skipped: dict[str, Any]
) -> Listing | JSONResponse:
    try:
        return _listing(call, item_id, user_id)
    except ApiError:
        if _skipping(request):
            return JSONResponse(skipped)
        raise


def _invalid(call: Call, fields: dict[str, str]) -> ApiError:
    return validation_error(call.state.world.settings.validation_status, fields)


def _date(value: object) -> dt.date:
    return dt.date.fromisoformat(str(value))


def _booking_json(booking: GuestBooking) -> dict[str, object]:
    contact: dict[str, object] = {"name": booking.guest_name, "email": booking.guest_email}
    if booking.guest_phone is not None:
        contact["phone"] = booking.guest_phone
    body: dict[str, object] = {
        "avito_booking_id": booking.id,
        "check_in": booking.check_in.isoformat(),
        "check_out": booking.check_out.isoformat(),
        "status": booking.status,
        "guest_count": booking.guest_count,
        "nights": (booking.check_out - booking.check_in).days,
        "base_price": booking.base_price,
        "contact": contact,
    }
    if booking.safe_deposit is not None:
        body["safe_deposit"] = booking.safe_deposit.model_dump()
    return body


@router.get("/realty/v1/accounts/{user_id}/items/{item_id}/bookings")
async def get_bookings(request: Request, user_id: str, item_id: str) -> JSONResponse:
    """Window-filtered; ``pending`` only with ``with_unpaid``; both bounds not in the past."""
    call = await begin(request, "getRealtyBookings")
    found = _listing_or_skip(request, call, int(item_id), int(user_id), {"bookings": []})
    if isinstance(found, JSONResponse):
        return found
    query = request.query_params
    start, end = _date(query["date_start"]), _date(query["date_end"])
    today = call.state.today()
    fields: dict[str, str] = {}
    if start < today:
        fields["date_start"] = PAST
    if end < today:
        fields["date_end"] = PAST
    if end < start:
        fields.setdefault("date_end", "must not be before date_start")
    if fields:
        raise _invalid(call, fields)
    with_unpaid = query.get("with_unpaid") in {"true", "1"}
    visible = {"active", "canceled"}
    if with_unpaid:
        visible.add("pending")
        if call.state.world.settings.overbook_visible:
            visible.add("overbook")
    bookings = [
        _booking_json(b)
        for b in call.state.bookings_of(found.id)
        if b.status in visible and b.check_in <= end and b.check_out > start
    ]
    return JSONResponse({"bookings": bookings})


def _ranges(
    today: dt.date,
    rows: list[dict[str, Any]],
    name: str,
    keys: tuple[str, str],
    *,
    inclusive_end: bool = False,
    disjoint: bool = True,
) -> tuple[list[Range], dict[str, str]]:
    """Half-open ranges from request rows, and the problems: missing, reversed, past, overlap."""
    start_key, end_key = keys
    fields: dict[str, str] = {}
    ranges: list[Range] = []
    for index, row in enumerate(rows):
        where = f"{name}[{index}]"
        missing = [key for key in keys if row.get(key) is None]
        if missing:
            fields.update({f"{where}.{key}": "is required" for key in missing})
            continue
        first, last = _date(row[start_key]), _date(row[end_key])
        rng = calendar.inclusive(first, last) if inclusive_end else Range(first, last)
        if rng.start < today:
            fields[f"{where}.{start_key}"] = PAST
        if rng.end <= rng.start:
            relation = "must not be before" if inclusive_end else "must be after"
            fields[f"{where}.{end_key}"] = f"{relation} {start_key}"
        ranges.append(rng)
    if disjoint and not fields:
        for earlier, later in calendar.overlapping_pairs(ranges):
            fields[f"{name}[{later}]"] = f"overlaps {name}[{earlier}]"
    return ranges, fields


@router.post("/core/v1/accounts/{user_id}/items/{item_id}/bookings")
async def post_bookings(request: Request, user_id: str, item_id: str) -> JSONResponse:
    """Close dates (exclusive end). Ranges over paid bookings conflict: 409.

    Current spec: the other ranges are closed and the 409 lists ``conflicts``. Legacy mode
    (older published spec): nothing is closed and the 409 is the plain ``Error``.
    Closures accumulate; an intervals call replaces them.
    """
    call = await begin(request, "putBookingsInfo")
    listing = _listing(call, int(item_id), int(user_id))
    body = await json_body(request, call)
    rows: list[dict[str, Any]] = body.get("bookings") or []
    ranges, fields = _ranges(call.state.today(), rows, "bookings", ("date_start", "date_end"))
    if fields:
        raise _invalid(call, fields)
    conflicts: list[dict[str, object]] = []
    closable: list[tuple[Range, dict[str, Any]]] = []
    for rng, row in zip(ranges, rows, strict=True):
        paid = call.state.paid_bookings_overlapping(listing.id, rng)
        if paid:
            conflicts.append(
                {
                    "interval": {
                        "date_start": rng.start.isoformat(),
                        "date_end": rng.end.isoformat(),
                    },
                    "bookings": [
                        {
                            "avito_booking_id": b.id,
                            "check_in": b.check_in.isoformat(),
                            "check_out": b.check_out.isoformat(),
                        }
                        for b in paid
                    ],
                }
            )
        else:
            closable.append((rng, row))
    message = "Dates overlap paid Avito bookings"
    if conflicts and call.state.world.settings.conflict_mode == "legacy":
        raise error(call.family, 409, message)
    limit = call.state.today() + dt.timedelta(days=STORED_DAYS)
    for rng, row in closable:
        closure = Closure(
            type=row.get("type"), source=body.get("source"), comment=row.get("comment")
        )
        for day in rng.clip_end(limit).days():
            listing.closures[day] = closure
    if conflicts:
        payload = {"error": {"code": 409, "message": message, "conflicts": conflicts}}
        return JSONResponse(payload, status_code=409)
    return JSONResponse(SUCCESS)


@router.post("/realty/v1/accounts/{user_id}/items/{item_id}/prices")
async def post_prices(request: Request, user_id: str, item_id: str) -> JSONResponse:
    """Per-day prices over inclusive ranges; pending bookings on those dates become overbook."""
    call = await begin(request, "postRealtyPrices")
    found = _listing_or_skip(request, call, int(item_id), int(user_id), SUCCESS)
    if isinstance(found, JSONResponse):
        return found
    body = await json_body(request, call)
    rows: list[dict[str, Any]] = body.get("prices") or []
    fields: dict[str, str] = {}
    for index, row in enumerate(rows):
        if row.get("night_price") is not None and row["night_price"] <= 0:
            fields[f"prices[{index}].night_price"] = "night_price must be greater than 0"
        if row.get("extra_guest_fee") is not None and row["extra_guest_fee"] < 0:
            fields[f"prices[{index}].extra_guest_fee"] = "must not be negative"
    ranges, date_fields = _ranges(
        call.state.today(),
        rows,
        "prices",
        ("date_from", "date_to"),
        inclusive_end=True,
        disjoint=False,
    )
    fields.update(date_fields)
    if fields:
        raise _invalid(call, fields)
    limit = call.state.today() + dt.timedelta(days=STORED_DAYS)
    for rng, row in zip(ranges, rows, strict=True):
        for day in rng.clip_end(limit).days():
            current = found.prices.get(day, DayPrice())
            found.prices[day] = current.model_copy(
                update={
                    key: row[key]
                    for key in ("night_price", "minimal_duration", "extra_guest_fee")
                    if row.get(key) is not None
                }
            )
        for booking in call.state.bookings_of(found.id):
            if booking.status == "pending" and rng.overlaps(
                Range(booking.check_in, booking.check_out)
            ):
                booking.status = "overbook"
    return JSONResponse(SUCCESS)


@router.post("/realty/v1/items/intervals")
async def post_intervals(request: Request) -> JSONResponse:
    """Full state: the days covered are open with their quota, every other day is closed."""
    call = await begin(request, "putIntervals")
    body = await json_body(request, call)
    fields: dict[str, str] = {}
    if "item_id" not in body:
        fields["item_id"] = "is required"
    if body.get("intervals") is None:
        fields["intervals"] = "is required (an empty list closes the whole year)"
    if fields:
        raise _invalid(call, fields)
    found = _listing_or_skip(request, call, int(body["item_id"]), None, SUCCESS)
    if isinstance(found, JSONResponse):
        return found
    rows: list[dict[str, Any]] = body["intervals"]
    for index, row in enumerate(rows):
        if row.get("open") is None:
            fields[f"intervals[{index}].open"] = "is required"
        elif row["open"] <= 0:
            fields[f"intervals[{index}].open"] = "must be greater than 0"
    if fields:
        raise _invalid(call, fields)
    ranges, fields = _ranges(call.state.today(), rows, "intervals", ("date_start", "date_end"))
    if fields:
        raise _invalid(call, fields)
    quotas = [int(row["open"]) for row in rows]
    found.open_days = calendar.open_days(list(zip(ranges, quotas, strict=True)), call.state.today())
    found.closures.clear()
    return JSONResponse(SUCCESS)


_BASE_RANGES = {"night_price": 1, "extra_guest_fee": 0}


@router.post("/realty/v1/items/{item_id}/base")
async def post_base(request: Request, item_id: str) -> Response:
    """Merge the given fields into the base parameters; 200 with no body."""
    call = await begin(request, "postBaseParams")
    listing = _listing(call, int(item_id))
    body = await json_body(request, call)
    fields: dict[str, str] = {}
    for key, minimum in _BASE_RANGES.items():
        if body.get(key) is not None and body[key] < minimum:
            fields[key] = f"must be at least {minimum}"
    for index, discount in enumerate(body.get("discount") or []):
        percent = discount.get("percent")
        if percent is not None and not 0 < percent < 100:
            fields[f"discount[{index}].percent"] = "must be between 1 and 99"
    fees = body.get("fees") or {}
    for fee in ("cleaning", "pets"):
        amount = (fees.get(fee) or {}).get("amount")
        if amount is not None and amount < 0:
            fields[f"fees.{fee}.amount"] = "must not be negative"
    if fields:
        raise _invalid(call, fields)
    merged = dict(listing.base_params or {})
    merged.update({k: v for k, v in body.items() if v is not None})
    listing.base_params = merged
    return Response(status_code=200)

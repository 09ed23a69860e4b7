"""The control API under ``/_sandbox/``: seed, script and inspect the emulated Avito.

Not part of Avito. JSON in and out, bodies validated by the models in ``schemas``; unknown
ids are 404 ``{"detail": ...}``, invalid bodies FastAPI's 422.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from avito_sync.local.sandbox import calendar
from avito_sync.local.sandbox.gate import sandbox_state
from avito_sync.local.sandbox.models import (
    Account,
    Application,
    GuestBooking,
    Listing,
    SafeDeposit,
    Settings,
)
from avito_sync.local.sandbox.schemas import (
    AccountIn,
    AdvanceClockIn,
    ApplicationIn,
    BookingIn,
    BookingOut,
    BookingPatch,
    CalendarDay,
    ClockOut,
    ExpiredOut,
    ExpireTokensIn,
    ListingIn,
    PriceDay,
    RequestLogEntry,
    SettingsPatch,
)
from avito_sync.local.sandbox.state import SandboxState
from avito_sync.local.sandbox.views import calendar_days, price_days

router = APIRouter(prefix="/_sandbox", tags=["sandbox control"])


def _listing(state: SandboxState, item_id: int) -> Listing:
    listing = state.world.listings.get(item_id)
    if listing is None:
        raise HTTPException(404, f"no listing {item_id}")
    return listing


def _booking(state: SandboxState, booking_id: int) -> GuestBooking:
    booking = state.world.bookings.get(booking_id)
    if booking is None:
        raise HTTPException(404, f"no booking {booking_id}")
    return booking


def _booking_out(booking: GuestBooking) -> BookingOut:
    return BookingOut.model_validate(booking.model_dump())


@router.get("/state")
async def get_state(request: Request) -> dict[str, Any]:
    """Applications, accounts, listings (with calendars and prices), bookings and settings.

    Client secrets and token values are never shown; only how many tokens are live.
    """
    state = sandbox_state(request)
    world = state.world
    now = state.now()
    days = calendar.horizon(state.today())
    return {
        "now": now.isoformat(),
        "today_moscow": state.today().isoformat(),
        "settings": world.settings.model_dump(),
        "applications": [
            a.model_dump(exclude={"client_secret"}) for a in world.applications.values()
        ],
        "accounts": [a.model_dump() for a in world.accounts.values()],
        "listings": [
            {
                **listing.model_dump(
                    mode="json", exclude={"open_days", "closures", "prices", "start_time"}
                ),
                "calendar": [
                    d.model_dump(mode="json", exclude_none=True)
                    for d in calendar_days(listing, state.bookings_of(listing.id), days)
                ],
                "prices": [p.model_dump(mode="json") for p in price_days(listing, None, None)],
            }
            for listing in world.listings.values()
        ],
        "bookings": [_booking_out(b).model_dump(mode="json") for b in world.bookings.values()],
        "live_access_tokens": sum(t.expires_at > now for t in world.access_tokens.values()),
        "live_refresh_tokens": sum(t.active for t in world.refresh_tokens.values()),
    }


@router.post("/reset", status_code=204)
async def reset(request: Request) -> Response:
    """Back to the demo world: one application, one account, two listings; no faults or log."""
    sandbox_state(request).reset()
    return Response(status_code=204)


@router.get("/settings")
async def get_settings(request: Request) -> Settings:
    """Behaviour switches: token/code TTLs, 409 mode, 400-vs-422, refresh reuse, clock offset."""
    return sandbox_state(request).world.settings


@router.patch("/settings")
async def patch_settings(request: Request, patch: SettingsPatch) -> Settings:
    """Change some switches; a new ``random_seed`` reseeds the fault RNG."""
    state = sandbox_state(request)
    changes = patch.model_dump(exclude_none=True)
    state.world.settings = state.world.settings.model_copy(update=changes)
    if "random_seed" in changes:
        state.runtime.rng.seed(state.world.settings.random_seed)
    return state.world.settings


@router.get("/clock")
async def get_clock(request: Request) -> ClockOut:
    """The sandbox's "now" (wall clock plus offset) and the Moscow date Avito calls today."""
    state = sandbox_state(request)
    return ClockOut(now=state.now(), today_moscow=state.today())


@router.post("/clock/advance")
async def advance_clock(request: Request, body: AdvanceClockIn) -> Settings:
    """Move the sandbox clock forward: tokens and codes expire, "today" moves, 429 windows pass."""
    state = sandbox_state(request)
    settings = state.world.settings
    settings.clock_offset_seconds += body.seconds
    return settings


@router.post("/applications", status_code=201)
async def add_application(request: Request, body: ApplicationIn) -> Application:
    """Register (or replace) an OAuth application; ``account_id`` enables client_credentials."""
    state = sandbox_state(request)
    if body.account_id is not None and body.account_id not in state.world.accounts:
        raise HTTPException(404, f"no account {body.account_id}")
    values = body.model_dump(exclude_none=True)
    app = Application.model_validate(values)
    state.world.applications[app.client_id] = app
    return app


@router.post("/accounts", status_code=201)
async def add_account(request: Request, body: AccountIn) -> Account:
    """Create an Avito account (id random 9-digit when omitted)."""
    state = sandbox_state(request)
    account_id = body.id or _free_id(set(state.world.accounts), 100_000_000, 999_999_999)
    if account_id in state.world.accounts:
        raise HTTPException(409, f"account {account_id} exists")
    account = Account(
        id=account_id,
        name=body.name,
        email=body.email,
        phone=body.phone,
        profile_url=f"https://www.avito.ru/user/sandbox{account_id}/profile",
    )
    state.world.accounts[account.id] = account
    return account


def _free_id(taken: set[int], low: int, high: int) -> int:
    while True:
        candidate = low + secrets.randbelow(high - low)
        if candidate not in taken:
            return candidate


@router.post("/listings", status_code=201)
async def add_listing(request: Request, body: ListingIn) -> Listing:
    """Create a listing of an account (id random 11-digit when omitted)."""
    state = sandbox_state(request)
    if body.account_id not in state.world.accounts:
        raise HTTPException(404, f"no account {body.account_id}")
    item_id = body.id or _free_id(set(state.world.listings), 10_000_000_000, 99_999_999_999)
    if item_id in state.world.listings:
        raise HTTPException(409, f"listing {item_id} exists")
    listing = Listing(
        id=item_id,
        account_id=body.account_id,
        title=body.title,
        address=body.address,
        status=body.status,
        price=body.price,
        url=body.url or f"https://www.avito.ru/moskva/kvartiry/sandbox_{item_id}",
        start_time=state.now(),
    )
    state.world.listings[listing.id] = listing
    return listing


@router.post("/listings/{item_id}/bookings", status_code=201)
async def add_booking(request: Request, item_id: int, body: BookingIn) -> BookingOut:
    """A guest books on Avito: ``pending`` (unpaid request) or ``active`` (paid, closes days).

    Overlaps are allowed on purpose so tests can stage conflicts.
    """
    state = sandbox_state(request)
    listing = _listing(state, item_id)
    booking_id = body.id or state.new_booking_id()
    if booking_id in state.world.bookings:
        raise HTTPException(409, f"booking {booking_id} exists")
    nights = (body.check_out - body.check_in).days
    base_price = (
        body.base_price if body.base_price is not None else nights * (listing.price or 3000)
    )
    deposit = body.safe_deposit or SafeDeposit(
        total_amount=base_price // 2,
        tax=base_price // 20,
        owner_amount=base_price // 2 - base_price // 20,
    )
    booking = GuestBooking(
        id=booking_id,
        item_id=item_id,
        check_in=body.check_in,
        check_out=body.check_out,
        status=body.status,
        guest_name=body.guest_name,
        guest_email=body.guest_email,
        guest_phone=body.guest_phone,
        guest_count=body.guest_count,
        base_price=base_price,
        safe_deposit=deposit,
    )
    state.world.bookings[booking.id] = booking
    return _booking_out(booking)


@router.get("/listings/{item_id}/bookings")
async def list_bookings(request: Request, item_id: int) -> list[BookingOut]:
    """Every guest booking of the listing, any status (``overbook`` included), by check-in."""
    state = sandbox_state(request)
    _listing(state, item_id)
    return [_booking_out(b) for b in state.bookings_of(item_id)]


@router.patch("/bookings/{booking_id}")
async def patch_booking(request: Request, booking_id: int, body: BookingPatch) -> BookingOut:
    """Modify a booking: dates, guest count, price or status."""
    state = sandbox_state(request)
    booking = _booking(state, booking_id)
    updated = booking.model_copy(update=body.model_dump(exclude_none=True))
    if updated.check_out <= updated.check_in:
        raise HTTPException(422, "check_out must be after check_in")
    state.world.bookings[booking_id] = updated
    return _booking_out(updated)


@router.post("/bookings/{booking_id}/confirm")
async def confirm_booking(request: Request, booking_id: int) -> BookingOut:
    """The guest pays: ``pending`` becomes ``active``."""
    booking = _booking(sandbox_state(request), booking_id)
    if booking.status != "pending":
        raise HTTPException(409, f"booking is {booking.status}, not pending")
    booking.status = "active"
    return _booking_out(booking)


@router.post("/bookings/{booking_id}/cancel")
async def cancel_booking(request: Request, booking_id: int) -> BookingOut:
    """The guest or Avito cancels: status ``canceled`` (still listed by GET bookings)."""
    booking = _booking(sandbox_state(request), booking_id)
    booking.status = "canceled"
    return _booking_out(booking)


@router.delete("/bookings/{booking_id}", status_code=204)
async def delete_booking(request: Request, booking_id: int) -> Response:
    """The booking vanishes from Avito's answers without a trace."""
    state = sandbox_state(request)
    _booking(state, booking_id)
    del state.world.bookings[booking_id]
    return Response(status_code=204)


@router.post("/tokens/expire")
async def expire_tokens(request: Request, body: ExpireTokensIn) -> ExpiredOut:
    """Expire access tokens now (one, an account's, or all); optionally revoke refresh tokens."""
    state = sandbox_state(request)
    world = state.world
    past = state.now() - dt.timedelta(seconds=1)

    def chosen(token: str, account_id: int) -> bool:
        if body.all:
            return True
        if body.account_id is not None:
            return account_id == body.account_id
        return token == body.access_token

    access = [t for t in world.access_tokens.values() if chosen(t.token, t.account_id)]
    for token in access:
        token.expires_at = min(token.expires_at, past)
    refreshed = 0
    if body.include_refresh:
        owners = {t.account_id for t in access}
        for refresh in world.refresh_tokens.values():
            hit = body.all or refresh.account_id in owners or refresh.account_id == body.account_id
            if hit and refresh.active:
                refresh.active = False
                refreshed += 1
    return ExpiredOut(access_tokens=len(access), refresh_tokens=refreshed)


@router.get("/listings/{item_id}/calendar")
async def get_calendar(
    request: Request, item_id: int, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[CalendarDay]:
    """Per day (inclusive ``date_from``..``date_to``, default the year ahead): open or closed,
    quota, and what closed it (``intervals``, ``closure`` with its type/source/comment, or a
    paid ``avito_booking``)."""
    state = sandbox_state(request)
    listing = _listing(state, item_id)
    year = calendar.horizon(state.today())
    first = date_from or year.start
    last = date_to or year.end - calendar.ONE_DAY
    if last < first or (last - first).days > 3 * 366:
        raise HTTPException(422, "date_to must be within three years after date_from")
    return calendar_days(listing, state.bookings_of(item_id), calendar.inclusive(first, last))


@router.get("/listings/{item_id}/prices")
async def get_prices(
    request: Request, item_id: int, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[PriceDay]:
    """Per-day ``night_price`` / ``minimal_duration`` / ``extra_guest_fee`` set via prices."""
    listing = _listing(sandbox_state(request), item_id)
    return price_days(listing, date_from, date_to)


@router.get("/listings/{item_id}/base")
async def get_base_params(request: Request, item_id: int) -> dict[str, object] | None:
    """The merged base parameters, or null if never set."""
    return _listing(sandbox_state(request), item_id).base_params


@router.get("/requests")
async def get_requests(request: Request, limit: int = 500) -> list[RequestLogEntry]:
    """The latest API requests (oldest first): method, path, status, operationId, fault."""
    log = list(sandbox_state(request).runtime.log)
    return log[-max(1, min(limit, len(log) or 1)) :] if log else []


@router.delete("/requests", status_code=204)
async def clear_requests(request: Request) -> Response:
    """Empty the request log."""
    sandbox_state(request).runtime.log.clear()
    return Response(status_code=204)

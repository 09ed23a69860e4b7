"""Push: send the plan to Avito, only what changed since Avito last accepted it.

Each operation's request body has a fingerprint (`fingerprint.py`); the fingerprint of the
last body Avito accepted is stored per integration (`avito_private.avito_push_state`). An
operation is sent when its fingerprint differs, and every operation is sent when the last
complete push is older than `full_push_every` (6 hours by default) to repair drift (a host
editing on Avito directly, a lost answer). Bodies carry today's date, so a full push also
happens naturally once a day.

Prices are kept per night instead (`price_diff.py`): only the nights whose price or minimum
stay changed are sent (every night in a full push), and right before the write Avito's
bookings are read again, so that no night of a pending request is ever re-priced, not even one
that arrived after this sync's pull (Avito would turn it into `overbook`). Such nights stay
"not pushed" and go out once the request is answered.

Order: availability first (one full-year intervals request, the guard against double
bookings), then closures (core bookings of non-Avito bookings), prices, base params. One
operation failing does not stop the others; an expired or revoked token does (it raises a
`ReconnectNeededError` for the caller's reconnect handling).

An intervals write replaces the whole calendar, closures included, so closures are re-sent
whenever intervals were sent.

A failure is retried on the next sync when it may pass then (5xx, 429, no answer). A refusal
of the body itself (400, 403, 404, 422) is reported but its body is remembered like an
accepted one, so the same body is not re-sent every 10 seconds; a change of the plan or the
periodic full push tries again.

A 409 on closures is recorded with its conflicts, notified once, and its body remembered as
pushed, so it is not re-sent on every poll; only a change of the closures or the periodic full
push sends it again. Under the current spec Avito has closed the non-conflicting ranges.

Nothing is pushed for a deleted property or an inactive integration (checked in the database
right before the first request).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito import bodies
from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.errors import (
    AvitoError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ReconnectNeededError,
    ValidationError,
)
from avito_sync.avito.models import BaseParams, CalendarBooking, Interval, PriceItem, RealtyBooking
from avito_sync.sync import price_diff
from avito_sync.sync.fingerprint import fingerprint
from avito_sync.sync.models import (
    DEFAULT_TIMEZONE,
    BookingInput,
    IntegrationContext,
    PropertyInput,
    RateInput,
    SyncInput,
)
from avito_sync.sync.plan import PlanWarning, PriceRange, SyncPlan

DEFAULT_FULL_PUSH_EVERY = dt.timedelta(hours=6)
SOURCE_LABEL = "pms"

Operation = Literal["intervals", "closures", "prices", "base_params"]
OPERATIONS: tuple[Operation, ...] = ("intervals", "closures", "prices", "base_params")
# The names the frontend knows from the old edge function (docs/app-contract.md §3.1).
LEGACY_OPERATION: dict[Operation, str] = {
    "intervals": "intervals_update",
    "closures": "bookings_update",
    "prices": "price_update",
    "base_params": "base_params_update",
}
Status = Literal["sent", "skipped", "failed", "conflict"]
SkipReason = Literal["unchanged", "nothing_to_send", "not_pushable", "deferred"]


class CalendarWriter(Protocol):
    """The part of the Avito client a push needs (it reads bookings right before prices)."""

    async def get_bookings(
        self,
        auth: TokenProvider,
        user_id: int,
        item_id: int,
        date_start: dt.date,
        date_end: dt.date,
        *,
        with_unpaid: bool = ...,
    ) -> list[RealtyBooking]: ...

    async def post_intervals(
        self,
        auth: TokenProvider,
        item_id: int,
        intervals: Sequence[Interval],
        *,
        source: str | None = ...,
    ) -> None: ...

    async def post_core_bookings(
        self,
        auth: TokenProvider,
        user_id: int,
        item_id: int,
        bookings: Sequence[CalendarBooking],
        *,
        source: str | None = ...,
    ) -> None: ...

    async def post_prices(
        self, auth: TokenProvider, user_id: int, item_id: int, prices: Sequence[PriceItem]
    ) -> None: ...

    async def post_base_params(
        self, auth: TokenProvider, item_id: int, params: BaseParams
    ) -> None: ...


class SyncInputError(LookupError):
    """The integration does not exist (deleted meanwhile) or has no Avito account."""


@dataclass(frozen=True, slots=True)
class OperationOutcome:
    operation: Operation
    status: Status
    reason: SkipReason | None = None
    error: AvitoError | None = None

    @property
    def ok(self) -> bool:
        """A 409 counts as done: it is recorded and notified, and must not be retried."""
        return self.status != "failed"

    def legacy_entry(self) -> dict[str, Any]:
        """`errors[]` / `warnings[]` entry in the old edge function's shape."""
        err = self.error
        entry: dict[str, Any] = {
            "operation": LEGACY_OPERATION[self.operation],
            "statusCode": err.status if err else None,
            "message": err.message if err else "",
        }
        if err is not None and err.avito_code is not None:  # Avito's code, not ours
            entry["errorCode"] = str(err.avito_code)
        if isinstance(err, ValidationError) and err.fields:
            entry["details"] = {"fields": err.fields}
        if isinstance(err, ConflictError):
            entry["details"] = {"conflicts": [c.model_dump(mode="json") for c in err.conflicts]}
        return entry


@dataclass(frozen=True, slots=True)
class PushResult:
    outcomes: tuple[OperationOutcome, ...]
    full: bool
    warnings: tuple[PlanWarning, ...] = ()
    api_calls: int = 0
    price_nights: int = 0
    """Nights whose price was written (only changed ones; none of a pending request)."""

    def outcome(self, operation: Operation) -> OperationOutcome:
        return next(o for o in self.outcomes if o.operation == operation)

    @property
    def push_success(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def prices_push_success(self) -> bool:
        return self.outcome("prices").ok

    @property
    def intervals_push_success(self) -> bool:
        return self.outcome("intervals").ok

    @property
    def sent(self) -> tuple[Operation, ...]:
        return tuple(o.operation for o in self.outcomes if o.status in ("sent", "conflict"))

    @property
    def failed(self) -> tuple[OperationOutcome, ...]:
        """Operations Avito refused (a 409 is not here: it is recorded and notified)."""
        return tuple(o for o in self.outcomes if o.status == "failed")

    def counts(self) -> dict[str, Any]:
        """For the run log: what happened to each operation, and how many calls were made."""
        return {
            "full": self.full,
            "api_calls": self.api_calls,
            "price_nights": self.price_nights,
            "operations": {o.operation: o.reason or o.status for o in self.outcomes},
        }

    def legacy_errors(self) -> list[dict[str, Any]]:
        """Failures, except a base-params 404 (a warning, as the old function did)."""
        return [o.legacy_entry() for o in self.outcomes if o.status == "failed" and not _soft(o)]

    def legacy_warnings(self) -> list[dict[str, Any]]:
        soft = [o.legacy_entry() for o in self.outcomes if o.status == "conflict" or _soft(o)]
        plan = [
            {"operation": "validation", "code": w.code, "message": w.message} for w in self.warnings
        ]
        return soft + plan


def _soft(outcome: OperationOutcome) -> bool:
    return (
        outcome.operation == "base_params"
        and outcome.status == "failed"
        and outcome.error is not None
        and outcome.error.status == 404
    )


# --- loading -----------------------------------------------------------------------------


def _parse_input(data: dict[str, Any]) -> SyncInput:
    integ, prop = data["integration"], data["property"]
    if integ.get("avito_account_id") is None:
        raise SyncInputError(f"integration {integ['id']} has no Avito account")
    deleted_at = prop.get("deleted_at")
    return SyncInput(
        integration=IntegrationContext(
            integration_id=UUID(integ["id"]),
            property_id=UUID(integ["property_id"]),
            avito_account_id=UUID(integ["avito_account_id"]),
            avito_user_id=int(integ["avito_user_id"]),
            avito_item_id=int(integ["avito_item_id"]),
            markup=Decimal(str(integ["avito_markup"])),
        ),
        property=PropertyInput(
            id=UUID(prop["id"]),
            base_price=_decimal(prop.get("base_price")),
            minimum_booking_days=prop.get("minimum_booking_days"),
            timezone=prop.get("timezone") or DEFAULT_TIMEZONE,
            deleted_at=dt.datetime.fromisoformat(deleted_at) if deleted_at else None,
        ),
        rates=tuple(
            RateInput(
                date=dt.date.fromisoformat(r["date"]),
                daily_price=Decimal(str(r["daily_price"])),
                min_stay=r.get("min_stay"),
            )
            for r in data["rates"]
        ),
        bookings=tuple(
            BookingInput(
                id=UUID(b["id"]),
                check_in=dt.date.fromisoformat(b["check_in"]),
                check_out=dt.date.fromisoformat(b["check_out"]),
                status=b.get("status"),
                source=b.get("source"),
                avito_status=b.get("avito_status"),
            )
            for b in data["bookings"]
        ),
    )


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def load_sync_input(conn: AsyncConnection[Any], integration_id: UUID) -> SyncInput:
    """The integration's property, rates and bookings in one snapshot (one SQL function
    call), with the property's timezone when the table has one. Raises `SyncInputError`
    when the integration does not exist."""
    cur = await conn.execute("select avito_private.load_sync_input(%s) as data", (integration_id,))
    row = await cur.fetchone()
    data = None if row is None else (row["data"] if isinstance(row, dict) else row[0])
    if data is None:
        raise SyncInputError(f"integration {integration_id} not found")
    return _parse_input(data)


# --- bodies ------------------------------------------------------------------------------


def _interval_items(plan: SyncPlan) -> list[Interval]:
    return [Interval(date_start=r.start, date_end=r.end, open=1) for r in plan.open_intervals]


def _closure_items(plan: SyncPlan) -> list[CalendarBooking]:
    return [
        CalendarBooking(date_start=r.start, date_end=r.end, type="booking") for r in plan.closures
    ]


def _price_items(ranges: Sequence[PriceRange]) -> list[PriceItem]:
    return [
        PriceItem(
            date_from=p.date_from,
            date_to=p.date_to,
            night_price=p.night_price,
            minimal_duration=p.minimal_duration,
        )
        for p in ranges
    ]


def _base_params(plan: SyncPlan) -> BaseParams:
    params = plan.base_params
    if params.night_price is None:
        return BaseParams.model_validate({"minimal_duration": params.minimal_duration})
    return BaseParams.model_validate(
        {"night_price": params.night_price, "minimal_duration": params.minimal_duration}
    )


@dataclass(frozen=True, slots=True)
class _Request:
    operation: Operation
    fingerprint: str
    empty: bool
    send: Callable[[], Awaitable[None]]


def _requests(
    client: CalendarWriter, auth: TokenProvider, ctx: IntegrationContext, plan: SyncPlan
) -> dict[Operation, _Request]:
    """The whole-body operations (prices are decided night by night, see `_push_prices`)."""
    user, item = ctx.avito_user_id, ctx.avito_item_id
    intervals = _interval_items(plan)
    closures = _closure_items(plan)
    base = _base_params(plan)

    def fp(body: Any) -> str:
        return fingerprint({"user_id": user, "item_id": item, "body": body})

    requests = [
        _Request(
            "intervals",
            fp(bodies.intervals_body(item, intervals, SOURCE_LABEL)),
            False,  # an empty list is meaningful: every day of the year is closed
            lambda: client.post_intervals(auth, item, intervals, source=SOURCE_LABEL),
        ),
        _Request(
            "closures",
            fp(bodies.core_bookings_body(closures, SOURCE_LABEL)),
            not closures,
            lambda: client.post_core_bookings(auth, user, item, closures, source=SOURCE_LABEL),
        ),
        _Request(
            "base_params",
            fp(bodies.base_params_body(base)),
            False,
            lambda: client.post_base_params(auth, item, base),
        ),
    ]
    return {r.operation: r for r in requests}


# --- push ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _State:
    fingerprints: dict[str, str]
    last_full_push_at: dt.datetime | None
    pushable: bool
    prices: object = None
    """Per-night prices Avito accepted last (`price_diff.encode`), as stored."""


async def _push_state(pool: AsyncConnectionPool[Any], integration_id: UUID) -> _State:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "select fingerprints, last_full_push_at, pushable, prices"
            " from avito_private.get_push_state(%s)",
            (integration_id,),
        )
        row = await cur.fetchone()
    if row is None:
        return _State({}, None, pushable=False)
    values = row if isinstance(row, dict) else dict(zip(_STATE_COLUMNS, row, strict=True))
    return _State(
        dict(values["fingerprints"]),
        values["last_full_push_at"],
        bool(values["pushable"]),
        values["prices"],
    )


_STATE_COLUMNS = ("fingerprints", "last_full_push_at", "pushable", "prices")
# Answers that judge the body itself (400, 403, 404, 422): re-sending it every poll cannot help.
_REFUSALS = (BadRequestError, ForbiddenError, NotFoundError, ValidationError)


def _conflicts_json(err: ConflictError) -> str:
    return json.dumps([c.model_dump(mode="json") for c in err.conflicts])


@dataclass(frozen=True, slots=True)
class _PriceOutcome:
    outcome: OperationOutcome
    api_calls: int = 0
    nights: int = 0
    warnings: tuple[PlanWarning, ...] = ()


async def _push_prices(
    pool: AsyncConnectionPool[Any],
    client: CalendarWriter,
    auth: TokenProvider,
    ctx: IntegrationContext,
    plan: SyncPlan,
    *,
    stored: object,
    full: bool,
) -> _PriceOutcome:
    """Send the changed nights (all nights when `full`), minus every night of a request that
    is pending on Avito right now. The price write itself is never retried in place (the
    client does not retry it): a later attempt must read the bookings again first."""
    user, item = ctx.avito_user_id, ctx.avito_item_id
    desired = price_diff.price_nights(plan.prices)
    pushed = price_diff.decode(item, stored)
    changed = price_diff.changed_nights(desired, {} if full else pushed)
    if not changed:
        reason: SkipReason = "unchanged" if desired else "nothing_to_send"
        return _PriceOutcome(OperationOutcome("prices", "skipped", reason))
    try:
        live = await client.get_bookings(
            auth, user, item, plan.window.start, plan.window.end, with_unpaid=True
        )
    except ReconnectNeededError:  # ends the sync: the engine asks for a reconnect
        raise
    except AvitoError as err:
        return _PriceOutcome(OperationOutcome("prices", "failed", error=err), api_calls=1)
    pending = price_diff.unconfirmed_ranges(live)
    held = price_diff.touched(changed, pending)
    warnings = (
        (
            PlanWarning(
                "prices_deferred_new_request",
                "prices not sent over Avito requests that arrived during this sync",
                held,
            ),
        )
        if held
        else ()
    )
    updates = price_diff.price_updates(desired, {} if full else pushed, pending)
    if not updates:
        return _PriceOutcome(
            OperationOutcome("prices", "skipped", "deferred"), api_calls=1, warnings=warnings
        )
    accepted = price_diff.encode(item, price_diff.after_push(pushed, updates, plan.window.start))
    nights = len(price_diff.price_nights(updates))
    try:
        await client.post_prices(auth, user, item, _price_items(updates))
    except ReconnectNeededError:  # ends the sync: the engine asks for a reconnect
        raise
    except AvitoError as err:
        if isinstance(err, _REFUSALS):
            # The same nights would be refused again: wait for them to change.
            await _record(pool, ctx.integration_id, {}, prices=accepted)
        outcome = OperationOutcome("prices", "failed", error=err)
        return _PriceOutcome(outcome, api_calls=2, warnings=warnings)
    await _record(pool, ctx.integration_id, {}, prices=accepted)
    return _PriceOutcome(
        OperationOutcome("prices", "sent"), api_calls=2, nights=nights, warnings=warnings
    )


async def push_plan(
    pool: AsyncConnectionPool[Any],
    client: CalendarWriter,
    auth: TokenProvider,
    ctx: IntegrationContext,
    plan: SyncPlan,
    *,
    now: dt.datetime,
    force: bool = False,
    full_push_every: dt.timedelta = DEFAULT_FULL_PUSH_EVERY,
) -> PushResult:
    """Send what changed in `plan`; record each body as soon as Avito accepts it.

    No connection is held during HTTP calls. A crash mid-push only causes a harmless re-send
    next time. Whether the integration is still active and its property not deleted is read
    from the database right before pushing, so a property deleted while this sync ran is
    never reopened on Avito.
    """
    state = await _push_state(pool, ctx.integration_id)
    if not state.pushable:
        return PushResult(
            tuple(OperationOutcome(op, "skipped", "not_pushable") for op in OPERATIONS),
            full=False,
            warnings=plan.warnings,
        )
    last_full = state.last_full_push_at
    full = force or last_full is None or now - last_full >= full_push_every

    outcomes: list[OperationOutcome] = []
    calls = 0
    intervals_sent = False
    prices = _PriceOutcome(OperationOutcome("prices", "skipped", "unchanged"))
    requests = _requests(client, auth, ctx, plan)
    for operation in OPERATIONS:
        if operation == "prices":
            prices = await _push_prices(
                pool, client, auth, ctx, plan, stored=state.prices, full=full
            )
            calls += prices.api_calls
            outcomes.append(prices.outcome)
            continue
        request = requests[operation]
        # An intervals write also drops every closure on Avito: closures follow it.
        resend = full or (request.operation == "closures" and intervals_sent)
        if not resend and state.fingerprints.get(request.operation) == request.fingerprint:
            outcomes.append(OperationOutcome(request.operation, "skipped", "unchanged"))
            continue
        if request.empty:
            await _record(pool, ctx.integration_id, {request.operation: request.fingerprint})
            outcomes.append(OperationOutcome(request.operation, "skipped", "nothing_to_send"))
            continue
        calls += 1
        try:
            await request.send()
        except ReconnectNeededError:  # ends the sync: the engine asks for a reconnect
            raise
        except ConflictError as err:
            async with pool.connection() as conn:
                await conn.execute(
                    "select avito_private.record_push_conflict(%s, %s, %s::jsonb)",
                    (ctx.integration_id, request.fingerprint, _conflicts_json(err)),
                )
            outcomes.append(OperationOutcome(request.operation, "conflict", error=err))
            continue
        except AvitoError as err:
            if isinstance(err, _REFUSALS):
                # The same body would be refused again: wait for the plan to change.
                await _record(pool, ctx.integration_id, {request.operation: request.fingerprint})
            outcomes.append(OperationOutcome(request.operation, "failed", error=err))
            continue
        await _record(pool, ctx.integration_id, {request.operation: request.fingerprint})
        outcomes.append(OperationOutcome(request.operation, "sent"))
        intervals_sent = intervals_sent or request.operation == "intervals"

    result = PushResult(
        tuple(outcomes),
        full=full,
        warnings=plan.warnings + prices.warnings,
        api_calls=calls,
        price_nights=prices.nights,
    )
    transient = [o for o in result.failed if not isinstance(o.error, _REFUSALS)]
    if full and not transient:
        await _record(pool, ctx.integration_id, {}, full_at=now)
    return result


async def _record(
    pool: AsyncConnectionPool[Any],
    integration_id: UUID,
    fingerprints: dict[str, str],
    *,
    full_at: dt.datetime | None = None,
    prices: dict[str, Any] | None = None,
) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            "select avito_private.record_push(%s, %s::jsonb, %s, %s::jsonb)",
            (
                integration_id,
                json.dumps(fingerprints),
                full_at,
                None if prices is None else json.dumps(prices),
            ),
        )

"""Push: send the plan to Avito, only what changed since Avito last accepted it.

This module is the push loop; the request bodies and their fingerprints are built in
`operations.py`, and what a push did is a `results.PushResult`.

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
operation failing does not stop the others; an expired or revoked token does (it raises
a `ReconnectNeededError` for the caller's reconnect handling).

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
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.errors import (
    AvitoError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    InvalidFieldsError,
    NotFoundError,
    ReconnectNeededError,
)
from avito_sync.sync import QUERIES, price_diff
from avito_sync.sync.models import IntegrationContext
from avito_sync.sync.operations import CalendarWriter, price_items, whole_body_requests
from avito_sync.sync.plan import PlanWarning, SyncPlan
from avito_sync.sync.results import OPERATIONS, OperationOutcome, PushResult, SkipReason

DEFAULT_FULL_PUSH_EVERY = dt.timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class _State:
    """What Avito last accepted (`avito_private.get_push_state`)."""

    fingerprints: dict[str, str]
    last_full_push_at: dt.datetime | None
    pushable: bool
    prices: object = None
    """Per-night prices Avito accepted last (`price_diff.encode`), as stored."""


async def _push_state(pool: AsyncConnectionPool[Any], integration_id: UUID) -> _State:
    async with pool.connection() as conn, conn.cursor(row_factory=class_row(_State)) as cur:
        await cur.execute(QUERIES["push_state"], {"integration_id": integration_id})
        state = await cur.fetchone()
    return state or _State({}, None, pushable=False)


# Answers that judge the body itself (400, 403, 404, 422): re-sending it every poll cannot help.
_REFUSALS = (BadRequestError, ForbiddenError, NotFoundError, InvalidFieldsError)


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
        await client.post_prices(auth, user, item, price_items(updates))
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
    requests = whole_body_requests(client, auth, ctx, plan)
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
                    QUERIES["record_push_conflict"],
                    {
                        "integration_id": ctx.integration_id,
                        "fingerprint": request.fingerprint,
                        "conflicts": _conflicts_json(err),
                    },
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
            QUERIES["record_push"],
            {
                "integration_id": integration_id,
                "fingerprints": json.dumps(fingerprints),
                "full_at": full_at,
                "prices": None if prices is None else json.dumps(prices),
            },
        )

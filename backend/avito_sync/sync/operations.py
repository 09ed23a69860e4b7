"""The push's requests: each operation's body from the plan, its fingerprint and its call.

A fingerprint covers the account, the listing and the exact body Avito would receive, so an
unchanged fingerprint means Avito already holds this body (`push.py` decides what to send).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from avito_sync.avito import bodies
from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.models import BaseParams, CalendarBooking, Interval, PriceItem, RealtyBooking
from avito_sync.sync.fingerprint import fingerprint
from avito_sync.sync.models import IntegrationContext
from avito_sync.sync.plan import PriceRange, SyncPlan
from avito_sync.sync.results import Operation

SOURCE_LABEL = "pms"


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


@dataclass(frozen=True, slots=True)
class Request:
    """One whole-body operation, ready to send."""

    operation: Operation
    fingerprint: str
    empty: bool
    """Nothing to send (no closures): recorded as pushed without a call."""
    send: Callable[[], Awaitable[None]]


def whole_body_requests(
    client: CalendarWriter, auth: TokenProvider, ctx: IntegrationContext, plan: SyncPlan
) -> dict[Operation, Request]:
    """The whole-body operations (prices are decided night by night, see `push._push_prices`)."""
    user, item = ctx.avito_user_id, ctx.avito_item_id
    intervals = _interval_items(plan)
    closures = _closure_items(plan)
    base = _base_params(plan)

    def fp(body: Any) -> str:
        return fingerprint({"user_id": user, "item_id": item, "body": body})

    requests = [
        Request(
            "intervals",
            fp(bodies.intervals_body(item, intervals, SOURCE_LABEL)),
            False,  # an empty list is meaningful: every day of the year is closed
            lambda: client.post_intervals(auth, item, intervals, source=SOURCE_LABEL),
        ),
        Request(
            "closures",
            fp(bodies.core_bookings_body(closures, SOURCE_LABEL)),
            not closures,
            lambda: client.post_core_bookings(auth, user, item, closures, source=SOURCE_LABEL),
        ),
        Request(
            "base_params",
            fp(bodies.base_params_body(base)),
            False,
            lambda: client.post_base_params(auth, item, base),
        ),
    ]
    return {r.operation: r for r in requests}


def price_items(ranges: Sequence[PriceRange]) -> list[PriceItem]:
    return [
        PriceItem(
            date_from=p.date_from,
            date_to=p.date_to,
            night_price=p.night_price,
            minimal_duration=p.minimal_duration,
        )
        for p in ranges
    ]


def _interval_items(plan: SyncPlan) -> list[Interval]:
    return [Interval(date_start=r.start, date_end=r.end, open=1) for r in plan.open_intervals]


def _closure_items(plan: SyncPlan) -> list[CalendarBooking]:
    return [
        CalendarBooking(date_start=r.start, date_end=r.end, type="booking") for r in plan.closures
    ]


def _base_params(plan: SyncPlan) -> BaseParams:
    params = plan.base_params
    if params.night_price is None:
        return BaseParams.model_validate({"minimal_duration": params.minimal_duration})
    return BaseParams.model_validate(
        {"night_price": params.night_price, "minimal_duration": params.minimal_duration}
    )

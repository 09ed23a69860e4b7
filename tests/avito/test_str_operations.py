"""The five short-term-rent operations against the sandbox, and their error mapping."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from avito_sync.avito.auth import StaticToken
from avito_sync.avito.client import AvitoClient
from avito_sync.avito.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    InvalidFieldsError,
    NotFoundError,
    TokenExpiredError,
)
from avito_sync.avito.models import (
    BaseParams,
    BookingStatus,
    CalendarBooking,
    Discount,
    InstantBooking,
    Interval,
    PriceItem,
    Refund,
)
from avito_sync.avito.stats import track_calls
from tests.avito.tokens import ConnectionTokens
from tests.fixtures.sandbox import Sandbox


@pytest.fixture
def today(sandbox: Sandbox) -> date:
    return sandbox.control.today()


def _d(today: date, days: int) -> date:
    return today + timedelta(days=days)


async def test_get_bookings_with_and_without_unpaid(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    paid = sandbox.control.create_booking(sandbox.item_id, _d(today, 3), _d(today, 6))
    pending = sandbox.control.create_booking(
        sandbox.item_id, _d(today, 10), _d(today, 12), status="pending", guest_phone=None
    )
    sandbox.control.create_booking(sandbox.item_ids[1], _d(today, 3), _d(today, 6))

    every = await client.get_bookings(
        tokens, sandbox.account_id, sandbox.item_id, today, _d(today, 60)
    )
    assert {b.avito_booking_id: b.normalized_status for b in every} == {
        paid.id: BookingStatus.ACTIVE,
        pending.id: BookingStatus.PENDING,
    }
    first = next(b for b in every if b.avito_booking_id == paid.id)
    assert (first.check_in, first.check_out, first.nights) == (_d(today, 3), _d(today, 6), 3)
    assert first.contact is not None
    assert first.contact.email == paid.guest_email
    assert first.contact.phone == paid.guest_phone

    paid_only = await client.get_bookings(
        tokens, sandbox.account_id, sandbox.item_id, today, _d(today, 60), with_unpaid=False
    )
    assert [b.avito_booking_id for b in paid_only] == [paid.id]


async def test_get_bookings_past_window_is_validation_error(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    with pytest.raises(InvalidFieldsError) as info:
        await client.get_bookings(
            tokens, sandbox.account_id, sandbox.item_id, _d(today, -2), _d(today, 5)
        )
    assert info.value.status == 422
    assert set(info.value.fields) == {"date_start"}


async def test_core_bookings_close_dates(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    await client.post_core_bookings(
        tokens,
        sandbox.account_id,
        sandbox.item_id,
        [
            CalendarBooking(date_start=_d(today, 5), date_end=_d(today, 7), type="booking"),
            CalendarBooking(date_start=_d(today, 7), date_end=_d(today, 8), comment="owner"),
        ],
    )
    days = {d.date: d for d in sandbox.control.calendar(sandbox.item_id, today, _d(today, 10))}
    assert [day for day, d in sorted(days.items()) if d.closed_by == "closure"] == [
        _d(today, 5),
        _d(today, 6),
        _d(today, 7),
    ]
    assert days[_d(today, 5)].source == "pms"


async def test_core_bookings_409_lists_conflicts_and_closes_the_rest(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    paid = sandbox.control.create_booking(sandbox.item_id, _d(today, 10), _d(today, 13))
    with pytest.raises(ConflictError) as info:
        await client.post_core_bookings(
            tokens,
            sandbox.account_id,
            sandbox.item_id,
            [
                CalendarBooking(date_start=_d(today, 2), date_end=_d(today, 4)),
                CalendarBooking(date_start=_d(today, 11), date_end=_d(today, 15)),
            ],
        )
    assert info.value.status == 409
    [conflict] = info.value.conflicts
    assert (conflict.interval.date_start, conflict.interval.date_end) == (
        _d(today, 11),
        _d(today, 15),
    )
    assert [b.avito_booking_id for b in conflict.bookings] == [paid.id]
    days = {d.date: d for d in sandbox.control.calendar(sandbox.item_id, today, _d(today, 5))}
    assert days[_d(today, 2)].closed_by == "closure"


async def test_core_bookings_409_of_the_older_spec_means_nothing_applied(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    sandbox.control.update_settings(conflict_mode="legacy")
    sandbox.control.create_booking(sandbox.item_id, _d(today, 10), _d(today, 13))
    with track_calls() as calls, pytest.raises(ConflictError) as info:
        await client.post_core_bookings(
            tokens,
            sandbox.account_id,
            sandbox.item_id,
            [
                CalendarBooking(date_start=_d(today, 2), date_end=_d(today, 4)),
                CalendarBooking(date_start=_d(today, 11), date_end=_d(today, 15)),
            ],
        )
    assert info.value.conflicts == ()
    assert calls.requests == 1
    days = {d.date: d for d in sandbox.control.calendar(sandbox.item_id, today, _d(today, 5))}
    assert days[_d(today, 2)].closed_by != "closure"


async def test_prices_apply_inclusive_ranges(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    await client.post_prices(
        tokens,
        sandbox.account_id,
        sandbox.item_id,
        [
            PriceItem(
                date_from=_d(today, 1), date_to=_d(today, 3), night_price=3500, minimal_duration=2
            ),
            PriceItem(date_from=_d(today, 4), date_to=_d(today, 4), night_price=5000),
        ],
    )
    prices = {p.date: p for p in sandbox.control.prices(sandbox.item_id, today, _d(today, 5))}
    assert [prices[_d(today, n)].night_price for n in (1, 2, 3, 4)] == [3500, 3500, 3500, 5000]
    assert prices[_d(today, 3)].minimal_duration == 2
    assert _d(today, 5) not in prices or prices[_d(today, 5)].night_price is None


async def test_prices_in_the_past_are_validation_error_with_fields(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    with track_calls() as calls, pytest.raises(InvalidFieldsError) as info:
        await client.post_prices(
            tokens,
            sandbox.account_id,
            sandbox.item_id,
            [PriceItem(date_from=_d(today, -1), date_to=_d(today, 2), night_price=100)],
        )
    assert info.value.fields.keys() == {"prices[0].date_from"}
    assert calls.requests == 1  # a 422 is never retried


async def test_validation_answered_as_plain_400_is_bad_request_with_the_message(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    sandbox.control.update_settings(validation_status=400)
    with track_calls() as calls, pytest.raises(BadRequestError) as info:
        await client.post_prices(
            tokens,
            sandbox.account_id,
            sandbox.item_id,
            [PriceItem(date_from=_d(today, -1), date_to=_d(today, 2), night_price=100)],
        )
    assert (info.value.status, info.value.avito_code) == (400, 400)
    assert "prices[0].date_from" in info.value.message
    assert calls.requests == 1


async def test_intervals_replace_availability(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    await client.post_intervals(
        tokens,
        sandbox.item_id,
        [
            Interval(date_start=today, date_end=_d(today, 3), open=1),
            Interval(date_start=_d(today, 5), date_end=_d(today, 6), open=2),
        ],
    )
    days = sandbox.control.calendar(sandbox.item_id, today, _d(today, 7))
    assert [d.date for d in days if d.open] == [today, _d(today, 1), _d(today, 2), _d(today, 5)]
    assert next(d for d in days if d.date == _d(today, 5)).quota == 2

    await client.post_intervals(tokens, sandbox.item_id, [])
    assert not any(d.open for d in sandbox.control.calendar(sandbox.item_id, today, _d(today, 7)))


async def test_overlapping_intervals_are_validation_error(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    with pytest.raises(InvalidFieldsError) as info:
        await client.post_intervals(
            tokens,
            sandbox.item_id,
            [
                Interval(date_start=today, date_end=_d(today, 5), open=1),
                Interval(date_start=_d(today, 3), date_end=_d(today, 8), open=1),
            ],
        )
    assert info.value.fields.keys() == {"intervals[1]"}


async def test_base_params(client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox) -> None:
    params = BaseParams(
        night_price=3000,
        minimal_duration=2,
        instant=InstantBooking(active=True, max_days=None),
        refund=Refund(days=7),
        discount=[Discount(percent=10, threshold=7)],
    )
    await client.post_base_params(tokens, sandbox.item_id, params)
    stored = sandbox.control.base_params(sandbox.item_id)
    assert stored is not None
    assert stored["night_price"] == 3000
    assert stored["minimal_duration"] == 2
    assert stored["refund"] == {"days": 7}
    assert stored["discount"] == [{"percent": 10, "threshold": 7}]


async def test_unknown_item_is_not_found_on_every_operation(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    unknown = 987_654_321_012
    calls = [
        client.get_bookings(tokens, sandbox.account_id, unknown, today, _d(today, 1)),
        client.post_core_bookings(
            tokens,
            sandbox.account_id,
            unknown,
            [CalendarBooking(date_start=today, date_end=_d(today, 1))],
        ),
        client.post_prices(
            tokens,
            sandbox.account_id,
            unknown,
            [PriceItem(date_from=today, date_to=today, night_price=100)],
        ),
        client.post_intervals(tokens, unknown, []),
        client.post_base_params(tokens, unknown, BaseParams(night_price=100)),
    ]
    for call in calls:
        with pytest.raises(NotFoundError) as info:
            await call
        assert info.value.status == 404
    assert tokens.refreshes == 0


async def test_someone_elses_listing_is_forbidden_after_one_forced_refresh(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    other = sandbox.control.add_account("Other host")
    foreign = sandbox.control.add_listing(other.id)
    before = sandbox.control.calendar(foreign.id, today, _d(today, 10))
    with track_calls() as calls, pytest.raises(ForbiddenError) as info:
        await client.post_intervals(
            tokens, foreign.id, [Interval(date_start=today, date_end=_d(today, 1), open=1)]
        )
    assert info.value.status == 403
    assert tokens.refreshes == 1
    assert calls.by_operation == {"post_intervals": 2, "token.refresh_token": 1}
    assert sandbox.control.calendar(foreign.id, today, _d(today, 10)) == before


async def test_expired_token_is_refreshed_and_the_call_succeeds(
    client: AvitoClient, tokens: ConnectionTokens, sandbox: Sandbox, today: date
) -> None:
    expired = tokens.current_access_token
    sandbox.control.expire_tokens(access_token=expired)
    with track_calls() as calls:
        bookings = await client.get_bookings(
            tokens, sandbox.account_id, sandbox.item_id, today, _d(today, 30)
        )
    assert bookings == []
    assert tokens.refreshes == 1
    assert tokens.current_access_token != expired
    assert calls.by_operation == {"get_bookings": 2, "token.refresh_token": 1}
    statuses = [
        r.status for r in sandbox.control.requests() if r.operation_id == "getRealtyBookings"
    ]
    assert statuses == [403, 200]


async def test_a_static_token_cannot_be_refreshed(
    client: AvitoClient, app_token: StaticToken, sandbox: Sandbox
) -> None:
    sandbox.control.expire_tokens(all_tokens=True)
    with track_calls() as calls, pytest.raises(TokenExpiredError) as expired:
        await client.get_self(app_token)
    assert expired.value.status == 403
    assert calls.requests == 1
    with pytest.raises(TokenExpiredError) as unknown:
        await client.get_self(StaticToken("no-such-token-at-all", "x"))
    assert unknown.value.status == 401

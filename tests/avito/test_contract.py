"""Every request the client builds validates against Avito's specs (`local.avito_spec`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.avito import bodies
from avito_sync.avito.models import (
    BaseParams,
    CalendarBooking,
    CleaningFee,
    Discount,
    Fees,
    InstantBooking,
    Interval,
    PetsFee,
    PriceItem,
    Refund,
)
from avito_sync.local.avito_spec import validate_path, validate_query, validate_request_body

INT64 = 2**63 - 1
ids = st.integers(1, INT64)
days = st.dates(date(2026, 1, 1), date(2030, 12, 31))
lengths = st.integers(1, 400)
money = st.integers(1, 10**9)


@st.composite
def calendar_bookings(draw: st.DrawFn) -> CalendarBooking:
    start = draw(days)
    return CalendarBooking(
        date_start=start,
        date_end=start + timedelta(days=draw(lengths)),
        type=draw(st.sampled_from([None, "manual", "booking"])),
        comment=draw(st.none() | st.text(max_size=50)),
    )


@st.composite
def price_items(draw: st.DrawFn) -> PriceItem:
    start = draw(days)
    return PriceItem(
        date_from=start,
        date_to=start + timedelta(days=draw(st.integers(0, 400))),
        night_price=draw(st.none() | money),
        minimal_duration=draw(st.none() | st.integers(1, 30)),
        extra_guest_fee=draw(st.none() | st.integers(0, 10**6)),
    )


@st.composite
def intervals(draw: st.DrawFn) -> Interval:
    start = draw(days)
    return Interval(
        date_start=start,
        date_end=start + timedelta(days=draw(lengths)),
        open=draw(st.integers(1, 100)),
    )


@st.composite
def base_params(draw: st.DrawFn) -> BaseParams:
    fields: dict[str, Any] = {}
    options: dict[str, st.SearchStrategy[Any]] = {
        "night_price": st.none() | money,
        "minimal_duration": st.none() | st.sampled_from([1, 2, 3, 4, 5, 6, 7]),
        "extra_guest_fee": st.none() | st.integers(0, 10**6),
        "extra_guest_threshold": st.none() | st.integers(1, 8),
        "instant": st.none()
        | st.builds(
            InstantBooking,
            active=st.none() | st.booleans(),
            max_days=st.none() | st.sampled_from([30, 60, 90, 120, 150]),
            min_days=st.none() | st.integers(1, 5),
        ),
        "refund": st.none() | st.builds(Refund, days=st.sampled_from([0, 1, 3, 5, 7, 14])),
        "discount": st.lists(
            st.builds(Discount, percent=st.integers(1, 100), threshold=st.sampled_from([3, 7, 30])),
            max_size=3,
        ),
        "fees": st.none()
        | st.builds(
            Fees,
            cleaning=st.none() | st.builds(CleaningFee, amount=st.integers(0, 10**5)),
            pets=st.none()
            | st.builds(
                PetsFee,
                allowed=st.none() | st.booleans(),
                amount=st.none() | st.integers(0, 10**5),
                application=st.none() | st.sampled_from(["by_booking", "by_night"]),
            ),
        ),
    }
    for name, strategy in options.items():
        if draw(st.booleans()):
            fields[name] = draw(strategy)
    return BaseParams(**fields)


@given(st.lists(calendar_bookings(), max_size=5), st.none() | st.text(max_size=20))
def test_core_bookings_body(bookings: list[CalendarBooking], source: str | None) -> None:
    assert (
        validate_request_body("putBookingsInfo", bodies.core_bookings_body(bookings, source)) == []
    )


@given(st.lists(price_items(), max_size=5))
def test_prices_body(prices: list[PriceItem]) -> None:
    assert validate_request_body("postRealtyPrices", bodies.prices_body(prices)) == []


@given(ids, st.lists(intervals(), max_size=5), st.none() | st.just("pms"))
def test_intervals_body(item_id: int, items: list[Interval], source: str | None) -> None:
    body = bodies.intervals_body(item_id, items, source)
    assert validate_request_body("putIntervals", body) == []
    assert isinstance(body["item_id"], int)


@given(base_params())
def test_base_params_body(params: BaseParams) -> None:
    assert validate_request_body("postBaseParams", bodies.base_params_body(params)) == []


def test_token_forms() -> None:
    assert validate_request_body("getAccessToken", bodies.client_credentials_form("c", "s")) == []
    code_form = bodies.authorization_code_form("c", "s", "code", "https://app/cb")
    assert validate_request_body("getAccessTokenAuthorizationCode", code_form) == []
    refresh = bodies.refresh_form("c", "s", "r")
    assert validate_request_body("refreshAccessTokenAuthorizationCode", refresh) == []


@given(days, st.integers(0, 400), st.booleans())
def test_bookings_query_never_sends_skip_error(start: date, length: int, unpaid: bool) -> None:
    query = bodies.bookings_query(start, start + timedelta(days=length), with_unpaid=unpaid)
    assert validate_query("getRealtyBookings", query) == []
    assert "skip_error" not in query


@given(
    st.integers(1, 1000),
    st.integers(1, 99),
    st.lists(st.sampled_from(["active", "removed", "old", "blocked", "rejected"]), min_size=1),
)
def test_items_query(page: int, per_page: int, status: list[Any]) -> None:
    assert validate_query("getItemsInfo", bodies.items_query(page, per_page, status)) == []


@given(ids, ids)
def test_int64_path_ids(user_id: int, item_id: int) -> None:
    path = {"user_id": str(bodies.check_id("user_id", user_id)), "item_id": str(item_id)}
    assert validate_path("getRealtyBookings", path) == []


@pytest.mark.parametrize("bad", [0, -1, 2**63, True, "123"])
def test_bad_ids_are_rejected_before_sending(bad: Any) -> None:
    with pytest.raises(ValueError, match="item_id"):
        bodies.intervals_body(bad, [], "pms")


def test_contract_check_catches_drift() -> None:
    # The validator used above does fail on a body the spec forbids.
    assert validate_request_body("putIntervals", {"item_id": "123", "intervals": []}) != []


def test_a_bare_status_string_is_one_status() -> None:
    query = bodies.items_query(1, 25, "old")  # type: ignore[arg-type]
    assert query["status"] == "old"

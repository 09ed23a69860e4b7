"""Models parse the specs' examples and enforce the documented ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from avito_sync.avito.models import (
    BaseParams,
    BookingsResponse,
    BookingStatus,
    CalendarBooking,
    Conflict,
    Interval,
    ItemInfo,
    ItemsPage,
    PriceItem,
    RealtyBooking,
    TokenResponse,
    UserInfoSelf,
)
from tests.avito.spec_examples import component_example, request_example, response_example


@pytest.mark.parametrize(
    "operation_id",
    ["getAccessToken", "getAccessTokenAuthorizationCode", "refreshAccessTokenAuthorizationCode"],
)
def test_token_examples(operation_id: str) -> None:
    example = response_example("auth", operation_id)
    token = TokenResponse.model_validate(example)
    assert token.access_token.get_secret_value() == example["access_token"]
    assert token.expires_in == 86400
    assert example["access_token"] not in repr(token)
    if "refresh_token" in example:
        assert token.refresh_token is not None
        assert token.scopes == tuple(example["scope"].split(","))


def test_token_defaults_and_expiry() -> None:
    token = TokenResponse.model_validate({"access_token": "abc", "expires_in": None})
    assert (token.expires_in, token.refresh_token, token.token_type) == (86400, None, "Bearer")
    assert TokenResponse.model_validate({"access_token": "abc"}).expires_in == 86400
    assert (
        TokenResponse.model_validate({"access_token": "abc", "expires_in": 3600.0}).expires_in
        == 3600
    )
    received = datetime(2026, 1, 1, tzinfo=UTC)
    assert token.expires_at(received) == received + timedelta(days=1)
    for bad in ({"expires_in": 0}, {}, {"access_token": ""}):
        with pytest.raises(ValidationError):
            TokenResponse.model_validate({"access_token": "abc", **bad} if bad != {} else bad)


def test_user_info_example_and_large_ids() -> None:
    user = UserInfoSelf.model_validate(response_example("user", "getUserInfoSelf"))
    assert user.id == 94235311
    assert user.phone == "71112223344"  # the spec's example is a number for a string field
    assert "71112223344" not in repr(user)
    assert "example@domain.com" not in repr(user)
    assert UserInfoSelf.model_validate({"id": 123456789012}).id == 123456789012


def test_items_page_example() -> None:
    page = ItemsPage.model_validate(response_example("item", "getItemsInfo"))
    assert page.resources[0].id == 24122231
    assert page.resources[0].category is not None
    assert page.resources[0].category.id == 111
    assert ItemsPage.model_validate({"meta": {"page": 2, "per_page": 25}}).resources == []


def test_item_info_statuses() -> None:
    info = ItemInfo.model_validate(component_example("item", "ItemInfoAvito"))
    assert info.status == "active"
    for status in ("not_found", "another_user"):
        assert ItemInfo.model_validate({"status": status}).status == status


def test_realty_booking_example() -> None:
    booking = RealtyBooking.model_validate(component_example("str", "RealtyBooking"))
    assert booking.avito_booking_id == 11111
    assert (booking.check_in, booking.check_out) == (date(2026, 8, 1), date(2026, 8, 4))
    assert booking.normalized_status is BookingStatus.ACTIVE
    assert booking.contact is not None
    assert booking.contact.phone == "9997770000"
    assert booking.safe_deposit is not None
    assert booking.safe_deposit.owner_amount == 4500
    for leaked in ("9997770000", "guest_email@domain.com"):
        assert leaked not in repr(booking)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("active", BookingStatus.ACTIVE),
        ("pending", BookingStatus.PENDING),
        ("canceled", BookingStatus.CANCELED),
        ("cancelled", BookingStatus.CANCELED),
        ("overbook", BookingStatus.OVERBOOK),
        ("Active", BookingStatus.ACTIVE),
        ("something_new", None),
    ],
)
def test_booking_status_is_tolerant(raw: str, normalized: BookingStatus | None) -> None:
    booking = RealtyBooking.model_validate(
        {"avito_booking_id": 1, "check_in": "2026-08-01", "check_out": "2026-08-02", "status": raw}
    )
    assert booking.status == raw
    assert booking.normalized_status is normalized


def test_bookings_response_requires_the_list() -> None:
    with pytest.raises(ValidationError):
        BookingsResponse.model_validate({})
    assert BookingsResponse.model_validate({"bookings": []}).bookings == []


def test_conflict_example() -> None:
    conflict = Conflict.model_validate(component_example("str", "ConflictedInterval"))
    assert conflict.interval.date_start == date(2026, 3, 23)
    assert conflict.bookings[0].avito_booking_id == 11111


def test_request_examples_round_trip() -> None:
    bookings = request_example("str", "putBookingsInfo")
    parsed = [CalendarBooking.model_validate(b) for b in bookings["bookings"]]
    assert [b.to_body() for b in parsed] == bookings["bookings"]
    prices = request_example("str", "postRealtyPrices")
    assert [PriceItem.model_validate(p).to_body() for p in prices["prices"]] == prices["prices"]
    intervals = request_example("str", "putIntervals")
    parsed_intervals = [Interval.model_validate(i) for i in intervals["intervals"]]
    assert [i.to_body() for i in parsed_intervals] == intervals["intervals"]
    base = request_example("str", "postBaseParams")
    assert BaseParams.model_validate(base).to_body() == base


def test_base_params_sends_only_what_was_set() -> None:
    assert BaseParams().to_body() == {}
    assert BaseParams(night_price=None, minimal_duration=3).to_body() == {
        "night_price": None,
        "minimal_duration": 3,
    }


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (CalendarBooking, {"date_start": "2026-06-10", "date_end": "2026-06-10"}),
        (CalendarBooking, {"date_start": "2026-06-10", "date_end": "2026-06-11", "type": "x"}),
        (Interval, {"date_start": "2026-06-10", "date_end": "2026-06-11", "open": 0}),
        (Interval, {"date_start": "2026-06-11", "date_end": "2026-06-10", "open": 1}),
        (PriceItem, {"date_from": "2026-06-10", "date_to": "2026-06-09"}),
        (PriceItem, {"date_from": "2026-06-10", "date_to": "2026-06-10", "night_price": 0}),
        (PriceItem, {"date_from": "2026-06-10", "date_to": "2026-06-10", "minimal_duration": 31}),
        (BaseParams, {"minimal_duration": 8}),
        (BaseParams, {"extra_guest_threshold": 9}),
        (BaseParams, {"refund": {"days": 2}}),
        (BaseParams, {"instant": {"active": True, "max_days": 45}}),
        (BaseParams, {"discount": [{"percent": 10, "threshold": 5}]}),
        (BaseParams, {"fees": {"pets": {"application": "by_week"}}}),
        (BaseParams, {"unknown": 1}),
    ],
)
def test_request_models_reject_values_outside_the_spec(
    model: type, data: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(data)

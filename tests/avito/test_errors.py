"""The one error parser against every body shape Avito sends, and the status → class mapping."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.avito.error_bodies import parse_error_body, sanitize_text
from avito_sync.avito.errors import (
    AvitoError,
    BadRequestError,
    ConflictError,
    ErrorContext,
    ForbiddenError,
    InvalidClientError,
    InvalidFieldsError,
    InvalidGrantError,
    NotFoundError,
    OAuthError,
    RateLimitedError,
    RateLimitHeaders,
    ServerError,
    TokenExpiredError,
    error_for_response,
)


def _b(value: object) -> bytes:
    return json.dumps(value).encode()


def test_nested_str_error() -> None:
    body = parse_error_body(_b({"error": {"code": 404, "message": "item not found"}}))
    assert (body.shape, body.code, body.message) == ("nested", 404, "item not found")
    assert body.fields is None
    assert body.conflicts is None


def test_nested_validation_error_with_fields() -> None:
    raw = {"error": {"code": 422, "message": "bad", "fields": {"night_price": "must be > 0"}}}
    body = parse_error_body(_b(raw))
    assert body.fields == {"night_price": "must be > 0"}
    error = error_for_response(ErrorContext("post_prices", 422), body)
    assert isinstance(error, InvalidFieldsError)
    assert error.fields == {"night_price": "must be > 0"}
    assert "night_price" in str(error)


def test_nested_fields_null_means_no_fields() -> None:
    body = parse_error_body(_b({"error": {"code": 422, "message": "bad", "fields": None}}))
    error = error_for_response(ErrorContext("post_prices", 422), body)
    assert isinstance(error, InvalidFieldsError)
    assert error.fields == {}


def test_current_spec_409_conflicts_are_parsed() -> None:
    raw = {
        "error": {
            "code": 409,
            "message": "overlap",
            "conflicts": [
                {
                    "interval": {"date_start": "2026-03-23", "date_end": "2026-04-01"},
                    "bookings": [
                        {
                            "avito_booking_id": 11111,
                            "check_in": "2026-03-20",
                            "check_out": "2026-03-27",
                        },
                        {
                            "avito_booking_id": None,
                            "check_in": "2026-03-28",
                            "check_out": "2026-03-30",
                        },
                    ],
                }
            ],
        }
    }
    error = error_for_response(ErrorContext("post_core_bookings", 409), parse_error_body(_b(raw)))
    assert isinstance(error, ConflictError)
    assert len(error.conflicts) == 1
    conflict = error.conflicts[0]
    assert str(conflict.interval.date_start) == "2026-03-23"
    assert [b.avito_booking_id for b in conflict.bookings] == [11111, None]


def test_older_spec_409_without_conflicts_means_nothing_applied() -> None:
    raw = {"error": {"code": 409, "message": "dates overlap"}}
    error = error_for_response(ErrorContext("post_core_bookings", 409), parse_error_body(_b(raw)))
    assert isinstance(error, ConflictError)
    assert error.conflicts == ()
    assert "nothing applied" in str(error)


def test_flat_items_error() -> None:
    body = parse_error_body(_b({"code": "not_found", "message": "no such item"}))
    assert (body.shape, body.code, body.message) == ("flat", "not_found", "no such item")
    assert isinstance(error_for_response(ErrorContext("get_item_info", 404), body), NotFoundError)


def test_oauth_error_body() -> None:
    raw = {"error": "invalid_grant", "error_description": "code already used"}
    body = parse_error_body(_b(raw))
    assert (body.shape, body.oauth_error) == ("oauth", "invalid_grant")
    error = error_for_response(ErrorContext("token.authorization_code", 400, oauth=True), body)
    assert isinstance(error, InvalidGrantError)
    assert (error.error, error.error_description) == ("invalid_grant", "code already used")


def test_oauth_invalid_client_and_other_errors() -> None:
    ctx = ErrorContext("token.client_credentials", 401, oauth=True)
    assert isinstance(
        error_for_response(ctx, parse_error_body(_b({"error": "invalid_client"}))),
        InvalidClientError,
    )
    other = error_for_response(ctx, parse_error_body(_b({"error": "unsupported_grant_type"})))
    assert type(other) is OAuthError
    assert other.error == "unsupported_grant_type"


def test_http_410_on_token_endpoint_is_invalid_grant() -> None:
    ctx = ErrorContext("token.authorization_code", 410, oauth=True)
    error = error_for_response(ctx, parse_error_body(b"Gone"))
    assert isinstance(error, InvalidGrantError)


def test_token_endpoint_5xx_is_server_error() -> None:
    ctx = ErrorContext("token.refresh_token", 503, oauth=True)
    assert isinstance(error_for_response(ctx, parse_error_body(b"")), ServerError)


@pytest.mark.parametrize(
    ("content", "shape"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", "non_json"),
        (b"\xff\xfe\x00garbage", "non_json"),
        (b"", "empty"),
        (b"   ", "empty"),
        (b"{}", "empty"),
        (b"[1, 2]", "unrecognised"),
        (b'"just a string"', "unrecognised"),
        (b'{"detail": "x"}', "unrecognised"),
        (b'{"error": {"code": 500', "non_json"),
    ],
)
def test_bodies_that_are_not_avito_errors_still_parse(content: bytes, shape: str) -> None:
    body = parse_error_body(content)
    assert body.shape == shape
    error = error_for_response(ErrorContext("get_self", 502), body)
    assert isinstance(error, ServerError)
    assert error.status == 502


def test_429_carries_rate_limit_headers() -> None:
    ctx = ErrorContext(
        "list_items", 429, rate_limit=RateLimitHeaders(retry_after=7.0, limit=25, remaining=0)
    )
    error = error_for_response(ctx, parse_error_body(b"{}"))
    assert isinstance(error, RateLimitedError)
    assert (error.retry_after, error.limit, error.remaining) == (7.0, 25, 0)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, TokenExpiredError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_mapping(status: int, cls: type[AvitoError]) -> None:
    body = parse_error_body(_b({"error": {"code": status, "message": "m"}}))
    error = error_for_response(ErrorContext("get_bookings", status), body)
    assert type(error) is cls
    assert (error.status, error.avito_code, error.operation) == (status, status, "get_bookings")


def test_unknown_status_is_base_error() -> None:
    error = error_for_response(ErrorContext("get_self", 418), parse_error_body(b""))
    assert type(error) is AvitoError


def test_secrets_and_pii_never_reach_the_message() -> None:
    secret_token = "tok_live_abcdefghijk"
    message = (
        f"token {secret_token} invalid for guest ivan@example.com, phone +7 999 777-00-00, "
        "Authorization: Bearer abc.def.ghi?code=SECRETCODE"
    )
    raw = {"error": {"code": 403, "message": message, "fields": {"contact": "ivan@example.com"}}}
    body = parse_error_body(_b(raw), secrets=[secret_token])
    error = error_for_response(ErrorContext("get_bookings", 422), body)
    text = str(error) + repr(error.fields)
    for leaked in (secret_token, "ivan@example.com", "999 777-00-00", "abc.def.ghi", "SECRETCODE"):
        assert leaked not in text


def test_long_messages_are_bounded() -> None:
    assert len(sanitize_text("x" * 10_000)) <= 300


def test_pathological_bodies_are_scrubbed_in_linear_time() -> None:
    # One long word, many @, many dots: each used to make a naive e-mail pattern backtrack.
    for text in ("x" * 200_000, "a@" * 100_000, "a." * 100_000 + "@b", "+7" * 50_000):
        assert len(sanitize_text(text)) <= 300


def test_a_cut_at_the_scan_limit_never_leaves_half_an_email() -> None:
    text = "word " * 799 + "ivan.petrov@example.com " * 10
    assert "ivan" not in sanitize_text(text)
    assert "ivan" not in sanitize_text("w " + "x" * 3995 + "ivan.petrov@example.com")


def test_400_naming_fields_is_a_validation_error() -> None:
    raw = {"error": {"code": 400, "message": "bad", "fields": {"date_from": "past"}}}
    error = error_for_response(ErrorContext("post_prices", 400), parse_error_body(_b(raw)))
    assert isinstance(error, InvalidFieldsError)
    assert (error.status, error.fields) == (400, {"date_from": "past"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
error_like = st.fixed_dictionaries(
    {},
    optional={
        "error": json_values
        | st.fixed_dictionaries(
            {},
            optional={
                "code": json_values,
                "message": json_values,
                "fields": json_values,
                "conflicts": json_values,
            },
        ),
        "code": json_values,
        "message": json_values,
        "error_description": json_values,
    },
)


@given(st.one_of(json_values, error_like), st.integers(400, 599), st.booleans())
def test_any_json_body_maps_to_a_typed_error(body: object, status: int, oauth: bool) -> None:
    parsed = parse_error_body(json.dumps(body).encode())
    error = error_for_response(ErrorContext("op", status, oauth=oauth), parsed)
    assert isinstance(error, AvitoError)
    assert error.status == status
    assert len(error.message) <= 400


@given(st.binary(max_size=300))
def test_any_bytes_parse(content: bytes) -> None:
    assert parse_error_body(content).shape in {
        "nested",
        "flat",
        "oauth",
        "empty",
        "non_json",
        "unrecognised",
    }


@given(
    secret=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=8, max_size=40),
    before=st.text(max_size=200),
    after=st.text(max_size=200),
)
def test_known_secrets_are_removed_wherever_they_appear(
    secret: str, before: str, after: str
) -> None:
    assert secret not in sanitize_text(before + secret + after, [secret])

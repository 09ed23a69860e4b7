"""The spec loader: quirks of the published files, OpenAPI-to-JSON-Schema translation, and the
validators both the sandbox and the client's contract tests use."""

from __future__ import annotations

import pytest

from avito_sync.local import avito_spec as specs


def test_the_three_token_paths_are_plain_token() -> None:
    for operation_id in (
        "getAccessToken",
        "getAccessTokenAuthorizationCode",
        "refreshAccessTokenAuthorizationCode",
    ):
        op = specs.operation(operation_id)
        assert (op.method, op.path) == ("POST", "/token")
        assert op.request_media_type == "application/x-www-form-urlencoded"
    assert specs.normalise_path("/token\u200e\u200e") == "/token"


def test_item_spec_quirks_are_tolerated() -> None:
    ops = specs.operations()
    assert "vasPrices" in ops  # the operation with the undeclared {userId}
    assert all(op.method in {"GET", "POST", "PUT"} for op in ops.values())


def test_refs_are_resolved_and_nullable_becomes_null_type() -> None:
    body = specs.operation("postBaseParams").request_schema
    assert body is not None
    assert "$ref" not in repr(body)
    assert body["properties"]["minimal_duration"]["type"] == ["integer", "null"]
    assert None in body["properties"]["minimal_duration"]["enum"]
    assert specs.validate_request_body("postBaseParams", {"minimal_duration": None}) == []
    assert specs.validate_request_body("postBaseParams", {"minimal_duration": 8}) != []


def test_request_bodies_report_locations() -> None:
    problems = specs.validate_request_body(
        "postRealtyPrices",
        {"prices": [{"date_from": "2026-02-30", "minimal_duration": 31, "night_price": "1"}]},
    )
    assert [p.split(":")[0] for p in problems] == [
        "prices[0].date_from",
        "prices[0].minimal_duration",
        "prices[0].night_price",
    ]
    assert specs.validate_request_body("putIntervals", {"item_id": "1", "intervals": []}) == [
        "item_id: '1' is not of type 'integer'"
    ]


def test_ids_are_64_bit_even_where_typed_int32() -> None:
    body = {"id": 40_123_456_789, "name": "n", "email": "e", "phone": "p"}
    assert specs.validate_response("getUserInfoSelf", 200, body) == []
    assert specs.validate_response("getUserInfoSelf", 200, {**body, "id": 2**64}) != []


def test_query_values_are_coerced_and_checked() -> None:
    assert (
        specs.validate_query(
            "getRealtyBookings",
            {"date_start": "2026-06-01", "date_end": "2026-06-02", "with_unpaid": "true"},
        )
        == []
    )
    assert sorted(specs.validate_query("getRealtyBookings", {"date_start": "2026-6-1"})) == [
        "query.date_end: is required",
        "query.date_start: '2026-6-1' is not a 'date'",
    ]
    assert specs.validate_query("getItemsInfo", {"status": "active,old", "per_page": "50"}) == []
    assert specs.validate_query("getItemsInfo", {"status": "active,sold"}) != []
    assert specs.validate_path("postBaseParams", {"item_id": "0"}) != []


def test_responses_need_a_documented_status_and_shape() -> None:
    assert specs.validate_response("postBaseParams", 200, None) == []
    assert specs.validate_response("putBookingsInfo", 409, {"error": {"code": 409, "message": "m"}})
    assert specs.validate_response("getItemsInfo", 500, {"code": "500", "message": "m"}) == []
    assert specs.validate_response("getItemsInfo", 500, {"code": 500, "message": "m"}) != []
    assert specs.validate_response("getAccessToken", 400, {"error": "invalid_client"}) == [
        "status: 400 is not documented for getAccessToken"
    ]
    legacy = {"error": {"code": 409, "message": "m"}}
    assert specs.schema_issues(specs.component_schema("str", "Error"), legacy) == []


def test_find_operation_matches_templates_and_trailing_slashes() -> None:
    def op_id(method: str, path: str) -> str | None:
        op = specs.find_operation(method, path)
        return op.operation_id if op else None

    assert op_id("GET", "/realty/v1/accounts/1/items/2/bookings") == "getRealtyBookings"
    assert op_id("POST", "/core/v1/accounts/1/items/2/bookings") == "putBookingsInfo"
    assert op_id("GET", "/core/v1/accounts/1/items/2/") == "getItemInfo"
    assert op_id("POST", "/token/") in {
        "getAccessToken",
        "getAccessTokenAuthorizationCode",
        "refreshAccessTokenAuthorizationCode",
    }
    assert op_id("GET", "/nope") is None


def test_unknown_names_are_errors() -> None:
    with pytest.raises(KeyError):
        specs.operation("noSuchOperation")
    with pytest.raises(KeyError):
        specs.load_spec("../shared/str")


def test_messenger_spec_quirks_are_fixed_in_memory() -> None:
    chat_types = next(p for p in specs.operation("getChatsV2").parameters if p.name == "chat_types")
    assert chat_types.schema["default"] == ["u2i"]
    send = {"message": {"text": "Здравствуйте"}, "type": "text"}
    assert specs.validate_request_body("postSendMessage", send) == []
    assert specs.validate_request_body("postSendMessage", {"type": "voice"}) != []
    assert specs.validate_query("getChatsV2", {"item_ids": "4012345678,4012345679"}) == []
    assert specs.validate_query("getChatsV2", {"item_ids": "4012345678,x"}) != []
    assert specs.validate_query("getChatsV2", {"chat_types": "u2i,u2u", "limit": "50"}) == []
    assert specs.validate_query("getChatsV2", {"chat_types": "u2x"}) != []


def test_messenger_errors_follow_the_error_components() -> None:
    denied = {"error": {"code": 403, "message": "Forbidden"}}
    assert specs.validate_response("getChatsV2", 403, denied) == []
    assert specs.validate_response("getChatsV2", 403, {"error": "Forbidden"}) != []
    assert specs.validate_response("getChatsV2", 418, denied) != []

"""The five short-term-rent operations and their Avito semantics, over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

from avito_sync.local import avito_spec as specs
from tests.fixtures.sandbox import Sandbox
from tests.sandbox.conftest import Api, days


def _open_days(sandbox: Sandbox, item_id: int, first: dt.date, last: dt.date) -> list[dt.date]:
    return [d.date for d in sandbox.control.calendar(item_id, first, last) if d.open]


# -- GET bookings --------------------------------------------------------------------------------


def test_bookings_are_filtered_by_window_and_paid_status(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    control = sandbox.control
    paid = control.create_booking(
        sandbox.item_id, today + days(5), today + days(8), base_price=9000
    )
    pending = control.create_booking(
        sandbox.item_id, today + days(10), today + days(12), status="pending"
    )
    control.create_booking(sandbox.item_id, today + days(40), today + days(42))
    control.create_booking(sandbox.item_ids[1], today + days(5), today + days(6))

    response = api.bookings(sandbox.item_id, today, today + days(30))
    assert response.status_code == 200
    listed = response.json()["bookings"]
    assert [b["avito_booking_id"] for b in listed] == [paid.id]
    booking = listed[0]
    assert booking["status"] == "active"
    assert booking["check_in"] == (today + days(5)).isoformat()
    assert booking["check_out"] == (today + days(8)).isoformat()
    assert booking["nights"] == 3
    assert booking["base_price"] == 9000
    assert booking["contact"] == {
        "name": "Иван",
        "email": "guest@example.com",
        "phone": "9997770000",
    }
    assert set(booking["safe_deposit"]) == {"total_amount", "tax", "owner_amount"}

    with_unpaid = api.bookings(sandbox.item_id, today, today + days(30), with_unpaid="true")
    listed = with_unpaid.json()["bookings"]
    assert [(b["avito_booking_id"], b["status"]) for b in listed] == [
        (paid.id, "active"),
        (pending.id, "pending"),
    ]


def test_window_includes_stays_overlapping_its_edges(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    control = sandbox.control
    spanning = control.create_booking(sandbox.item_id, today + days(1), today + days(4))
    control.create_booking(sandbox.item_id, today + days(10), today + days(11))
    ids = [
        b["avito_booking_id"]
        for b in api.bookings(sandbox.item_id, today + days(3), today + days(9)).json()["bookings"]
    ]
    assert ids == [spanning.id]
    departing = api.bookings(sandbox.item_id, today + days(4), today + days(9)).json()["bookings"]
    assert departing == []


def test_canceled_bookings_stay_listed_and_deleted_ones_vanish(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    control = sandbox.control
    canceled = control.create_booking(sandbox.item_id, today + days(1), today + days(2))
    vanishing = control.create_booking(sandbox.item_id, today + days(3), today + days(4))
    control.cancel_booking(canceled.id)
    control.delete_booking(vanishing.id)
    listed = api.bookings(sandbox.item_id, today, today + days(10)).json()["bookings"]
    assert [(b["avito_booking_id"], b["status"]) for b in listed] == [(canceled.id, "canceled")]


def test_confirming_a_pending_booking_makes_it_paid(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    pending = sandbox.control.create_booking(
        sandbox.item_id, today + days(1), today + days(2), status="pending"
    )
    assert api.bookings(sandbox.item_id, today, today + days(5)).json()["bookings"] == []
    sandbox.control.confirm_booking(pending.id)
    listed = api.bookings(sandbox.item_id, today, today + days(5)).json()["bookings"]
    assert [(b["avito_booking_id"], b["status"]) for b in listed] == [(pending.id, "active")]


def test_bookings_window_must_not_be_in_the_past(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    past_start = api.bookings(sandbox.item_id, today - days(1), today + days(5))
    past_both = api.bookings(sandbox.item_id, today - days(5), today - days(1))
    reversed_window = api.bookings(sandbox.item_id, today + days(5), today + days(1))
    assert past_start.status_code == 422
    assert set(past_start.json()["error"]["fields"]) == {"date_start"}
    assert set(past_both.json()["error"]["fields"]) == {"date_start", "date_end"}
    assert set(reversed_window.json()["error"]["fields"]) == {"date_end"}
    assert api.bookings(sandbox.item_id, today, today).status_code == 200


def test_bookings_query_parameters_are_required(api: Api, sandbox: Sandbox) -> None:
    response = api.call(
        "getRealtyBookings",
        "GET",
        f"/realty/v1/accounts/{sandbox.account_id}/items/{sandbox.item_id}/bookings",
        params={"date_start": "2099-01-01", "with_unpaid": "maybe"},
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"date_end", "with_unpaid"}


def test_validation_status_switch_gives_plain_400(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    sandbox.control.update_settings(validation_status=400)
    response = api.bookings(sandbox.item_id, today - days(1), today)
    assert response.status_code == 400
    assert "date_start" in response.json()["error"]["message"]


# -- POST intervals ------------------------------------------------------------------------------


def test_intervals_are_full_state(api: Api, sandbox: Sandbox, today: dt.date) -> None:
    body = {
        "item_id": sandbox.item_id,
        "source": "pms",
        "intervals": [
            {
                "date_start": (today + days(2)).isoformat(),
                "date_end": (today + days(4)).isoformat(),
                "open": 1,
            },
            {
                "date_start": (today + days(4)).isoformat(),
                "date_end": (today + days(5)).isoformat(),
                "open": 3,
            },
        ],
    }
    assert api.intervals(body).json() == {"result": "success"}
    calendar = sandbox.control.calendar(sandbox.item_id, today, today + days(6))
    assert [(d.open, d.quota, d.closed_by) for d in calendar] == [
        (False, 0, "intervals"),
        (False, 0, "intervals"),
        (True, 1, None),
        (True, 1, None),
        (True, 3, None),
        (False, 0, "intervals"),  # the end is exclusive
        (False, 0, "intervals"),
    ]
    year = sandbox.control.calendar(sandbox.item_id)
    assert len(year) == 365
    assert sum(d.open for d in year) == 3
    untouched = sandbox.control.calendar(sandbox.item_ids[1], today, today + days(6))
    assert all(d.open for d in untouched)


def test_a_second_intervals_call_replaces_the_first(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    def one(start: int, end: int) -> dict[str, object]:
        return {
            "item_id": sandbox.item_id,
            "intervals": [
                {
                    "date_start": (today + days(start)).isoformat(),
                    "date_end": (today + days(end)).isoformat(),
                    "open": 1,
                }
            ],
        }

    api.intervals(one(0, 3))
    api.intervals(one(5, 6))
    assert _open_days(sandbox, sandbox.item_id, today, today + days(7)) == [today + days(5)]


def test_empty_intervals_close_the_whole_year(api: Api, sandbox: Sandbox) -> None:
    assert api.intervals({"item_id": sandbox.item_id, "intervals": []}).status_code == 200
    assert not any(d.open for d in sandbox.control.calendar(sandbox.item_id))


def test_intervals_reject_bad_bodies(api: Api, sandbox: Sandbox, today: dt.date) -> None:
    a, b, c = (today + days(n) for n in (1, 5, 3))
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "string item id": ({"item_id": str(sandbox.item_id), "intervals": []}, "item_id"),
        "zero quota": (
            {
                "item_id": sandbox.item_id,
                "intervals": [{"date_start": a.isoformat(), "date_end": b.isoformat(), "open": 0}],
            },
            "intervals[0].open",
        ),
        "overlap": (
            {
                "item_id": sandbox.item_id,
                "intervals": [
                    {"date_start": a.isoformat(), "date_end": b.isoformat(), "open": 1},
                    {"date_start": c.isoformat(), "date_end": (b + days(3)).isoformat(), "open": 1},
                ],
            },
            "intervals[1]",
        ),
        "end before start": (
            {
                "item_id": sandbox.item_id,
                "intervals": [{"date_start": b.isoformat(), "date_end": a.isoformat(), "open": 1}],
            },
            "intervals[0].date_end",
        ),
        "past start": (
            {
                "item_id": sandbox.item_id,
                "intervals": [
                    {
                        "date_start": (today - days(1)).isoformat(),
                        "date_end": b.isoformat(),
                        "open": 1,
                    }
                ],
            },
            "intervals[0].date_start",
        ),
        "bad date": (
            {
                "item_id": sandbox.item_id,
                "intervals": [{"date_start": "2026-02-30", "date_end": b.isoformat(), "open": 1}],
            },
            "intervals[0].date_start",
        ),
        "missing list": ({"item_id": sandbox.item_id}, "intervals"),
    }
    before = sandbox.control.calendar(sandbox.item_id)
    for name, (body, field) in cases.items():
        response = api.intervals(body)
        assert response.status_code == 422, name
        assert field in response.json()["error"]["fields"], (name, response.json())
    assert sandbox.control.calendar(sandbox.item_id) == before


def test_touching_intervals_are_fine(api: Api, sandbox: Sandbox, today: dt.date) -> None:
    a, b, c = (today + days(n) for n in (1, 3, 5))
    response = api.intervals(
        {
            "item_id": sandbox.item_id,
            "intervals": [
                {"date_start": b.isoformat(), "date_end": c.isoformat(), "open": 1},
                {"date_start": a.isoformat(), "date_end": b.isoformat(), "open": 1},
            ],
        }
    )
    assert response.status_code == 200
    assert _open_days(sandbox, sandbox.item_id, today, c) == [a + days(n) for n in range(4)]


# -- POST core bookings --------------------------------------------------------------------------


def test_core_bookings_close_dates_with_an_exclusive_end(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    body = {
        "bookings": [
            {
                "date_start": (today + days(1)).isoformat(),
                "date_end": (today + days(3)).isoformat(),
                "type": "booking",
                "comment": "Booking.com",
            },
            {
                "date_start": (today + days(3)).isoformat(),
                "date_end": (today + days(4)).isoformat(),
                "type": "manual",
            },
        ],
        "source": "pms",
    }
    response = api.close_dates(sandbox.item_id, body)
    assert response.json() == {"result": "success"}
    calendar = sandbox.control.calendar(sandbox.item_id, today, today + days(4))
    assert [(d.open, d.closed_by, d.closure_type) for d in calendar] == [
        (True, None, None),
        (False, "closure", "booking"),
        (False, "closure", "booking"),
        (False, "closure", "manual"),
        (True, None, None),
    ]
    assert calendar[1].source == "pms"
    assert calendar[1].comment == "Booking.com"


def test_core_bookings_conflict_closes_only_free_ranges(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    paid = sandbox.control.create_booking(sandbox.item_id, today + days(5), today + days(8))
    sandbox.control.create_booking(
        sandbox.item_id, today + days(20), today + days(22), status="pending"
    )
    body = {
        "bookings": [
            {
                "date_start": (today + days(1)).isoformat(),
                "date_end": (today + days(3)).isoformat(),
            },
            {
                "date_start": (today + days(7)).isoformat(),
                "date_end": (today + days(10)).isoformat(),
            },
            {
                "date_start": (today + days(20)).isoformat(),
                "date_end": (today + days(21)).isoformat(),
            },
        ]
    }
    response = api.close_dates(sandbox.item_id, body)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == 409
    assert error["conflicts"] == [
        {
            "interval": {
                "date_start": (today + days(7)).isoformat(),
                "date_end": (today + days(10)).isoformat(),
            },
            "bookings": [
                {
                    "avito_booking_id": paid.id,
                    "check_in": (today + days(5)).isoformat(),
                    "check_out": (today + days(8)).isoformat(),
                }
            ],
        }
    ]
    by_day = {d.date: d for d in sandbox.control.calendar(sandbox.item_id, today, today + days(21))}
    assert by_day[today + days(1)].closed_by == "closure"
    assert by_day[today + days(2)].closed_by == "closure"
    assert by_day[today + days(8)].closed_by is None  # the conflicting range was not applied
    assert by_day[today + days(7)].closed_by == "avito_booking"
    assert by_day[today + days(20)].closed_by == "closure"  # pending bookings do not conflict


def test_a_range_ending_on_check_in_does_not_conflict(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    sandbox.control.create_booking(sandbox.item_id, today + days(5), today + days(8))
    body = {
        "bookings": [
            {
                "date_start": (today + days(3)).isoformat(),
                "date_end": (today + days(5)).isoformat(),
            },
            {
                "date_start": (today + days(8)).isoformat(),
                "date_end": (today + days(9)).isoformat(),
            },
        ]
    }
    assert api.close_dates(sandbox.item_id, body).status_code == 200


def test_legacy_conflict_mode_applies_nothing(api: Api, sandbox: Sandbox, today: dt.date) -> None:
    sandbox.control.update_settings(conflict_mode="legacy")
    sandbox.control.create_booking(sandbox.item_id, today + days(5), today + days(8))
    body = {
        "bookings": [
            {
                "date_start": (today + days(1)).isoformat(),
                "date_end": (today + days(3)).isoformat(),
            },
            {
                "date_start": (today + days(6)).isoformat(),
                "date_end": (today + days(7)).isoformat(),
            },
        ]
    }
    response = api.close_dates(sandbox.item_id, body, checked=False)
    assert response.status_code == 409
    assert set(response.json()["error"]) == {"code", "message"}
    assert specs.schema_issues(specs.component_schema("str", "Error"), response.json()) == []
    assert not [
        d for d in sandbox.control.calendar(sandbox.item_id, today, today + days(4)) if not d.open
    ]


def test_core_bookings_reject_past_reversed_and_overlapping_ranges(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    def row(a: int, b: int) -> dict[str, str]:
        return {
            "date_start": (today + days(a)).isoformat(),
            "date_end": (today + days(b)).isoformat(),
        }

    past = api.close_dates(sandbox.item_id, {"bookings": [row(-1, 2)]})
    backwards = api.close_dates(sandbox.item_id, {"bookings": [row(3, 3)]})
    overlapping = api.close_dates(sandbox.item_id, {"bookings": [row(1, 4), row(3, 5)]})
    bad_type = api.close_dates(sandbox.item_id, {"bookings": [{**row(1, 2), "type": "blocked"}]})
    assert past.json()["error"]["fields"] == {"bookings[0].date_start": "must not be in the past"}
    assert "bookings[0].date_end" in backwards.json()["error"]["fields"]
    assert "bookings[1]" in overlapping.json()["error"]["fields"]
    assert "bookings[0].type" in bad_type.json()["error"]["fields"]
    assert all(d.open for d in sandbox.control.calendar(sandbox.item_id, today, today + days(6)))


def test_intervals_clear_earlier_closures(api: Api, sandbox: Sandbox, today: dt.date) -> None:
    api.close_dates(
        sandbox.item_id,
        {
            "bookings": [
                {
                    "date_start": (today + days(1)).isoformat(),
                    "date_end": (today + days(2)).isoformat(),
                }
            ]
        },
    )
    api.intervals(
        {
            "item_id": sandbox.item_id,
            "intervals": [
                {
                    "date_start": today.isoformat(),
                    "date_end": (today + days(3)).isoformat(),
                    "open": 1,
                }
            ],
        }
    )
    assert _open_days(sandbox, sandbox.item_id, today, today + days(2)) == [
        today,
        today + days(1),
        today + days(2),
    ]


# -- POST prices ---------------------------------------------------------------------------------


def test_prices_apply_to_every_day_with_an_inclusive_end(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    body = {
        "prices": [
            {
                "date_from": (today + days(1)).isoformat(),
                "date_to": (today + days(3)).isoformat(),
                "night_price": 4200,
                "minimal_duration": 2,
                "extra_guest_fee": 500,
            },
            {
                "date_from": (today + days(4)).isoformat(),
                "date_to": (today + days(4)).isoformat(),
                "night_price": 6000,
                "minimal_duration": 30,
            },
        ]
    }
    assert api.prices(sandbox.item_id, body).json() == {"result": "success"}
    prices = sandbox.control.prices(sandbox.item_id)
    assert [(p.date, p.night_price, p.minimal_duration, p.extra_guest_fee) for p in prices] == [
        (today + days(1), 4200, 2, 500),
        (today + days(2), 4200, 2, 500),
        (today + days(3), 4200, 2, 500),
        (today + days(4), 6000, 30, None),
    ]


def test_prices_validate_ranges_and_values(api: Api, sandbox: Sandbox, today: dt.date) -> None:
    def row(**values: object) -> dict[str, object]:
        return {
            "date_from": (today + days(1)).isoformat(),
            "date_to": (today + days(2)).isoformat(),
            "night_price": 1000,
            **values,
        }

    cases = {
        "prices[0].night_price": row(night_price=0),
        "prices[0].minimal_duration": row(minimal_duration=31),
        "prices[0].date_from": row(date_from=(today - days(1)).isoformat()),
        "prices[0].date_to": row(date_to=today.isoformat()),
    }
    for field, price in cases.items():
        response = api.prices(sandbox.item_id, {"prices": [price]})
        assert response.status_code == 422, field
        assert field in response.json()["error"]["fields"], (field, response.json())
    assert api.prices(sandbox.item_id, {"prices": [row(minimal_duration=0)]}).status_code == 422
    assert (
        api.prices(
            sandbox.item_id,
            {"prices": [row(minimal_duration=1, date_to=(today + days(1)).isoformat())]},
        ).status_code
        == 200
    )
    assert sandbox.control.prices(sandbox.item_id)[0].night_price == 1000


def test_prices_turn_pending_bookings_on_those_dates_into_overbook(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    control = sandbox.control
    hit = control.create_booking(
        sandbox.item_id, today + days(4), today + days(6), status="pending"
    )
    after = control.create_booking(
        sandbox.item_id, today + days(6), today + days(7), status="pending"
    )
    paid = control.create_booking(sandbox.item_id, today + days(2), today + days(4))
    body = {
        "prices": [
            {
                "date_from": (today + days(3)).isoformat(),
                "date_to": (today + days(5)).isoformat(),
                "night_price": 5000,
            }
        ]
    }
    assert api.prices(sandbox.item_id, body).status_code == 200
    statuses = {b.id: b.status for b in control.bookings(sandbox.item_id)}
    assert statuses == {hit.id: "overbook", after.id: "pending", paid.id: "active"}
    listed = api.bookings(sandbox.item_id, today, today + days(10), with_unpaid="true").json()[
        "bookings"
    ]
    assert {b["avito_booking_id"] for b in listed} == {after.id, paid.id}
    sandbox.control.update_settings(overbook_visible=True)
    response = api.http.get(
        f"/realty/v1/accounts/{sandbox.account_id}/items/{sandbox.item_id}/bookings",
        params={
            "date_start": today.isoformat(),
            "date_end": (today + days(10)).isoformat(),
            "with_unpaid": "true",
        },
        headers=api.headers(),
    )
    assert {b["avito_booking_id"]: b["status"] for b in response.json()["bookings"]}[
        hit.id
    ] == "overbook"


# -- POST base params ----------------------------------------------------------------------------


def test_base_params_answer_200_without_a_body_and_merge(api: Api, sandbox: Sandbox) -> None:
    first = {
        "night_price": 3000,
        "minimal_duration": 2,
        "instant": {"active": True, "max_days": 30, "min_days": 1},
        "refund": {"days": 7},
    }
    response = api.base(sandbox.item_id, first)
    assert response.status_code == 200
    assert response.content == b""
    api.base(
        sandbox.item_id, {"extra_guest_fee": 500, "extra_guest_threshold": 4, "night_price": None}
    )
    assert sandbox.control.base_params(sandbox.item_id) == {
        **first,
        "extra_guest_fee": 500,
        "extra_guest_threshold": 4,
    }


def test_base_params_enforce_documented_ranges(api: Api, sandbox: Sandbox) -> None:
    cases: dict[str, dict[str, Any]] = {
        "minimal_duration": {"minimal_duration": 8},
        "extra_guest_threshold": {"extra_guest_threshold": 9},
        "instant.max_days": {"instant": {"active": True, "max_days": 45}},
        "instant.min_days": {"instant": {"active": True, "min_days": 6}},
        "refund.days": {"refund": {"days": 2}},
        "discount[0].threshold": {"discount": [{"percent": 10, "threshold": 5}]},
        "fees.pets.application": {
            "fees": {"pets": {"allowed": True, "amount": 100, "application": "weekly"}}
        },
        "night_price": {"night_price": 0},
        "discount[0].percent": {"discount": [{"percent": 100, "threshold": 7}]},
    }
    for field, body in cases.items():
        response = api.base(sandbox.item_id, body)
        assert response.status_code == 422, field
        assert field in response.json()["error"]["fields"], (field, response.json())
    assert sandbox.control.base_params(sandbox.item_id) is None


# -- ownership -----------------------------------------------------------------------------------


def test_someone_elses_listing_is_403_and_an_unknown_one_404(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    other = sandbox.control.add_account("Чужой хозяин")
    theirs = sandbox.control.add_listing(other.id).id
    unknown = 99_999_999_999
    window = {"date_start": today.isoformat(), "date_end": (today + days(1)).isoformat()}
    mine = sandbox.account_id
    calls: list[tuple[str, str, str, dict[str, Any]]] = [
        (
            "getRealtyBookings",
            "GET",
            f"/realty/v1/accounts/{mine}/items/{{}}/bookings",
            {"params": window},
        ),
        (
            "putBookingsInfo",
            "POST",
            f"/core/v1/accounts/{mine}/items/{{}}/bookings",
            {"json": {"bookings": []}},
        ),
        (
            "postRealtyPrices",
            "POST",
            f"/realty/v1/accounts/{mine}/items/{{}}/prices",
            {"json": {"prices": []}},
        ),
        ("postBaseParams", "POST", "/realty/v1/items/{}/base", {"json": {}}),
    ]
    for operation_id, method, template, kwargs in calls:
        forbidden = api.call(operation_id, method, template.format(theirs), **kwargs)
        missing = api.call(operation_id, method, template.format(unknown), **kwargs)
        assert (forbidden.status_code, missing.status_code) == (403, 404), operation_id
        assert forbidden.json()["error"]["code"] == 403
    assert api.intervals({"item_id": theirs, "intervals": []}).status_code == 403
    assert api.intervals({"item_id": unknown, "intervals": []}).status_code == 404
    wrong_user = api.bookings(sandbox.item_id, today, today)
    assert wrong_user.status_code == 200
    other_user_path = api.call(
        "getRealtyBookings",
        "GET",
        f"/realty/v1/accounts/{other.id}/items/{theirs}/bookings",
        params=window,
    )
    assert other_user_path.status_code == 403
    assert all(d.open for d in sandbox.control.calendar(theirs, today, today + days(3)))


def test_skip_error_swallows_item_errors(api: Api, sandbox: Sandbox, today: dt.date) -> None:
    response = api.call(
        "getRealtyBookings",
        "GET",
        f"/realty/v1/accounts/{sandbox.account_id}/items/99999999999/bookings",
        params={
            "date_start": today.isoformat(),
            "date_end": today.isoformat(),
            "skip_error": "true",
        },
    )
    assert (response.status_code, response.json()) == (200, {"bookings": []})


def test_invalid_json_is_400(api: Api, sandbox: Sandbox) -> None:
    response = api.http.post(
        "/realty/v1/items/intervals",
        content=b"{not json",
        headers={**api.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert specs.validate_response("putIntervals", 400, response.json()) == []


def test_intervals_describe_only_the_year_ahead(api: Api, sandbox: Sandbox, today: dt.date) -> None:
    far = {"date_start": today.isoformat(), "date_end": (today + days(500)).isoformat(), "open": 1}
    assert api.intervals({"item_id": sandbox.item_id, "intervals": [far]}).status_code == 200
    edge = sandbox.control.calendar(sandbox.item_id, today + days(364), today + days(366))
    assert [d.open for d in edge] == [True, False, False]


def test_past_is_judged_by_the_moscow_date(api: Api, sandbox: Sandbox) -> None:
    now = sandbox.control.clock().now
    evening = now.replace(hour=22, minute=30, second=0, microsecond=0)
    if evening <= now:
        evening += days(1)
    sandbox.control.advance_clock((evening - now).total_seconds())
    api.token = api.client_credentials()  # the old one may have just reached its 24 h
    clock = sandbox.control.clock()
    utc_date = clock.now.astimezone(dt.UTC).date()
    assert clock.today_moscow == utc_date + days(1)
    stale = api.bookings(sandbox.item_id, utc_date, utc_date + days(3))
    assert stale.status_code == 422
    assert set(stale.json()["error"]["fields"]) == {"date_start"}
    fresh = api.bookings(sandbox.item_id, clock.today_moscow, clock.today_moscow + days(3))
    assert fresh.status_code == 200

"""Injected faults: error statuses, 429s, latency, hangs and malformed bodies."""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

from avito_sync.local import avito_spec as specs
from avito_sync.local.sandbox.schemas import Latency
from tests.fixtures.sandbox import Sandbox
from tests.sandbox.conftest import Api, days


def _open_year(sandbox: Sandbox, today: dt.date) -> dict[str, object]:
    return {
        "item_id": sandbox.item_id,
        "intervals": [
            {"date_start": today.isoformat(), "date_end": (today + days(30)).isoformat(), "open": 1}
        ],
    }


def test_an_injected_error_replaces_the_response_and_applies_nothing(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    sandbox.control.add_fault("putIntervals", error_rates={500: 1.0}, times=1)
    failed = api.intervals({"item_id": sandbox.item_id, "intervals": []})
    assert failed.status_code == 500
    assert specs.validate_response("putIntervals", 500, failed.json()) == []
    assert all(d.open for d in sandbox.control.calendar(sandbox.item_id, today, today + days(3)))
    assert api.intervals({"item_id": sandbox.item_id, "intervals": []}).status_code == 200
    [fault] = sandbox.control.faults()
    assert (fault.hits, fault.spent) == (1, True)
    log = [(r.operation_id, r.status, r.fault) for r in sandbox.control.requests()]
    assert log[-2:] == [("putIntervals", 500, "error:500"), ("putIntervals", 200, None)]


def test_error_bodies_follow_each_apis_shape(api: Api, sandbox: Sandbox) -> None:
    sandbox.control.add_fault("*", error_rates={503: 1.0})
    user = api.call("getUserInfoSelf", "GET", "/core/v1/accounts/self")
    items = api.http.get("/core/v1/items", headers=api.headers())
    token = api.http.post("/token", data={"grant_type": "client_credentials"})
    assert user.json() == {"error": {"code": 503, "message": "Injected fault"}}
    assert items.json() == {"code": "503", "message": "Injected fault"}
    assert token.status_code == 503
    assert token.json()["error"] == "temporarily_unavailable"


def test_seeded_error_rates_are_reproducible(api: Api, sandbox: Sandbox) -> None:
    def run() -> list[int]:
        sandbox.control.update_settings(random_seed=1234)
        sandbox.control.clear_faults()
        sandbox.control.add_fault("getUserInfoSelf", error_rates={500: 0.3, 502: 0.2})
        return [
            api.call("getUserInfoSelf", "GET", "/core/v1/accounts/self", checked=False).status_code
            for _ in range(40)
        ]

    first, second = run(), run()
    assert first == second
    assert set(first) == {200, 500, 502}


def test_injected_429_with_and_without_retry_after(api: Api, sandbox: Sandbox) -> None:
    sandbox.control.add_fault("getUserInfoSelf", rate_limit_rate=1.0, retry_after=7, times=1)
    sandbox.control.add_fault("getUserInfoSelf", rate_limit_rate=1.0, times=1)
    with_header = api.http.get("/core/v1/accounts/self", headers=api.headers())
    without = api.http.get("/core/v1/accounts/self", headers=api.headers())
    assert (with_header.status_code, without.status_code) == (429, 429)
    assert with_header.headers["Retry-After"] == "7"
    assert "Retry-After" not in without.headers
    assert without.headers["X-RateLimit-Remaining"] == "0"
    assert without.json()["error"]["code"] == 429
    assert api.http.get("/core/v1/accounts/self", headers=api.headers()).status_code == 200


def test_malformed_bodies_are_not_json(api: Api, sandbox: Sandbox) -> None:
    sandbox.control.add_fault("/core/v1/items", malformed_rate=1.0, times=1)
    sandbox.control.add_fault("getUserInfoSelf", malformed_rate=1.0, malformed_status=502, times=1)
    ok_status = api.http.get("/core/v1/items", headers=api.headers())
    gateway = api.http.get("/core/v1/accounts/self", headers=api.headers())
    assert (ok_status.status_code, gateway.status_code) == (200, 502)
    for response in (ok_status, gateway):
        with pytest.raises(json.JSONDecodeError):
            response.json()


def test_latency_delays_the_answer_past_a_short_client_timeout(api: Api, sandbox: Sandbox) -> None:
    sandbox.control.add_fault("getUserInfoSelf", latency=Latency(fixed_ms=1500), times=1)
    with pytest.raises(httpx.ReadTimeout):
        api.http.get("/core/v1/accounts/self", headers=api.headers(), timeout=0.2)
    assert api.http.get("/core/v1/accounts/self", headers=api.headers()).status_code == 200
    [fault] = sandbox.control.faults()
    assert (fault.hits, fault.spent) == (1, True)


def test_a_timeout_fault_hangs_until_the_client_gives_up(api: Api, sandbox: Sandbox) -> None:
    sandbox.control.add_fault("getRealtyBookings", timeout_rate=1.0, timeout_seconds=60, times=1)
    path = f"/realty/v1/accounts/{sandbox.account_id}/items/{sandbox.item_id}/bookings"
    params = {"date_start": "2099-01-01", "date_end": "2099-01-02"}
    with pytest.raises(httpx.ReadTimeout):
        api.http.get(path, params=params, headers=api.headers(), timeout=0.3)
    assert api.http.get(path, params=params, headers=api.headers()).status_code == 200


def test_fault_rules_are_validated_and_removable(api: Api, sandbox: Sandbox) -> None:
    response = api.http.post(
        "/_sandbox/faults", json={"target": "*", "error_rates": {"500": 0.8}, "malformed_rate": 0.5}
    )
    assert response.status_code == 422
    fault = sandbox.control.add_fault("getUserInfoSelf", error_rates={500: 1.0})
    assert api.http.get("/core/v1/accounts/self", headers=api.headers()).status_code == 500
    sandbox.control.remove_fault(fault.id)
    assert api.http.get("/core/v1/accounts/self", headers=api.headers()).status_code == 200


def test_after_apply_faults_lose_the_answer_of_an_applied_write(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    sandbox.control.add_fault("putIntervals", error_rates={502: 1.0}, after_apply=True, times=1)
    lost = api.intervals({"item_id": sandbox.item_id, "intervals": []})
    assert lost.status_code == 502
    assert lost.json() == {"error": {"code": 502, "message": "Injected fault"}}
    assert not any(
        d.open for d in sandbox.control.calendar(sandbox.item_id, today, today + days(3))
    )
    assert sandbox.control.requests()[-1].fault == "error:502-after-apply"


def test_after_apply_timeouts_hang_after_the_write(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    sandbox.control.add_fault(
        "putIntervals", timeout_rate=1.0, timeout_seconds=60, after_apply=True, times=1
    )
    with pytest.raises(httpx.ReadTimeout):
        api.http.post(
            "/realty/v1/items/intervals",
            json={"item_id": sandbox.item_id, "intervals": []},
            headers=api.headers(),
            timeout=1.5,  # generous: the write itself must have finished before the hang
        )
    assert not any(
        d.open for d in sandbox.control.calendar(sandbox.item_id, today, today + days(3))
    )


def _wait_until_held(sandbox: Sandbox, fault_id: int, count: int = 1) -> None:
    """Bounded wait for the sandbox to report `count` requests waiting at the rule."""
    deadline = time.monotonic() + 15
    while sandbox.control.fault(fault_id).held < count:
        assert time.monotonic() < deadline, "the request never reached the hold"
        time.sleep(0.02)


def _bookings_in_thread(
    pool: ThreadPoolExecutor, api: Api, sandbox: Sandbox, today: dt.date
) -> Future[httpx.Response]:
    path = f"/realty/v1/accounts/{sandbox.account_id}/items/{sandbox.item_id}/bookings"
    params = {
        "date_start": today.isoformat(),
        "date_end": (today + days(30)).isoformat(),
        "with_unpaid": "true",
    }

    def get() -> httpx.Response:
        with httpx.Client(base_url=sandbox.base_url, timeout=20) as http:
            return http.get(path, params=params, headers=api.headers())

    return pool.submit(get)


def test_a_held_answer_is_computed_before_changes_made_while_it_waits(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    fault = sandbox.control.add_fault("getRealtyBookings", hold=True, after_apply=True, times=1)
    with ThreadPoolExecutor(1) as pool:
        pending = _bookings_in_thread(pool, api, sandbox, today)
        _wait_until_held(sandbox, fault.id)
        assert not pending.done()
        guest = sandbox.control.create_booking(
            sandbox.item_id, today + days(3), today + days(5), status="pending"
        )
        released = sandbox.control.release_fault(fault.id)
        answer = pending.result(timeout=15)
    assert (released.released, released.hits) == (True, 1)
    assert answer.status_code == 200
    assert answer.json() == {"bookings": []}  # the state before the guest's request
    assert sandbox.control.requests()[-1].fault == "hold-after-apply"
    fresh = api.bookings(sandbox.item_id, today, today + days(30), with_unpaid="true")
    assert [b["avito_booking_id"] for b in fresh.json()["bookings"]] == [guest.id]
    assert sandbox.control.fault(fault.id).held == 0


def test_a_request_held_before_it_applies_sees_what_changed_meanwhile(
    api: Api, sandbox: Sandbox, today: dt.date
) -> None:
    fault = sandbox.control.add_fault("getRealtyBookings", hold=True)
    with ThreadPoolExecutor(1) as pool:
        pending = _bookings_in_thread(pool, api, sandbox, today)
        _wait_until_held(sandbox, fault.id)
        guest = sandbox.control.create_booking(sandbox.item_id, today + days(3), today + days(5))
        sandbox.control.remove_fault(fault.id)  # deleting the rule lets its requests go on too
        answer = pending.result(timeout=15)
    assert [b["avito_booking_id"] for b in answer.json()["bookings"]] == [guest.id]


def test_holds_are_validated_and_bounded(api: Api, sandbox: Sandbox, today: dt.date) -> None:
    plain = sandbox.control.add_fault("getUserInfoSelf", latency=Latency(fixed_ms=1))
    assert api.http.post(f"/_sandbox/faults/{plain.id}/release").status_code == 409
    assert api.http.post("/_sandbox/faults/999/release").status_code == 404
    too_long = {"target": "*", "hold": True, "hold_seconds": 601}
    assert api.http.post("/_sandbox/faults", json=too_long).status_code == 422
    short = sandbox.control.add_fault("getRealtyBookings", hold=True, hold_seconds=0.2)
    answer = api.bookings(sandbox.item_id, today, today + days(1))
    assert answer.status_code == 200  # nobody released it: the hold gave up by itself
    assert sandbox.control.fault(short.id).held == 0


def test_a_fault_window_ends_by_the_sandbox_clock(api: Api, sandbox: Sandbox) -> None:
    fault = sandbox.control.add_fault("getUserInfoSelf", error_rates={503: 1.0}, for_seconds=60)
    assert fault.ends_at is not None
    assert not fault.ended
    assert api.http.get("/core/v1/accounts/self", headers=api.headers()).status_code == 503
    sandbox.control.advance_clock(61)
    assert api.http.get("/core/v1/accounts/self", headers=api.headers()).status_code == 200
    after = sandbox.control.fault(fault.id)
    assert (after.ended, after.hits) == (True, 1)
    bad = {"target": "*", "error_rates": {"503": 1.0}, "for_seconds": 0}
    assert api.http.post("/_sandbox/faults", json=bad).status_code == 422

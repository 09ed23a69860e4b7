"""Contract: a scripted run of every emulated operation, success and error, and every response
validated against Avito's specs. Fails when the sandbox drifts from the spec, or when a status
the spec documents is no longer produced by the script."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import httpx

from avito_sync.local import avito_spec as specs
from tests.fixtures.sandbox import Sandbox
from tests.sandbox.conftest import days
from tests.support.avito import OPERATIONS_WE_CALL, WEBHOOK_NOTIFICATION_STATUS


class Recorder:
    def __init__(self, http: httpx.Client, sandbox: Sandbox) -> None:
        self.http = http
        self.sandbox = sandbox
        self.seen: dict[str, set[int]] = defaultdict(set)
        self.problems: list[str] = []
        self.token = ""

    def __call__(
        self, operation_id: str, method: str, path: str, *, auth: bool = True, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
        response = self.http.request(
            method, path, headers={**headers, **kwargs.pop("headers", {})}, **kwargs
        )
        body = response.json() if response.content else None
        self.seen[operation_id].add(response.status_code)
        for problem in specs.validate_response(operation_id, response.status_code, body):
            self.problems.append(f"{operation_id} {response.status_code}: {problem}")
        return response

    def fail_next(self, operation_id: str, status: int) -> None:
        self.sandbox.control.add_fault(operation_id, error_rates={status: 1.0}, times=1)


def _token_flow(rec: Recorder, sandbox: Sandbox) -> None:
    creds = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret}
    app = rec(
        "getAccessToken", "POST", "/token", data={"grant_type": "client_credentials", **creds}
    )
    code = sandbox.control.authorize(sandbox.client_id, account_id=sandbox.account_id)["code"]
    exchanged = rec(
        "getAccessTokenAuthorizationCode",
        "POST",
        "/token/",
        data={"grant_type": "authorization_code", "code": code, **creds},
    )
    rec(
        "refreshAccessTokenAuthorizationCode",
        "POST",
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": exchanged.json()["refresh_token"],
            **creds,
        },
    )
    rec.token = app.json()["access_token"]


def _user(rec: Recorder, sandbox: Sandbox) -> None:
    op, path = "getUserInfoSelf", "/core/v1/accounts/self"
    rec(op, "GET", path)
    rec(op, "GET", path, auth=False)  # 401
    for status in (500, 503):
        rec.fail_next(op, status)
        rec(op, "GET", path)
    good = rec.token
    sandbox.control.expire_tokens(access_token=good)
    rec(op, "GET", path)  # 403 expired
    rec.token = rec.http.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        },
    ).json()["access_token"]


def _items(rec: Recorder, sandbox: Sandbox) -> None:
    rec("getItemsInfo", "GET", "/core/v1/items", params={"per_page": 1, "page": 2})
    rec("getItemsInfo", "GET", "/core/v1/items", params={"per_page": 500})  # default: flat 400
    rec("getItemsInfo", "GET", "/core/v1/items", auth=False)  # default: flat 401
    sandbox.control.add_fault("getItemsInfo", rate_limit_rate=1.0, times=1)
    rec("getItemsInfo", "GET", "/core/v1/items")
    rec.fail_next("getItemsInfo", 500)
    rec("getItemsInfo", "GET", "/core/v1/items")
    other = sandbox.control.add_account()
    theirs = sandbox.control.add_listing(other.id).id
    for item_id in (sandbox.item_id, theirs, 99_999_999_999):
        rec("getItemInfo", "GET", f"/core/v1/accounts/{sandbox.account_id}/items/{item_id}/")
    rec("getItemInfo", "GET", f"/core/v1/accounts/{other.id}/items/{theirs}/")  # 403 flat
    sandbox.control.add_fault("getItemInfo", rate_limit_rate=1.0, times=1)
    rec("getItemInfo", "GET", f"/core/v1/accounts/{sandbox.account_id}/items/{theirs}/")


def _str(rec: Recorder, sandbox: Sandbox, today: dt.date) -> None:
    control = sandbox.control
    mine, item = sandbox.account_id, sandbox.item_id
    other = control.add_account()
    theirs = control.add_listing(other.id).id
    unknown = 99_999_999_999
    control.create_booking(item, today + days(3), today + days(6))
    control.create_booking(item, today + days(8), today + days(9), status="pending")
    control.create_booking(
        item, today + days(10), today + days(12), status="pending", guest_phone=None
    )

    def iso(n: int) -> str:
        return (today + days(n)).isoformat()

    bookings = "/realty/v1/accounts/{}/items/{}/bookings"
    window = {"date_start": iso(0), "date_end": iso(30)}
    rec("getRealtyBookings", "GET", bookings.format(mine, item), params=window)
    rec(
        "getRealtyBookings",
        "GET",
        bookings.format(mine, item),
        params={**window, "with_unpaid": "true"},
    )
    rec("getRealtyBookings", "GET", bookings.format(mine, theirs), params=window)
    rec("getRealtyBookings", "GET", bookings.format(mine, unknown), params=window)
    rec(
        "getRealtyBookings",
        "GET",
        bookings.format(mine, item),
        params={"date_start": iso(-1), "date_end": iso(1)},
    )
    control.update_settings(validation_status=400)
    rec(
        "getRealtyBookings",
        "GET",
        bookings.format(mine, item),
        params={"date_start": iso(-1), "date_end": iso(1)},
    )
    control.update_settings(validation_status=422)
    rec.fail_next("getRealtyBookings", 500)
    rec("getRealtyBookings", "GET", bookings.format(mine, item), params=window)

    close = "/core/v1/accounts/{}/items/{}/bookings"
    rows = {
        "bookings": [{"date_start": iso(1), "date_end": iso(2), "type": "manual", "comment": None}],
        "source": "pms",
    }
    conflicting = {
        "bookings": [
            {"date_start": iso(0), "date_end": iso(1)},
            {"date_start": iso(4), "date_end": iso(5)},
        ]
    }
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("putBookingsInfo", close.format(mine, item), rows),
        (
            "postRealtyPrices",
            f"/realty/v1/accounts/{mine}/items/{item}/prices",
            {
                "prices": [
                    {
                        "date_from": iso(8),
                        "date_to": iso(9),
                        "night_price": 4000,
                        "minimal_duration": 2,
                        "extra_guest_fee": 300,
                    }
                ]
            },
        ),
        (
            "putIntervals",
            "/realty/v1/items/intervals",
            {
                "item_id": item,
                "source": "pms",
                "intervals": [{"date_start": iso(0), "date_end": iso(200), "open": 1}],
            },
        ),
        (
            "postBaseParams",
            f"/realty/v1/items/{item}/base",
            {"night_price": 3000, "minimal_duration": 2, "refund": {"days": 7}},
        ),
    ]
    for op, path, body in writes:
        rec(op, "POST", path, json=body)  # 200
        rec(op, "POST", path, content=b"{", headers={"Content-Type": "application/json"})
        rec.fail_next(op, 500)
        rec(op, "POST", path, json=body)
    rec("putBookingsInfo", "POST", close.format(mine, item), json=conflicting)  # 409
    rec("putBookingsInfo", "POST", close.format(mine, theirs), json=rows)  # 403
    rec("putBookingsInfo", "POST", close.format(mine, unknown), json=rows)  # 404
    rec(
        "putBookingsInfo",
        "POST",
        close.format(mine, item),
        json={"bookings": [{"date_start": iso(-1), "date_end": iso(1)}]},
    )
    prices = "/realty/v1/accounts/{}/items/{}/prices"
    rec("postRealtyPrices", "POST", prices.format(mine, theirs), json={"prices": []})
    rec("postRealtyPrices", "POST", prices.format(mine, unknown), json={"prices": []})
    rec(
        "postRealtyPrices",
        "POST",
        prices.format(mine, item),
        json={"prices": [{"date_from": iso(1), "date_to": iso(1), "night_price": 0}]},
    )
    rec(
        "putIntervals",
        "POST",
        "/realty/v1/items/intervals",
        json={"item_id": theirs, "intervals": []},
    )
    rec(
        "putIntervals",
        "POST",
        "/realty/v1/items/intervals",
        json={"item_id": unknown, "intervals": []},
    )
    rec(
        "putIntervals",
        "POST",
        "/realty/v1/items/intervals",
        json={"item_id": str(item), "intervals": []},
    )
    rec("postBaseParams", "POST", f"/realty/v1/items/{theirs}/base", json={})
    rec("postBaseParams", "POST", f"/realty/v1/items/{unknown}/base", json={})
    rec("postBaseParams", "POST", f"/realty/v1/items/{item}/base", json={"minimal_duration": 8})


def _messenger(rec: Recorder, sandbox: Sandbox) -> None:
    sent = sandbox.control.guest_message(sandbox.item_id, "Здравствуйте!", deliver=False)
    account, chat = sandbox.account_id, sent["chat_id"]
    base = f"/messenger/v1/accounts/{account}/chats/{chat}"
    rec("getChatsV2", "GET", f"/messenger/v2/accounts/{account}/chats", params={"limit": 50})
    rec("getChatsV2", "GET", f"/messenger/v2/accounts/{account}/chats", params={"limit": 500})
    messages = f"/messenger/v3/accounts/{account}/chats/{chat}/messages/"
    rec("getMessagesV3", "GET", messages, params={"limit": 100, "offset": 0})
    rec("getMessagesV3", "GET", messages.replace(chat, "u2i-none"))  # 404
    rec(
        "postSendMessage",
        "POST",
        f"{base}/messages",
        json={"message": {"text": "Да"}, "type": "text"},
    )
    rec("postSendMessage", "POST", f"{base}/messages", auth=False, json={})  # 401
    rec("chatRead", "POST", f"{base}/read")
    hook = {"url": "http://127.0.0.1:9/hook"}
    rec("postWebhookV3", "POST", "/messenger/v3/webhook", json=hook)
    rec("postWebhookUnsubscribe", "POST", "/messenger/v1/webhook/unsubscribe", json=hook)
    rec("postWebhookV3", "POST", "/messenger/v3/webhook", json={})  # 422


def test_every_response_of_a_scripted_run_matches_the_specs(
    http: httpx.Client, sandbox: Sandbox, today: dt.date
) -> None:
    rec = Recorder(http, sandbox)
    _token_flow(rec, sandbox)
    _user(rec, sandbox)
    _items(rec, sandbox)
    _str(rec, sandbox, today)
    _messenger(rec, sandbox)

    assert rec.problems == []
    for operation_id in OPERATIONS_WE_CALL:
        documented = {int(s) for s in specs.operation(operation_id).responses if s != "default"}
        documented.discard(WEBHOOK_NOTIFICATION_STATUS if operation_id == "postWebhookV3" else 0)
        assert documented <= rec.seen[operation_id], (operation_id, rec.seen[operation_id])
    assert {400, 401, 500} <= rec.seen["getItemsInfo"]  # flat "default" errors
    assert 403 in rec.seen["getItemInfo"]

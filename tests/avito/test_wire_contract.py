"""Every request the client actually puts on the wire validates against Avito's specs.

A pass-through transport records each request on its way to the real sandbox; each one is
matched to its spec operation and its path parameters, query, media type and body are
validated with `avito_sync.local.avito_spec`.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import parse_qsl

import httpx

from avito_sync.avito.models import (
    BaseParams,
    CalendarBooking,
    Fees,
    InstantBooking,
    Interval,
    PetsFee,
    PriceItem,
)
from avito_sync.avito.stats import track_calls
from avito_sync.local import avito_spec as specs
from tests.avito.browser import consent
from tests.avito.conftest import private_client, sandbox_settings
from tests.avito.tokens import ConnectionTokens
from tests.fixtures.sandbox import Sandbox
from tests.support.avito import OPERATIONS_WE_CALL


class RecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _path_params(template: str, path: str) -> dict[str, str]:
    pattern = re.sub(r"\\\{([^}/]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template.rstrip("/")))
    match = re.fullmatch(pattern, path.rstrip("/"))
    assert match is not None, (template, path)
    return match.groupdict()


MESSENGER_CONSENT = (
    "user:read",
    "short_term_rent:read",
    "short_term_rent:write",
    "items:info",
    "messenger:read",
    "messenger:write",
)
GRANTS = {
    "client_credentials": "getAccessToken",
    "authorization_code": "getAccessTokenAuthorizationCode",
    "refresh_token": "refreshAccessTokenAuthorizationCode",
}


def operation_of(request: httpx.Request) -> specs.Operation | None:
    """The spec operation; auth.json's three `/token` entries differ only by grant type."""
    op = specs.find_operation(request.method, request.url.path)
    if op is not None and op.path == "/token":
        grant = dict(parse_qsl(request.content.decode())).get("grant_type", "")
        return specs.operation(GRANTS[grant]) if grant in GRANTS else None
    return op


def contract_problems(request: httpx.Request) -> list[str]:
    op = operation_of(request)
    if op is None:
        return [f"{request.method} {request.url.path} is not an operation of the specs"]
    problems = specs.validate_path(op.operation_id, _path_params(op.path, request.url.path))
    problems += specs.validate_query(op.operation_id, dict(request.url.params))
    media = request.headers.get("content-type", "").split(";")[0] or None
    if op.request_media_type != media and (op.request_media_type or request.content):
        problems.append(f"media type {media}, spec says {op.request_media_type}")
    if media == "application/json":
        problems += specs.validate_request_body(op.operation_id, json.loads(request.content))
    elif media == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
        problems += specs.validate_request_body(op.operation_id, form)
    if op.path != "/token" and not request.headers.get("authorization", "").startswith("Bearer "):
        problems.append("no bearer token")
    return [f"{op.operation_id}: {p}" for p in problems]


async def test_every_operation_sends_spec_valid_requests(sandbox: Sandbox) -> None:
    today = sandbox.control.today()
    recorder = RecordingTransport()
    async with private_client(sandbox_settings(sandbox), transport=recorder) as client:
        _, query = await consent(client.authorize_url("s", scopes=MESSENGER_CONSENT))
        token = await client.exchange_code(query["code"])
        auth = ConnectionTokens(client, token, "acct")
        await client.client_credentials()
        await auth.access_token(force_refresh=True)  # refresh grant
        await client.get_self(auth)
        await client.list_items(auth, status=["active", "old"])
        await client.get_item_info(auth, sandbox.account_id, sandbox.item_id)
        await client.get_bookings(
            auth, sandbox.account_id, sandbox.item_id, today, today + timedelta(30)
        )
        await client.post_core_bookings(
            auth,
            sandbox.account_id,
            sandbox.item_id,
            [CalendarBooking(date_start=today, date_end=today + timedelta(2), type="manual")],
        )
        await client.post_prices(
            auth,
            sandbox.account_id,
            sandbox.item_id,
            [PriceItem(date_from=today, date_to=today, night_price=4000, minimal_duration=2)],
        )
        await client.post_intervals(
            auth,
            sandbox.item_id,
            [Interval(date_start=today, date_end=today + timedelta(9), open=1)],
        )
        await client.post_base_params(
            auth,
            sandbox.item_id,
            BaseParams(
                night_price=None,
                instant=InstantBooking(active=False, max_days=None),
                fees=Fees(pets=PetsFee(allowed=True, amount=500, application="by_night")),
            ),
        )
        chat = sandbox.control.guest_message(sandbox.item_id, "Свободно?", deliver=False)
        messenger, account = client.messenger, sandbox.account_id
        await messenger.get_chats(auth, account, item_ids=[sandbox.item_id], limit=50, offset=0)
        await messenger.get_messages(auth, account, chat["chat_id"], limit=20, offset=0)
        await messenger.send_message(auth, account, chat["chat_id"], "Да, свободно")
        await messenger.read_chat(auth, account, chat["chat_id"])
        await messenger.subscribe_webhook(auth, "http://127.0.0.1:9/avito/messenger/webhook/t")
        await messenger.unsubscribe_webhook(auth, "http://127.0.0.1:9/avito/messenger/webhook/t")
        sandbox.control.expire_tokens(access_token=auth.current_access_token)
        with track_calls() as calls:
            await client.get_self(auth)  # 403, refresh, retry
        assert calls.requests == 3

    operations = [operation_of(r) for r in recorder.requests]
    assert {op.operation_id for op in operations if op is not None} == set(OPERATIONS_WE_CALL)
    assert [p for r in recorder.requests for p in contract_problems(r)] == []


def test_the_wire_check_catches_a_drifted_request() -> None:
    drifted = httpx.Request(
        "POST",
        "http://127.0.0.1/realty/v1/items/intervals",
        json={"item_id": "4012345678", "intervals": [{"date_start": "tomorrow", "open": 1}]},
        headers={"Authorization": "Bearer x"},
    )
    problems = contract_problems(drifted)
    assert any("item_id" in p for p in problems)
    assert any("date_start" in p for p in problems)
    unknown = httpx.Request("POST", "http://127.0.0.1/realty/v1/1/items/2/intervals")
    assert contract_problems(unknown) != []

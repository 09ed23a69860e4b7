"""Retries against injected faults: bounded attempts, Retry-After, timeouts, refused
connections and malformed bodies, and which operations may be repeated at all."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from avito_sync.avito.auth import StaticToken
from avito_sync.avito.client import AvitoClient
from avito_sync.avito.errors import (
    MalformedResponseError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from avito_sync.avito.models import BaseParams, CalendarBooking, Interval, PriceItem
from avito_sync.avito.stats import track_calls
from tests.avito.conftest import private_client, sandbox_settings
from tests.fixtures.sandbox import Sandbox

MAX_ATTEMPTS = 3


class RecordingSleep:
    """Records the delays the client asks for instead of waiting them out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def fast(sandbox: Sandbox, sleeps: RecordingSleep) -> AsyncIterator[AvitoClient]:
    settings = sandbox_settings(
        sandbox,
        max_attempts=MAX_ATTEMPTS,
        read_timeout_seconds=0.5,
        backoff_base_seconds=0.2,
        backoff_max_seconds=1.0,
        max_retry_after_seconds=10,
    )
    async with private_client(settings, sleep=sleeps) as client:
        yield client


@pytest.fixture
async def auth(fast: AvitoClient, sandbox: Sandbox) -> StaticToken:
    token = await fast.client_credentials()
    return StaticToken(token.access_token.get_secret_value(), "demo")


@pytest.fixture
def today(sandbox: Sandbox) -> date:
    return sandbox.control.today()


def _statuses(sandbox: Sandbox, operation_id: str) -> list[int]:
    return [r.status for r in sandbox.control.requests() if r.operation_id == operation_id]


async def test_transient_5xx_on_a_read_is_retried(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox, sleeps: RecordingSleep, today: date
) -> None:
    sandbox.control.add_fault("getRealtyBookings", error_rates={503: 1.0}, times=2)
    with track_calls() as calls:
        await fast.get_bookings(auth, sandbox.account_id, sandbox.item_id, today, today)
    assert (calls.requests, calls.retries) == (3, 2)
    assert _statuses(sandbox, "getRealtyBookings") == [503, 503, 200]
    assert len(sleeps.delays) == 2
    assert 0.1 <= sleeps.delays[0] <= 0.2
    assert 0.2 <= sleeps.delays[1] <= 0.4


async def test_persistent_5xx_gives_up_after_max_attempts(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox
) -> None:
    sandbox.control.add_fault("getUserInfoSelf", error_rates={500: 1.0})
    with track_calls() as calls, pytest.raises(ServerError) as info:
        await fast.get_self(auth)
    assert info.value.status == 500
    assert calls.requests == MAX_ATTEMPTS
    assert _statuses(sandbox, "getUserInfoSelf") == [500] * MAX_ATTEMPTS


async def test_429_honours_retry_after(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox, sleeps: RecordingSleep
) -> None:
    sandbox.control.add_fault("getUserInfoSelf", rate_limit_rate=1.0, retry_after=4, times=1)
    await fast.get_self(auth)
    assert sleeps.delays == [4.0]
    assert _statuses(sandbox, "getUserInfoSelf") == [429, 200]


async def test_429_without_retry_after_backs_off(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox, sleeps: RecordingSleep
) -> None:
    sandbox.control.add_fault("getUserInfoSelf", rate_limit_rate=1.0)
    with pytest.raises(RateLimitedError) as info:
        await fast.get_self(auth)
    assert info.value.retry_after is None
    assert len(sleeps.delays) == MAX_ATTEMPTS - 1
    assert all(0.1 <= d <= 1.0 for d in sleeps.delays)


async def test_a_retry_after_longer_than_we_wait_is_raised_at_once(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox, sleeps: RecordingSleep
) -> None:
    sandbox.control.add_fault("getUserInfoSelf", rate_limit_rate=1.0, retry_after=600)
    with track_calls() as calls, pytest.raises(RateLimitedError) as info:
        await fast.get_self(auth)
    assert info.value.retry_after == 600
    assert calls.requests == 1
    assert sleeps.delays == []


async def test_a_read_timeout_is_retried(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox, today: date
) -> None:
    sandbox.control.add_fault("getRealtyBookings", timeout_rate=1.0, timeout_seconds=5, times=1)
    with track_calls() as calls:
        bookings = await fast.get_bookings(auth, sandbox.account_id, sandbox.item_id, today, today)
    assert bookings == []
    assert calls.requests == 2


async def test_persistent_timeouts_raise_transport_error(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox
) -> None:
    sandbox.control.add_fault("getUserInfoSelf", timeout_rate=1.0, timeout_seconds=5)
    with track_calls() as calls, pytest.raises(TransportError) as info:
        await fast.get_self(auth)
    assert info.value.status is None
    assert "ReadTimeout" in str(info.value)
    assert calls.requests == MAX_ATTEMPTS


async def test_full_state_writes_are_retried(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox, today: date
) -> None:
    sandbox.control.add_fault("putIntervals", error_rates={503: 1.0}, times=1)
    sandbox.control.add_fault("postBaseParams", error_rates={500: 1.0}, times=1)
    with track_calls() as calls:
        await fast.post_intervals(
            auth,
            sandbox.item_id,
            [Interval(date_start=today, date_end=today + timedelta(1), open=1)],
        )
        await fast.post_base_params(auth, sandbox.item_id, BaseParams(night_price=2000))
    assert calls.by_operation == {"post_intervals": 2, "post_base_params": 2}
    base = sandbox.control.base_params(sandbox.item_id)
    assert base is not None
    assert base["night_price"] == 2000


async def test_a_price_write_is_never_repeated_in_place(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox, today: date
) -> None:
    # A retry could land on a request that arrived meanwhile and turn it into overbook; the
    # sync retries later, after reading the bookings again.
    sandbox.control.add_fault("postRealtyPrices", error_rates={503: 1.0}, times=1)
    price = [PriceItem(date_from=today, date_to=today, night_price=2100)]
    with track_calls() as calls, pytest.raises(ServerError):
        await fast.post_prices(auth, sandbox.account_id, sandbox.item_id, price)
    assert calls.by_operation == {"post_prices": 1}
    assert sandbox.control.prices(sandbox.item_id, today, today) == []


async def test_core_bookings_are_not_repeated_after_5xx_or_timeout(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox, today: date
) -> None:
    closure = [CalendarBooking(date_start=today, date_end=today + timedelta(2))]
    sandbox.control.add_fault("putBookingsInfo", error_rates={503: 1.0}, times=1)
    with track_calls() as calls, pytest.raises(ServerError):
        await fast.post_core_bookings(auth, sandbox.account_id, sandbox.item_id, closure)
    assert calls.requests == 1
    sandbox.control.add_fault("putBookingsInfo", timeout_rate=1.0, timeout_seconds=5, times=1)
    with track_calls() as calls, pytest.raises(TransportError):
        await fast.post_core_bookings(auth, sandbox.account_id, sandbox.item_id, closure)
    assert calls.requests == 1


async def test_core_bookings_are_repeated_after_a_429(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox, today: date
) -> None:
    sandbox.control.add_fault("putBookingsInfo", rate_limit_rate=1.0, times=1)
    closure = [CalendarBooking(date_start=today, date_end=today + timedelta(2))]
    await fast.post_core_bookings(auth, sandbox.account_id, sandbox.item_id, closure)
    assert _statuses(sandbox, "putBookingsInfo") == [429, 200]
    days = sandbox.control.calendar(sandbox.item_id, today, today + timedelta(1))
    assert all(d.closed_by == "closure" for d in days)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize("write", [False, True])
async def test_refused_connections_are_retried_then_transport_error(
    sandbox: Sandbox, sleeps: RecordingSleep, today: date, write: bool
) -> None:
    settings = sandbox_settings(
        sandbox, api_base_url=f"http://127.0.0.1:{_closed_port()}", max_attempts=MAX_ATTEMPTS
    )
    auth = StaticToken("any-token-value", "demo")
    async with private_client(settings, sleep=sleeps) as client:
        # Never reached Avito, so even core bookings may be repeated.
        call = (
            client.post_core_bookings(
                auth, 1, 2, [CalendarBooking(date_start=today, date_end=today + timedelta(1))]
            )
            if write
            else client.get_self(auth)
        )
        with track_calls() as calls, pytest.raises(TransportError) as info:
            await call
    assert "ConnectError" in str(info.value)
    assert calls.requests == MAX_ATTEMPTS


async def test_malformed_success_body_is_a_clear_error(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox, today: date
) -> None:
    sandbox.control.add_fault("getRealtyBookings", malformed_rate=1.0, malformed_status=200)
    with track_calls() as calls, pytest.raises(MalformedResponseError) as info:
        await fast.get_bookings(auth, sandbox.account_id, sandbox.item_id, today, today)
    assert info.value.status == 200
    assert "not JSON" in str(info.value)
    assert "get_bookings" in str(info.value)
    assert calls.requests == 1


async def test_malformed_gateway_error_is_retried_then_server_error(
    fast: AvitoClient, auth: StaticToken, sandbox: Sandbox
) -> None:
    sandbox.control.add_fault("getUserInfoSelf", malformed_rate=1.0, malformed_status=502)
    with track_calls() as calls, pytest.raises(ServerError) as info:
        await fast.get_self(auth)
    assert info.value.status == 502
    assert "not JSON" in str(info.value)
    assert calls.requests == MAX_ATTEMPTS

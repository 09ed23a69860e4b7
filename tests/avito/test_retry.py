"""Backoff schedule bounds and the retry decisions per request kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from avito_sync.avito.errors import RateLimitHeaders
from avito_sync.avito.retry import (
    RetryMode,
    RetryPolicy,
    parse_rate_limit_headers,
    parse_retry_after,
    retryable_exception,
    retryable_status,
)

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 10),
    base_seconds=st.floats(0.001, 10),
    max_seconds=st.floats(10, 600),
    max_retry_after_seconds=st.floats(0, 3600),
)
rands = st.floats(0, 1, exclude_max=True)


@given(policies, st.integers(1, 200), rands)
def test_backoff_is_bounded_by_the_exponential_step_and_the_cap(
    policy: RetryPolicy, failures: int, rand: float
) -> None:
    delay = policy.backoff(failures, rand)
    step = min(policy.max_seconds, policy.base_seconds * 2 ** min(failures - 1, 30))
    assert step / 2 <= delay <= step
    assert delay <= policy.max_seconds


@given(policies, st.integers(1, 20), rands)
def test_backoff_never_shrinks_as_failures_grow(
    policy: RetryPolicy, failures: int, rand: float
) -> None:
    assert policy.backoff(failures + 1, rand) >= policy.backoff(failures, rand)


@given(policies, st.integers(1, 50), rands)
def test_attempts_are_bounded(policy: RetryPolicy, failures: int, rand: float) -> None:
    delay = policy.next_delay(failures, rand, RateLimitHeaders())
    assert (delay is None) == (failures >= policy.max_attempts)


@given(policies, rands, st.floats(0, 7200))
def test_retry_after_is_honoured_or_ends_retries(
    policy: RetryPolicy, rand: float, retry_after: float
) -> None:
    assume(policy.max_attempts > 1)
    delay = policy.next_delay(1, rand, RateLimitHeaders(retry_after=retry_after))
    if retry_after > policy.max_retry_after_seconds:
        assert delay is None
    else:
        assert delay is not None
        assert delay >= retry_after


def test_exhausted_per_minute_quota_waits_for_one_slot() -> None:
    policy = RetryPolicy(
        max_attempts=4, base_seconds=0.1, max_seconds=30, max_retry_after_seconds=60
    )
    delay = policy.next_delay(1, 0.0, RateLimitHeaders(limit=25, remaining=0))
    assert delay == pytest.approx(60 / 25)


@pytest.mark.parametrize(
    ("mode", "status", "expected"),
    [
        (RetryMode.SAFE, 429, True),
        (RetryMode.SAFE, 500, True),
        (RetryMode.SAFE, 503, True),
        (RetryMode.SAFE, 404, False),
        (RetryMode.SAFE, 422, False),
        (RetryMode.UNPROCESSED_ONLY, 429, True),
        (RetryMode.UNPROCESSED_ONLY, 500, False),
        (RetryMode.NEVER, 429, False),
        (RetryMode.NEVER, 503, False),
    ],
)
def test_retryable_status(mode: RetryMode, status: int, expected: bool) -> None:
    assert retryable_status(mode, status) is expected


def test_retryable_exceptions() -> None:
    request = httpx.Request("GET", "http://127.0.0.1/")
    refused = httpx.ConnectError("refused", request=request)
    read_timeout = httpx.ReadTimeout("slow", request=request)
    assert retryable_exception(RetryMode.SAFE, read_timeout)
    assert retryable_exception(RetryMode.UNPROCESSED_ONLY, refused)
    assert not retryable_exception(RetryMode.UNPROCESSED_ONLY, read_timeout)
    assert not retryable_exception(RetryMode.NEVER, refused)


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("5", now) == 5.0
    assert parse_retry_after(" 2.5 ", now) == 2.5
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert parse_retry_after("-3", now) == 0
    for bad in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(bad, now) is None


def test_parse_rate_limit_headers() -> None:
    headers = httpx.Headers(
        {"Retry-After": "3", "X-RateLimit-Limit": "25", "X-RateLimit-Remaining": "x"}
    )
    hints = parse_rate_limit_headers(headers)
    assert (hints.retry_after, hints.limit, hints.remaining) == (3.0, 25, None)

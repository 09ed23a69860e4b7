"""Retry decisions and the backoff schedule, kept pure so they can be property-tested.

Which failures are retried depends on whether repeating the request is safe:
reads and full-state writes (intervals, prices, base params) can be repeated at will; core
bookings and the refresh grant are retried only when Avito surely did not act on the first try
(429, or the connection never opened), because a lost answer may hide an applied change or a
rotated refresh token; a code exchange is never repeated (codes are single-use).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from avito_sync.avito.errors import RateLimitHeaders

_MAX_EXPONENT = 30


class RetryMode(enum.Enum):
    SAFE = "safe"
    UNPROCESSED_ONLY = "unprocessed_only"
    NEVER = "never"


# Failures where the request never reached Avito's application logic.
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def retryable_status(mode: RetryMode, status: int) -> bool:
    if mode is RetryMode.NEVER:
        return False
    if status == 429:
        return True
    return mode is RetryMode.SAFE and status >= 500


def retryable_exception(mode: RetryMode, exc: httpx.TransportError) -> bool:
    if mode is RetryMode.NEVER:
        return False
    return mode is RetryMode.SAFE or isinstance(exc, _UNSENT)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float
    max_retry_after_seconds: float

    def backoff(self, failures: int, rand: float) -> float:
        """Equal-jitter exponential backoff after `failures` (≥ 1) failed attempts;
        `rand` in [0, 1). Half the step is fixed so retries never hammer, half is jitter."""
        step = min(self.max_seconds, self.base_seconds * 2.0 ** min(failures - 1, _MAX_EXPONENT))
        return step / 2 + rand * step / 2

    def next_delay(self, failures: int, rand: float, hints: RateLimitHeaders) -> float | None:
        """Seconds to wait before the next attempt, or None to give up.

        A Retry-After is honoured (never undercut) but one longer than
        `max_retry_after_seconds` ends the retries: the caller can reschedule the work
        instead of holding a worker. Without it, a per-minute `X-RateLimit-Limit` sets the
        floor to the time one request's worth of quota takes to come back.
        """
        if failures >= self.max_attempts:
            return None
        delay = self.backoff(failures, rand)
        if hints.retry_after is not None:
            if hints.retry_after > self.max_retry_after_seconds:
                return None
            return max(delay, hints.retry_after)
        if hints.limit and hints.limit > 0 and hints.remaining == 0:
            delay = max(delay, min(60.0 / hints.limit, self.max_seconds))
        return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or HTTP-date); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _int_header(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


def parse_rate_limit_headers(
    headers: Mapping[str, str], now: datetime | None = None
) -> RateLimitHeaders:
    return RateLimitHeaders(
        retry_after=parse_retry_after(headers.get("retry-after"), now),
        limit=_int_header(headers.get("x-ratelimit-limit")),
        remaining=_int_header(headers.get("x-ratelimit-remaining")),
    )

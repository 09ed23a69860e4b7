"""Client-side rate limiting: token buckets per application, per Avito account, per endpoint.

Avito documents 25 requests/minute for the items list and nothing for the STR endpoints, so
every request draws from the application's bucket and its account's bucket, and items-list
requests also from that account's items bucket. Buckets hand out reservations (the balance may
go negative), so waiters are served in arrival order without a lock: the event loop runs
`reserve` atomically. One `RateLimiter` per application and configuration is shared by every
client in the process (`shared_rate_limiter`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from avito_sync.avito.settings import AvitoSettings

ITEMS_ENDPOINT = "items"
_PRUNE_ABOVE = 1024


class TokenBucket:
    """`rate` tokens per second up to `capacity`; any window of W seconds admits at most
    `capacity + rate * W` requests."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._updated = now

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now

    def reserve(self, now: float) -> float:
        """Take one token; return how long to wait (from `now`) before using it."""
        self._refill(now)
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def is_full(self, now: float) -> bool:
        self._refill(now)
        return self._tokens >= self.capacity


@dataclass(frozen=True)
class BucketSpec:
    rate_per_second: float
    burst: int


@dataclass(frozen=True)
class RateLimits:
    app: BucketSpec
    account: BucketSpec
    items: BucketSpec

    @classmethod
    def from_settings(cls, settings: AvitoSettings) -> RateLimits:
        return cls(
            app=BucketSpec(settings.app_rate_per_second, settings.app_burst),
            account=BucketSpec(settings.account_rate_per_second, settings.account_burst),
            items=BucketSpec(settings.items_rate_per_minute / 60.0, settings.items_burst),
        )


class RateLimiter:
    def __init__(
        self,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._app = TokenBucket(limits.app.rate_per_second, limits.app.burst, clock())
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def _bucket(self, kind: str, account_key: str, spec: BucketSpec, now: float) -> TokenBucket:
        key = (kind, account_key)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _PRUNE_ABOVE:
                self._prune(now)
            bucket = self._buckets[key] = TokenBucket(spec.rate_per_second, spec.burst, now)
        return bucket

    def _prune(self, now: float) -> None:
        # A full bucket behaves exactly like a new one, so dropping it loses nothing.
        for key in [k for k, b in self._buckets.items() if b.is_full(now)]:
            del self._buckets[key]

    def reserve(self, account_key: str | None, *, endpoint: str | None = None) -> float:
        """Reserve a slot in every bucket the request draws from; return the wait."""
        now = self._clock()
        waits = [self._app.reserve(now)]
        if account_key is not None:
            waits.append(
                self._bucket("account", account_key, self.limits.account, now).reserve(now)
            )
            if endpoint == ITEMS_ENDPOINT:
                items = self._bucket(ITEMS_ENDPOINT, account_key, self.limits.items, now)
                waits.append(items.reserve(now))
        return max(waits)

    async def acquire(self, account_key: str | None, *, endpoint: str | None = None) -> float:
        """Wait for a slot; return the seconds waited."""
        wait = self.reserve(account_key, endpoint=endpoint)
        if wait > 0:
            await self._sleep(wait)
        return wait


def account_quiet_seconds(settings: AvitoSettings) -> float:
    """How long an account must go without a request from one process before another process
    may send for it: by then the first one's bucket would be full again, so the requests of
    both together still fit one bucket (the queue's claims enforce it across workers)."""
    return settings.account_burst / settings.account_rate_per_second


_SHARED: dict[tuple[str, RateLimits], RateLimiter] = {}


def shared_rate_limiter(settings: AvitoSettings) -> RateLimiter:
    """The process-wide limiter for this application (API base URL + client id) and limits."""
    key = (f"{settings.api_base_url}#{settings.client_id}", RateLimits.from_settings(settings))
    limiter = _SHARED.get(key)
    if limiter is None:
        limiter = _SHARED[key] = RateLimiter(key[1])
    return limiter

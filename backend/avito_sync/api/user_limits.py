"""Per-user request limits for the actions that cost something: a sync (Avito calls), an
authorize URL (a state row) and saved connect progress (a row write).

A token bucket per (user, action) in process memory: `burst` requests at once, refilled
evenly over `window` seconds. Several service processes each keep their own buckets, so the
effective limit is per process; that bounds abuse, which is all it is for.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from avito_sync.api.errors import ApiError, ErrorCode

DEFAULT_LIMITS = "sync=20/60,oauth-url=10/600,progress-save=60/60"
LIMITED_ACTIONS = frozenset({"sync", "oauth-url", "progress-save"})
ALIASES = {"initial-sync": "sync"}
_MAX_KEYS = 10_000


@dataclass(frozen=True)
class Limit:
    burst: int
    window: float

    @property
    def rate(self) -> float:
        """Tokens regained per second."""
        return self.burst / self.window


def parse_limits(text: str) -> dict[str, Limit]:
    """`action=burst/seconds,...`; every action named must be one that is limited."""
    limits: dict[str, Limit] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, spec = part.partition("=")
        burst, _, window = spec.partition("/")
        name = name.strip()
        if name not in LIMITED_ACTIONS:
            known = ", ".join(sorted(LIMITED_ACTIONS))
            raise ValueError(f"unknown action {name!r} (limited: {known})")
        try:
            limit = Limit(int(burst), float(window))
        except ValueError as error:
            raise ValueError(f"{name}: expected burst/seconds") from error
        if not 1 <= limit.burst <= 10_000 or not 1 <= limit.window <= 86_400:
            raise ValueError(f"{name}: burst 1..10000, seconds 1..86400")
        limits[name] = limit
    return limits


@dataclass
class _Bucket:
    tokens: float
    at: float


class UserLimits:
    """`retry_after(user, action)`: None when the request may go ahead (and is counted),
    else the whole seconds until one more is allowed."""

    def __init__(
        self, limits: Mapping[str, Limit], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limits = dict(limits)
        self._clock = clock
        self._buckets: dict[tuple[uuid.UUID, str], _Bucket] = {}

    def retry_after(self, user_id: uuid.UUID, action: str) -> int | None:
        action = ALIASES.get(action, action)
        limit = self._limits.get(action)
        if limit is None:
            return None
        now = self._clock()
        key = (user_id, action)
        bucket = self._buckets.get(key)
        if bucket is None:
            self._prune(now)
            bucket = self._buckets[key] = _Bucket(float(limit.burst), now)
        bucket.tokens = min(float(limit.burst), bucket.tokens + (now - bucket.at) * limit.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) / limit.rate))

    def _prune(self, now: float) -> None:
        """Forget buckets that have refilled completely once there are many."""
        if len(self._buckets) < _MAX_KEYS:
            return
        for key, bucket in list(self._buckets.items()):
            limit = self._limits[key[1]]
            if bucket.tokens + (now - bucket.at) * limit.rate >= limit.burst:
                del self._buckets[key]


def enforce(limits: UserLimits, user_id: uuid.UUID, action: str) -> None:
    """Raise 429 RATE_LIMITED (with Retry-After) when the user is over the action's limit."""
    wait = limits.retry_after(user_id, action)
    if wait is not None:
        raise ApiError(ErrorCode.RATE_LIMITED, retry_after=wait)

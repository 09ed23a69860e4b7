"""Counting the HTTP requests sent to Avito, per unit of work chosen by the caller.

    with track_calls() as calls:
        await client.get_bookings(...)
        await client.post_intervals(...)
    record(calls.requests, calls.retries)

Tracking lives in a context variable, so it follows the work into awaited coroutines and into
tasks started inside the block, and nested blocks each see their own totals. Every attempt
counts (retries included): that is what Avito's quotas count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)


_ACTIVE: ContextVar[tuple[CallStats, ...]] = ContextVar("avito_call_stats", default=())


@contextmanager
def track_calls() -> Iterator[CallStats]:
    stats = CallStats()
    token = _ACTIVE.set((*_ACTIVE.get(), stats))
    try:
        yield stats
    finally:
        _ACTIVE.reset(token)


def record_request(operation: str, *, retry: bool) -> None:
    for stats in _ACTIVE.get():
        stats.requests += 1
        stats.retries += int(retry)
        stats.by_operation[operation] += 1

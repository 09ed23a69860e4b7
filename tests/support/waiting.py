"""Bounded waits for conditions that other processes or threads make true (never a sleep)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

import pytest


async def wait_for(
    condition: Callable[[], bool | Awaitable[bool]],
    limit: float = 15.0,
    what: str = "",
    *,
    every: float = 0.05,
) -> None:
    """Poll `condition` (sync or async) until true; fail after `limit` seconds (a bound, not a
    measurement)."""
    deadline = time.monotonic() + limit
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {limit} s waiting for {what or 'a condition'}")
        await asyncio.sleep(every)

"""Injected faults: latency, error statuses, 429s, hangs, holds and non-JSON bodies.

Every API handler calls :func:`inject` first; a returned response replaces the real one, so a
faulted write changes nothing (as when Avito fails before applying a request). Rules marked
``after_apply`` instead let the request take effect and replace only its answer. A ``hold``
rule keeps the request (or, after apply, its answer) waiting until the control API releases it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from avito_sync.local import avito_spec as specs
from avito_sync.local.sandbox.errors import Family, error_body
from avito_sync.local.sandbox.schemas import FaultRule
from avito_sync.local.sandbox.state import Runtime, SandboxState

MALFORMED_BODY = "<html><body><h1>Bad Gateway</h1>upstream sent an invalid response</body></html>"
_DISCONNECT_POLL_SECONDS = 0.05
LATE_FAULT = "late_fault"
LATE_HOLD = "late_hold"


def matches(rule: FaultRule, operation_id: str, path: str) -> bool:
    if rule.target in {"*", operation_id, path}:
        return True
    op = specs.operations().get(operation_id)
    return op is not None and rule.target == op.path


def _latency_seconds(rule: FaultRule, state: SandboxState) -> float:
    if rule.latency is None:
        return 0.0
    if rule.latency.fixed_ms is not None:
        return rule.latency.fixed_ms / 1000
    low, high = rule.latency.min_ms or 0.0, rule.latency.max_ms or 0.0
    return state.runtime.rng.uniform(low, high) / 1000


def _outcome(rule: FaultRule, state: SandboxState) -> tuple[str, int] | None:
    """Draw one outcome: ("timeout"|"rate_limit"|"error"|"malformed", status), or none."""
    draw = state.runtime.rng.random()
    cumulative = 0.0
    choices: list[tuple[float, tuple[str, int]]] = [
        (rule.timeout_rate, ("timeout", 504)),
        (rule.rate_limit_rate, ("rate_limit", 429)),
        *((rate, ("error", status)) for status, rate in sorted(rule.error_rates.items())),
        (rule.malformed_rate, ("malformed", rule.malformed_status)),
    ]
    for rate, outcome in choices:
        cumulative += rate
        if rate > 0 and draw < cumulative:
            return outcome
    return None


async def _hang(request: Request, seconds: float) -> None:
    """Hold the request open (longer than the client's timeout) until it hangs up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await request.is_disconnected():
            return
        await asyncio.sleep(_DISCONNECT_POLL_SECONDS)


def active(rule: FaultRule, fault_id: int, state: SandboxState) -> bool:
    """False once a ``for_seconds`` window has passed (judged by the sandbox clock)."""
    added = state.runtime.fault_added.get(fault_id)
    if rule.for_seconds is None or added is None:
        return True
    return state.now() < added + dt.timedelta(seconds=rule.for_seconds)


async def _wait_at_gate(runtime: Runtime, fault_id: int, seconds: float) -> None:
    """Wait until the hold rule is released (or deleted, or the sandbox reset), at most
    `seconds`."""
    gate = runtime.gates.setdefault(fault_id, asyncio.Event())
    runtime.waiting[fault_id] = runtime.waiting.get(fault_id, 0) + 1
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(gate.wait(), seconds)
    finally:
        runtime.waiting[fault_id] -= 1


def _rate_limited(family: Family, rule: FaultRule) -> Response:
    headers = {"X-RateLimit-Limit": "25", "X-RateLimit-Remaining": "0"}
    if rule.retry_after is not None:
        headers["Retry-After"] = str(rule.retry_after)
    body: dict[str, object] = (
        {} if family == "flat" else error_body(family, 429, "Too many requests")
    )
    return JSONResponse(body, status_code=429, headers=headers)


async def _respond(
    request: Request, rule: FaultRule, family: Family, kind: str, status: int
) -> Response:
    if kind == "timeout":
        await _hang(request, rule.timeout_seconds)
        return Response(MALFORMED_BODY, status_code=504, media_type="text/html")
    if kind == "rate_limit":
        return _rate_limited(family, rule)
    if kind == "error":
        return JSONResponse(error_body(family, status, "Injected fault"), status_code=status)
    return Response(MALFORMED_BODY, status_code=status, media_type="text/html")


async def inject(
    request: Request, state: SandboxState, operation_id: str, family: Family
) -> Response | None:
    """Apply the matching active rules in order; the first drawn outcome wins.

    An ``after_apply`` outcome is parked for :class:`LateFaults`: the request takes effect and
    only its answer is replaced, as when Avito applies a write and the response is lost.
    """
    delay = 0.0
    result: Response | None = None
    runtime = state.runtime
    info = request.scope.setdefault("state", {})
    # A copy: a hold awaits, and the rules may change meanwhile (removed ones are skipped).
    for fault_id, rule in list(runtime.faults.items()):
        hits = runtime.fault_hits.get(fault_id, 0)
        if (
            fault_id not in runtime.faults
            or (rule.times is not None and hits >= rule.times)
            or not matches(rule, operation_id, request.url.path)
            or not active(rule, fault_id, state)
        ):
            continue
        runtime.fault_hits[fault_id] = hits + 1
        delay += _latency_seconds(rule, state)
        if rule.hold:
            hold = functools.partial(_wait_at_gate, runtime, fault_id, rule.hold_seconds)
            info["fault"] = "hold-after-apply" if rule.after_apply else "hold"
            if rule.after_apply:
                info[LATE_HOLD] = hold
            else:
                await hold()
        outcome = _outcome(rule, state)
        if outcome is None:
            continue
        kind, status = outcome
        info["fault"] = f"{kind}:{status}{'-after-apply' if rule.after_apply else ''}"
        if rule.after_apply:
            info[LATE_FAULT] = functools.partial(_respond, request, rule, family, kind, status)
        else:
            result = await _respond(request, rule, family, kind, status)
        break
    if delay > 0:
        info.setdefault("fault", f"latency:{round(delay * 1000)}ms")
        await asyncio.sleep(delay)
    return result


class LateFaults:
    """ASGI middleware for ``after_apply`` rules: holds a finished response until its rule is
    released, and swaps it for a parked fault."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        def parked() -> Callable[[], Awaitable[Response]] | None:
            late: Callable[[], Awaitable[Response]] | None = (scope.get("state") or {}).get(
                LATE_FAULT
            )
            return late

        def held() -> Callable[[], Awaitable[None]] | None:
            gate: Callable[[], Awaitable[None]] | None = (scope.get("state") or {}).get(LATE_HOLD)
            return gate

        buffered: list[Message] = []

        async def forward(message: Message) -> None:
            if parked() is not None:
                return
            if held() is not None:
                buffered.append(message)
            else:
                await send(message)

        await self.app(scope, receive, forward)
        gate = held()
        if gate is not None:
            await gate()
        late = parked()
        if late is not None:
            response = await late()
            await response(scope, receive, send)
        for message in buffered:
            await send(message)

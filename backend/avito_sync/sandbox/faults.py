"""Injected faults: latency, error statuses, 429s, hangs and non-JSON bodies.

Every API handler calls :func:`inject` first; a returned response replaces the real one, so a
faulted write changes nothing (as when Avito fails before applying a request).
"""

from __future__ import annotations

import asyncio
import time

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from avito_sync import specs
from avito_sync.sandbox.errors import Family, error_body
from avito_sync.sandbox.schemas import FaultRule
from avito_sync.sandbox.state import SandboxState

MALFORMED_BODY = "<html><body><h1>Bad Gateway</h1>upstream sent an invalid response</body></html>"
_DISCONNECT_POLL_SECONDS = 0.05


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
    """Draw one outcome for this request: ("timeout"|"429"|"error"|"malformed", status)."""
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


def _rate_limited(family: Family, rule: FaultRule) -> Response:
    headers = {"X-RateLimit-Limit": "25", "X-RateLimit-Remaining": "0"}
    if rule.retry_after is not None:
        headers["Retry-After"] = str(rule.retry_after)
    body: dict[str, object] = (
        {} if family == "flat" else error_body(family, 429, "Too many requests")
    )
    return JSONResponse(body, status_code=429, headers=headers)


async def inject(
    request: Request, state: SandboxState, operation_id: str, family: Family
) -> Response | None:
    """Apply the matching active rules in order; the first drawn outcome wins."""
    delay = 0.0
    result: Response | None = None
    runtime = state.runtime
    for fault_id, rule in runtime.faults.items():
        hits = runtime.fault_hits.get(fault_id, 0)
        if (rule.times is not None and hits >= rule.times) or not matches(
            rule, operation_id, request.url.path
        ):
            continue
        runtime.fault_hits[fault_id] = hits + 1
        delay += _latency_seconds(rule, state)
        outcome = _outcome(rule, state)
        if outcome is None:
            continue
        kind, status = outcome
        request.scope.setdefault("state", {})["fault"] = f"{kind}:{status}"
        if kind == "timeout":
            await _hang(request, rule.timeout_seconds)
            result = Response(MALFORMED_BODY, status_code=504, media_type="text/html")
        elif kind == "rate_limit":
            result = _rate_limited(family, rule)
        elif kind == "error":
            result = JSONResponse(error_body(family, status, "Injected fault"), status_code=status)
        else:
            result = Response(MALFORMED_BODY, status_code=status, media_type="text/html")
        break
    if delay > 0:
        request.scope.setdefault("state", {}).setdefault(
            "fault", f"latency:{round(delay * 1000)}ms"
        )
        await asyncio.sleep(delay)
    return result

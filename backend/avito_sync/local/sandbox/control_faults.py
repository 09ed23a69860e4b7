"""The control API's fault rules under ``/_sandbox/faults``: script Avito's failures (status
codes, delays, held requests) and see how often each rule fired."""

from __future__ import annotations

import asyncio
import datetime as dt

from fastapi import APIRouter, HTTPException, Request, Response

from avito_sync.local.sandbox.faults import active
from avito_sync.local.sandbox.gate import sandbox_state
from avito_sync.local.sandbox.schemas import FaultOut, FaultRule
from avito_sync.local.sandbox.state import SandboxState

router = APIRouter(prefix="/_sandbox", tags=["sandbox control"])


def _fault_out(state: SandboxState, fault_id: int, rule: FaultRule) -> FaultOut:
    runtime = state.runtime
    hits = runtime.fault_hits.get(fault_id, 0)
    added = runtime.fault_added.get(fault_id)
    ends_at = (
        added + dt.timedelta(seconds=rule.for_seconds)
        if added is not None and rule.for_seconds is not None
        else None
    )
    gate = runtime.gates.get(fault_id)
    return FaultOut(
        id=fault_id,
        rule=rule,
        hits=hits,
        spent=rule.times is not None and hits >= rule.times,
        ends_at=ends_at,
        ended=not active(rule, fault_id, state),
        held=runtime.waiting.get(fault_id, 0),
        released=gate is not None and gate.is_set(),
    )


@router.get("/faults")
async def list_faults(request: Request) -> list[FaultOut]:
    """Fault rules in evaluation order: how often each has fired, whether its window has
    ended, and how many requests wait at it (``hold``)."""
    state = sandbox_state(request)
    return [_fault_out(state, fault_id, rule) for fault_id, rule in state.runtime.faults.items()]


@router.post("/faults", status_code=201)
async def add_fault(request: Request, rule: FaultRule) -> FaultOut:
    """Add a fault rule (appended: earlier rules are evaluated first). ``for_seconds`` starts
    its window now; a ``hold`` rule keeps matching requests open until released."""
    state = sandbox_state(request)
    runtime = state.runtime
    fault_id = runtime.next_fault_id
    runtime.next_fault_id += 1
    runtime.faults[fault_id] = rule
    runtime.fault_added[fault_id] = state.now()
    if rule.hold:
        runtime.gates[fault_id] = asyncio.Event()
    return _fault_out(state, fault_id, rule)


@router.post("/faults/{fault_id}/release")
async def release_fault(request: Request, fault_id: int) -> FaultOut:
    """Let every request waiting at a ``hold`` rule go on; later matches are not held.

    404 for an unknown rule, 409 for a rule that does not hold.
    """
    state = sandbox_state(request)
    rule = state.runtime.faults.get(fault_id)
    if rule is None:
        raise HTTPException(404, f"no fault {fault_id}")
    if not rule.hold:
        raise HTTPException(409, f"fault {fault_id} does not hold requests")
    state.runtime.release_holds([fault_id])
    return _fault_out(state, fault_id, rule)


@router.delete("/faults/{fault_id}", status_code=204)
async def delete_fault(request: Request, fault_id: int) -> Response:
    """Remove one fault rule by id (requests it holds go on)."""
    runtime = sandbox_state(request).runtime
    if runtime.faults.pop(fault_id, None) is None:
        raise HTTPException(404, f"no fault {fault_id}")
    runtime.release_holds([fault_id])
    return Response(status_code=204)


@router.delete("/faults", status_code=204)
async def clear_faults(request: Request) -> Response:
    """Remove every fault rule (held requests go on)."""
    runtime = sandbox_state(request).runtime
    runtime.release_holds()
    runtime.faults.clear()
    runtime.fault_hits.clear()
    runtime.fault_added.clear()
    return Response(status_code=204)

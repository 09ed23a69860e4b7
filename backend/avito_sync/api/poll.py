"""`POST /v1/poll`: the pg_cron tick's target (supabase/migrations/20261127100300_sync_tick.sql).

pg_net sends the request from a single background worker that waits for every request of
its batch, so the endpoint answers 202 at once and runs the batch in the background. One
batch at a time per process: a tick that arrives while one runs is dropped, not queued (the
running batch already drains everything due). `delay_seconds` lets the per-minute job of
pg_cron 1.4 ask for six polls ten seconds apart.

The service wires it up with `app.state.poll_gate = PollGate(worker.run_once, secret)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from avito_sync.core.logs import get_logger

log = get_logger(__name__)

router = APIRouter()

MAX_SCHEDULED = 12
"""Delayed polls kept at once; more than two minutes' worth of 1.4 ticks is never useful."""


class PollRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    delay_seconds: int = Field(default=0, ge=0, le=59)


class PollAnswer(BaseModel):
    accepted: bool
    reason: Literal["started", "scheduled", "busy", "too_many_scheduled"]


class PollGate:
    """Single-flight runner of the worker's claim-and-run batch, with delayed starts."""

    def __init__(self, run_batch: Callable[[], Awaitable[object]], secret: str) -> None:
        if len(secret) < 32:
            raise ValueError("the poll secret must be at least 32 characters")
        self._run_batch = run_batch
        self._secret = secret.encode()
        self._batch: asyncio.Task[None] | None = None
        self._timers: set[asyncio.TimerHandle] = set()

    @property
    def scheduled(self) -> int:
        """Delayed polls not fired yet."""
        return len(self._timers)

    @property
    def busy(self) -> bool:
        return self._batch is not None and not self._batch.done()

    def authorized(self, authorization: str | None) -> bool:
        """Constant-time check of `Authorization: Bearer <secret>`."""
        scheme, _, presented = (authorization or "").partition(" ")
        valid_scheme = scheme.lower() == "bearer"
        return hmac.compare_digest(presented.strip().encode(), self._secret) and valid_scheme

    def request(self, delay_seconds: int = 0) -> PollAnswer:
        if delay_seconds > 0:
            if self.scheduled >= MAX_SCHEDULED:
                return PollAnswer(accepted=False, reason="too_many_scheduled")
            loop = asyncio.get_running_loop()
            handle: asyncio.TimerHandle

            def fire() -> None:
                self._timers.discard(handle)
                self._start()

            handle = loop.call_later(delay_seconds, fire)
            self._timers.add(handle)
            return PollAnswer(accepted=True, reason="scheduled")
        if self._start():
            return PollAnswer(accepted=True, reason="started")
        return PollAnswer(accepted=False, reason="busy")

    def _start(self) -> bool:
        if self.busy:
            return False
        self._batch = asyncio.create_task(self._run(), name="avito-sync-poll-batch")
        return True

    async def _run(self) -> None:
        try:
            await self._run_batch()
        except Exception:
            log.exception("poll_batch_failed")

    async def wait_idle(self) -> None:
        """Wait for the running batch (tests and shutdown)."""
        if self._batch is not None:
            await asyncio.wait({self._batch})

    async def aclose(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        if self._batch is not None and not self._batch.done():
            self._batch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._batch


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"code": code, "message": message})


@router.post("/v1/poll", status_code=202, response_model=PollAnswer)
async def poll(request: Request) -> JSONResponse:
    gate: PollGate | None = getattr(request.app.state, "poll_gate", None)
    if gate is None:
        return _error(503, "POLL_DISABLED", "This process does not run sync batches.")
    if not gate.authorized(request.headers.get("authorization")):
        return _error(401, "POLL_UNAUTHORIZED", "A valid poll secret is required.")
    raw = await request.body()
    try:
        body = PollRequest.model_validate_json(raw) if raw.strip() else PollRequest()
    except ValidationError:
        return _error(422, "POLL_INVALID", "Body must be JSON with delay_seconds 0..59.")
    answer = gate.request(body.delay_seconds)
    return JSONResponse(status_code=202, content=answer.model_dump())

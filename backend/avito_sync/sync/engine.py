"""One sync of one integration, from a claimed queue row to its recorded run.

context (account, listing, the property's day) → token → pull (Avito bookings into the app)
→ the app's rows for the year → plan → push what changed → one `avito_sync_runs` row, the
integration's badge state and the queue row's next time, all in one transaction
(`avito_private.record_sync_result`). The engine judges a run from the typed results
(`results.py`); the API edge translates them for the frontend.

Pull comes before the plan so that a booking made on Avito a second ago is already busy in
the intervals we push. When the pull fails nothing is pushed: pushing full-state intervals
computed without Avito's latest bookings could reopen dates a guest has just taken.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito.client import AvitoClient, BookingsAnswer
from avito_sync.avito.errors import AvitoError, ReconnectRequiredError, TokenExpiredError
from avito_sync.avito.stats import track_calls
from avito_sync.core.clock import Clock, utc_now
from avito_sync.core.logs import get_logger
from avito_sync.sync import queue, steady
from avito_sync.sync.failure_scope import failure_scope
from avito_sync.sync.inputs import SyncInputError, load_context, load_sync_input
from avito_sync.sync.models import DEFAULT_TIMEZONE
from avito_sync.sync.plan import DateRange, PlanInputError, build_plan, sync_window, today_in
from avito_sync.sync.pull import pull_bookings
from avito_sync.sync.push import push_plan
from avito_sync.sync.queue import ClaimedSync, PollTarget, Trigger
from avito_sync.sync.results import Outcome, PullResult, PushResult, SyncResult, run_counts
from avito_sync.sync.settings import SyncSettings
from avito_sync.sync.tokens import AccountTokens

log = get_logger(__name__)


class LeaseLostError(Exception):
    """The queue row's lease is no longer this worker's (expired and taken, or the row was
    removed): another sync may be running, so this one must not push."""


@dataclass(frozen=True, slots=True)
class _Prefetched:
    """The bookings call a steady-state poll made (its answer or its error), reused by the
    full sync that follows when the poll found a change."""

    target: PollTarget
    window: DateRange
    answer: BookingsAnswer | None
    error: BaseException | None
    calls: int

    def matches(self, user_id: int, item_id: int, window: DateRange) -> bool:
        return (self.target.avito_user_id, self.target.avito_item_id, self.window) == (
            user_id,
            item_id,
            window,
        )


@dataclass(frozen=True, slots=True)
class _Synced:
    pulled: PullResult
    pushed: PushResult
    stamp: int | None
    digest: str
    day: dt.date


class SyncEngine:
    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        client: AvitoClient,
        tokens: AccountTokens,
        settings: SyncSettings,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._pool = pool
        self._client = client
        self._tokens = tokens
        self._settings = settings
        self._clock = clock
        self._polls = steady.PollRecorder(
            pool,
            owner=settings.worker_id,
            full_push_every=settings.full_push_every,
            interval_seconds=settings.interval_seconds,
        )

    async def aclose(self) -> None:
        """Record the steady polls still waiting for their batch."""
        await self._polls.aclose()

    @property
    def owner(self) -> str:
        return self._settings.worker_id

    async def run_claimed(
        self,
        item: ClaimedSync,
        *,
        force_push: bool = False,
        prefetched: _Prefetched | None = None,
    ) -> SyncResult:
        """Run a sync whose queue row this process holds; never raises for Avito errors."""
        started_at = self._clock()
        started = time.monotonic()
        pull_result: PullResult | None = None
        push_result: PushResult | None = None
        error: str | None = None
        code: str | None = None
        warnings: tuple[str, ...] = ()
        outcome: Outcome = "failed"
        failures: list[BaseException] = []
        synced: _Synced | None = None
        with track_calls() as calls:
            try:
                synced = await self._sync(
                    item.integration_id, force_push=force_push, prefetched=prefetched
                )
                pull_result, push_result = synced.pulled, synced.pushed
                warnings = tuple(w.code for w in push_result.warnings)
                # A base-params 404 is tolerated (listings without base params), not a failure
                # to back off from; a 409 on closures is recorded and notified by the push.
                failed = push_result.failures
                outcome = "partial" if failed else "success"
                if failed:
                    error = "; ".join(f"{o.operation}: {_message(o.error)}" for o in failed)
                    code = "avito_push_failed"
                    failures = [o.error for o in push_result.failed if o.error is not None]
            except LeaseLostError:
                log.warning("sync_lease_lost_before_push", integration_id=str(item.integration_id))
                return SyncResult(
                    item.integration_id, item.trigger, "busy", error_code="lease_lost"
                )
            except (
                AvitoError,
                PlanInputError,
                SyncInputError,
                psycopg.Error,
                OSError,
            ) as exc:
                outcome, error, code, failures = await self._judge_failure(item, exc)
        counts = run_counts(pull_result, push_result, warnings)
        scope = failure_scope(failures)
        if scope is not None:
            counts["failure_scope"] = scope  # read by avito_private.catch_up_after_outage
        api_calls = calls.requests + (prefetched.calls if prefetched is not None else 0)
        try:
            await self._arm_steady(item, synced if outcome == "success" else None)
            async with self._pool.connection() as conn:
                held = await queue.record_result(
                    conn,
                    item,
                    owner=self.owner,
                    outcome=outcome,
                    counts=counts,
                    api_calls=api_calls,
                    started_at=started_at,
                    error=error,
                    settings=self._settings,
                )
            if not held:
                log.warning("sync_lease_lost", integration_id=str(item.integration_id))
        except (psycopg.Error, OSError):
            # The lease expires and another worker retries; the run row is lost with it.
            log.exception("sync_record_failed", integration_id=str(item.integration_id))
        log.info(
            "sync_finished",
            integration_id=str(item.integration_id),
            trigger=item.trigger,
            outcome=outcome,
            api_calls=api_calls,
            error_code=code,
        )
        return SyncResult(
            integration_id=item.integration_id,
            trigger=item.trigger,
            status=outcome,
            pull=pull_result,
            push=push_result,
            api_calls=api_calls,
            duration_ms=int((time.monotonic() - started) * 1000),
            error=error,
            error_code=code,
            warnings=warnings,
            ran=True,
        )

    async def _judge_failure(
        self, item: ClaimedSync, exc: BaseException
    ) -> tuple[Outcome, str, str, list[BaseException]]:
        """A failed sync's outcome, message, stable code and the errors that scope a backoff."""
        if isinstance(exc, ReconnectRequiredError):
            return "needs_reconnect", exc.reason, "reconnect_required", []
        if isinstance(exc, TokenExpiredError):
            if exc.status == 403 and await self._token_works(item.account_id):
                # A 403 that no refresh could retry (a grant without refresh token) while
                # the token still reads the account: the listing, not the connection.
                return "failed", str(exc), "avito_forbidden", []
            # A fresh token was refused too: only the host reconnecting can fix that.
            await self._tokens.mark_needs_reconnect(item.account_id, str(exc))
            return "needs_reconnect", str(exc), "reconnect_required", []
        if isinstance(exc, AvitoError):
            return "failed", str(exc), exc.code, [exc]
        if isinstance(exc, PlanInputError):
            return "failed", str(exc), "plan_invalid", []
        if isinstance(exc, SyncInputError):
            return "failed", str(exc), "integration_gone", []
        log.exception("sync_database_error", integration_id=str(item.integration_id))
        return "failed", f"database error: {type(exc).__name__}", "internal", []

    async def run_queued(self, item: ClaimedSync) -> None:
        """The worker's runner: a steady-state poll when the claim says which listing to
        call, the full sync when that poll finds a change (or for initial/manual syncs)."""
        if item.target is None or item.trigger not in ("tick", "change"):
            await self.run_claimed(item)
            return
        prefetched = await self._poll_steady(item, item.target)
        if prefetched is not None:
            await self.run_claimed(item, prefetched=prefetched)

    async def _poll_steady(self, item: ClaimedSync, target: PollTarget) -> _Prefetched | None:
        """One Avito call and a share of one batched statement; None when nothing changed
        (recorded), else the call's answer or error for the full sync. Logs nothing on the
        steady path."""
        now = self._clock()
        try:
            window = sync_window(today_in(target.timezone or DEFAULT_TIMEZONE, now))
        except (PlanInputError, ValueError, KeyError):  # the full sync reports it
            await self.run_claimed(item)
            return None
        auth = self._tokens.provider(item.account_id)
        answer: BookingsAnswer | None = None
        error: BaseException | None = None
        with track_calls() as calls:
            try:
                answer = await self._client.get_bookings_answer(
                    auth, target.avito_user_id, target.avito_item_id, window.start, window.end
                )
            except AvitoError as exc:
                error = exc
        if answer is None:
            return _Prefetched(target, window, None, error, calls.requests)
        status = await self._polls.finish(
            steady.FinishedPoll(
                item.integration_id, steady.answer_hash(answer.content, window), window.start, now
            ),
            urgent=item.trigger == "change",
        )
        if status == "changed":
            return _Prefetched(target, window, answer, None, calls.requests)
        if status == "lease_lost":
            log.warning("sync_lease_lost", integration_id=str(item.integration_id))
        return None

    async def sync_integration(
        self,
        integration_id: UUID,
        *,
        trigger: Trigger = "manual",
        force_push: bool = False,
        wait_seconds: float = 30.0,
    ) -> SyncResult:
        """Sync one integration now (the host's button, the initial sync after connect).

        Ensures its queue row, takes its lease (waiting up to `wait_seconds` while a worker
        runs it), runs the sync and returns the result. `force_push` pushes everything even
        when the fingerprints say Avito already has it.
        """
        async with self._pool.connection() as conn:
            if not await queue.enqueue(conn, integration_id, trigger):
                blocked = await queue.claim_blocker(conn, integration_id)
                return SyncResult.not_run(integration_id, trigger, blocked or "inactive")
        deadline = time.monotonic() + wait_seconds
        while True:
            async with self._pool.connection() as conn:
                item = await queue.claim_integration(
                    conn, integration_id, self.owner, self._settings.lease_seconds, trigger
                )
                status = await queue.claim_blocker(conn, integration_id) if item is None else None
            if item is not None:
                return await self.run_claimed(item, force_push=force_push)
            if status is not None:
                return SyncResult.not_run(integration_id, trigger, status)
            if time.monotonic() >= deadline:
                return SyncResult(integration_id, trigger, "busy")
            await asyncio.sleep(0.2)

    async def _sync(
        self, integration_id: UUID, *, force_push: bool, prefetched: _Prefetched | None = None
    ) -> _Synced:
        now = self._clock()
        async with self._pool.connection() as conn:
            context = await load_context(conn, integration_id)
        ctx = context.integration
        auth = self._tokens.provider(ctx.avito_account_id)
        today = today_in(context.timezone, now)
        window = sync_window(today)
        answer: BookingsAnswer | None = None
        if prefetched is not None and prefetched.matches(
            ctx.avito_user_id, ctx.avito_item_id, window
        ):
            if prefetched.error is not None:
                raise prefetched.error
            answer = prefetched.answer
        pulled = await pull_bookings(
            self._pool,
            self._client,
            auth,
            integration_id=integration_id,
            avito_user_id=ctx.avito_user_id,
            avito_item_id=ctx.avito_item_id,
            window=window,
            answer=answer,
        )
        async with self._pool.connection() as conn:
            # Read after the pull's writes and before the input: a change committed in
            # between only makes the next poll plan again.
            stamp = await steady.app_stamp(conn, integration_id)
            # The full input after the pull: the plan must see the bookings it has just written.
            sync_input = await load_sync_input(conn, integration_id)
        plan = build_plan(sync_input, today)
        # Last moment to find out that another worker may have the row now: nothing pushed.
        async with self._pool.connection() as conn:
            held = await queue.extend_lease(
                conn, integration_id, self.owner, self._settings.lease_seconds
            )
        if not held:
            raise LeaseLostError(str(integration_id))
        pushed = await push_plan(
            self._pool,
            self._client,
            auth,
            ctx,
            plan,
            now=now,
            force=force_push,
            full_push_every=self._settings.full_push_every,
        )
        digest = steady.answer_hash(pulled.answer.content, window)
        return _Synced(pulled.result, pushed, stamp, digest, window.start)

    async def _arm_steady(self, item: ClaimedSync, synced: _Synced | None) -> None:
        """Let the next polls skip while nothing changes, after a clean sync; else make
        them plan again."""
        armed = synced if synced is not None and steady.clean(synced.pushed) else None
        async with self._pool.connection() as conn:
            await steady.record_state(
                conn,
                integration_id=item.integration_id,
                owner=self.owner,
                stamp=armed.stamp if armed else None,
                digest=armed.digest if armed else None,
                day=armed.day if armed else None,
            )

    async def _token_works(self, account_id: UUID) -> bool:
        """Whether the account's token still reads its own profile (`user:read`)."""
        try:
            await self._client.get_self(self._tokens.provider(account_id))
        except AvitoError:
            return False
        return True


def _message(error: AvitoError | None) -> str:
    return error.message if error is not None else ""

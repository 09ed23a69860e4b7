"""One worker process of the capacity benchmark: `python -m bench.capacity_worker ARGS`.

`--mode ours` runs the service's worker (`Worker.run_forever`, steady-state polls, batched
claims, the in-flight limit given); `--mode baseline` is the design it replaces: every 10 s a
tick claims 10 due integrations and syncs them one after another, each with a forced full push
and a pull. Prints one JSON line: polls run, process CPU seconds over the measured window and
the in-flight samples over the measured window (after the warm-up), and the statements it
sent (each one database round trip), every poll it ran: (integration id, wall-clock start and
end, Avito calls), and every Avito request it sent: (account key, wall-clock time its rate
limit wait ended). Steady polls write no run row (migration 20261206110000), so the poll
intervals come from this log, not from `avito_sync_runs`; the bench replays the requests of
all workers together through the configured buckets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import logging
import time
from typing import Any

import psycopg

from avito_sync.avito.ratelimit import RateLimiter, account_quiet_seconds, shared_rate_limiter
from avito_sync.avito.stats import track_calls
from avito_sync.core.gc_tuning import tune_for_service
from avito_sync.core.logs import configure_logging
from avito_sync.sync import queue
from avito_sync.sync.queue import ClaimedSync
from avito_sync.sync.runtime import SyncRuntime
from avito_sync.sync.worker import Worker
from bench.harness import relaxed_avito_settings, sync_settings

BASELINE_TICK_SECONDS = 10.0
BASELINE_LIMIT = 10
SAMPLE_SECONDS = 0.1


class _RoundTrips:
    """Counts every statement this process sends (each one is a round trip)."""

    count = 0

    @classmethod
    def install(cls) -> None:
        original = psycopg.AsyncCursor.execute

        async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            cls.count += 1
            return await original(self, *args, **kwargs)

        psycopg.AsyncCursor.execute = counted  # type: ignore[method-assign]


class _GcPauses:
    """How long the garbage collector stopped the process, per generation."""

    def __init__(self) -> None:
        self._started = 0.0
        self._pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}

    def note(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self._pauses[info["generation"]].append(time.perf_counter() - self._started)

    def by_generation(self) -> dict[str, dict[str, float]]:
        return {
            str(gen): {
                "count": len(pauses),
                "total_ms": round(1000 * sum(pauses), 1),
                "max_ms": round(1000 * max(pauses, default=0.0), 1),
            }
            for gen, pauses in self._pauses.items()
        }


def _record_sends(limiter: RateLimiter, sends: list[tuple[str | None, float]]) -> None:
    """Stamp every request when the process's buckets let it go."""
    original = limiter.acquire

    async def acquire(account_key: str | None, *, endpoint: str | None = None) -> float:
        waited = await original(account_key, endpoint=endpoint)
        sends.append((account_key, time.time()))
        return waited

    limiter.acquire = acquire  # type: ignore[method-assign]


async def _ours(
    runtime: SyncRuntime,
    quiet: float,
    warmup: float,
    seconds: float,
    out: dict[str, Any],
    profile: cProfile.Profile | None = None,
) -> None:
    polls = 0
    log: list[tuple[str, float, float, int]] = []

    async def counted(item: ClaimedSync) -> None:
        nonlocal polls
        polls += 1
        started = time.time()
        with track_calls() as calls:
            await runtime.engine.run_queued(item)
        log.append((str(item.integration_id), started, time.time(), calls.requests))

    worker = Worker(runtime.pool, runtime.settings, counted, account_quiet_seconds=quiet)
    samples: list[int] = []
    task = asyncio.create_task(worker.run_forever())
    await asyncio.sleep(warmup)
    cpu0, wall0, polls0, trips0 = time.process_time(), time.monotonic(), polls, _RoundTrips.count
    if profile is not None:
        profile.enable()
    lags: list[float] = []  # how late each sample woke: the event loop's stalls
    pauses = _GcPauses()
    gc.callbacks.append(pauses.note)
    while time.monotonic() - wall0 < seconds:
        asleep = time.monotonic()
        await asyncio.sleep(SAMPLE_SECONDS)
        lags.append(time.monotonic() - asleep - SAMPLE_SECONDS)
        samples.append(worker.in_flight)
    gc.callbacks.remove(pauses.note)
    if profile is not None:
        profile.disable()
    cpu1, done, trips = time.process_time(), polls - polls0, _RoundTrips.count - trips0
    worker.stop()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    out.update(
        polls=done,
        cpu_seconds=cpu1 - cpu0,
        round_trips=trips,
        in_flight=samples,
        poll_log=log,
        loop_lag_ms=[round(1000 * lag, 1) for lag in lags],
        gc_pauses_ms=pauses.by_generation(),
    )


async def _baseline(
    runtime: SyncRuntime, quiet: float, warmup: float, seconds: float, out: dict[str, Any]
) -> None:
    polls = 0
    log: list[tuple[str, float, float, int]] = []
    cpu0, wall0, trips0 = time.process_time(), time.monotonic(), _RoundTrips.count
    while time.monotonic() - wall0 < warmup + seconds:
        tick = time.monotonic()
        async with runtime.pool.connection() as conn:
            claimed = await queue.claim_batch(
                conn,
                runtime.settings.worker_id,
                BASELINE_LIMIT,
                runtime.settings.lease_seconds,
                quiet,
            )
        for item in claimed:  # one after another, full push and pull each
            started = time.time()
            with track_calls() as calls:
                await runtime.engine.run_claimed(item, force_push=True)
            log.append((str(item.integration_id), started, time.time(), calls.requests))
            polls += 1
        await asyncio.sleep(max(0.0, BASELINE_TICK_SECONDS - (time.monotonic() - tick)))
    out.update(
        polls=polls,
        cpu_seconds=time.process_time() - cpu0,
        round_trips=_RoundTrips.count - trips0,
        in_flight=[1],
        poll_log=log,
    )


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    settings = sync_settings(
        args.database_url,
        concurrency=args.concurrency,
        batch_size=200,
        pool_max_size=args.pool,
        fallback_poll_seconds=1.0,
    )
    avito = relaxed_avito_settings(
        args.sandbox_url,
        account_rate_per_second=args.account_rate,
        account_burst=args.account_burst,
        app_rate_per_second=args.app_rate,
        app_burst=args.app_burst,
        max_connections=min(1000, max(20, args.concurrency)),
        read_timeout_seconds=30,
    )
    sends: list[tuple[str | None, float]] = []
    _record_sends(shared_rate_limiter(avito), sends)
    runtime = await SyncRuntime.open(settings, avito)
    tune_for_service()  # as `avito-sync worker` does
    out: dict[str, Any] = {"mode": args.mode, "sends": sends}
    try:
        if args.mode == "ours":
            # CPU time, not wall time: on a shared machine a wall-clock profile charges the
            # time this process waited for a core to whatever it was running.
            profile = cProfile.Profile(time.process_time) if args.profile else None
            await _ours(
                runtime, account_quiet_seconds(avito), args.warmup, args.seconds, out, profile
            )
            if profile is not None:
                profile.dump_stats(args.profile)
        else:
            await _baseline(runtime, account_quiet_seconds(avito), args.warmup, args.seconds, out)
    finally:
        await runtime.aclose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity_worker")
    parser.add_argument("--mode", choices=("ours", "baseline"), required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sandbox-url", required=True)
    parser.add_argument("--warmup", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--pool", type=int, default=20)
    parser.add_argument("--profile", help="write cProfile stats of the measured window here")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    parser.add_argument("--account-rate", type=float, default=2.0)
    parser.add_argument("--account-burst", type=int, default=5)
    parser.add_argument("--app-rate", type=float, default=1000.0)
    parser.add_argument("--app-burst", type=int, default=1000)
    args = parser.parse_args()
    configure_logging("WARNING")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    _RoundTrips.install()
    if args.uvloop:
        import uvloop  # noqa: PLC0415 - only when asked for

        result = uvloop.run(_main(args))
    else:
        result = asyncio.run(_main(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

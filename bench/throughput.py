"""Sync throughput of one worker over N due integrations (each its own Avito account) with
concurrency 1 against concurrency 8: what running syncs side by side buys."""

from __future__ import annotations

import statistics
import time

from avito_sync.avito import AvitoClient
from avito_sync.local.sandbox.schemas import Latency
from avito_sync.sync.runtime import SyncRuntime
from bench.harness import BenchEnv, Result, relaxed_avito_settings, set_all_due, sync_settings

ROUNDS = 3


async def _drain(env: BenchEnv, concurrency: int) -> tuple[float, int]:
    """Make every row due and let a fresh worker run them all once: (seconds, syncs)."""
    due = set_all_due(env)
    settings = relaxed_avito_settings(env.sandbox_url)
    runtime = await SyncRuntime.open(
        sync_settings(env.database_url, concurrency=concurrency, batch_size=50), settings
    )
    try:
        started = time.perf_counter()
        ran = await runtime.worker.run_once()
        elapsed = time.perf_counter() - started
    finally:
        await runtime.aclose()
    if ran != due:
        raise RuntimeError(f"worker ran {ran} of {due} due syncs")
    return elapsed, ran


async def run(env: BenchEnv, hosts: int, latencies_ms: tuple[int, ...]) -> list[Result]:
    """One result per added sandbox latency: 0 ms is loopback (our CPU is the limit), more
    models Avito's round trip (waiting is the limit, which concurrency overlaps)."""
    env.reset_data()
    async with AvitoClient(relaxed_avito_settings(env.sandbox_url)) as client:
        await env.connect_hosts(client, hosts, rates_days=60, bookings=4)
    await _drain(env, 8)  # the initial syncs: every later round is a steady-state one
    results = []
    for latency in latencies_ms:
        env.control.clear_faults()
        if latency:
            env.control.add_fault("*", latency=Latency(fixed_ms=latency))
        rates: dict[int, list[float]] = {1: [], 8: []}
        for _ in range(ROUNDS):  # interleaved, so drift hits both variants alike
            for concurrency in (1, 8):
                seconds, ran = await _drain(env, concurrency)
                rates[concurrency].append(ran / seconds)
        one, eight = statistics.median(rates[1]), statistics.median(rates[8])
        results.append(
            Result(
                name=f"sync throughput, {hosts} integrations, +{latency} ms per Avito call:"
                " concurrency 8 vs 1",
                baseline="concurrency 1",
                candidate="concurrency 8",
                unit="syncs per second",
                baseline_value=one,
                candidate_value=eight,
                ratio=eight / one,
                meaning="how many times more syncs per second 8 concurrent syncs give"
                " (higher is better)",
                notes={
                    "rounds": ROUNDS,
                    "added_latency_ms": latency,
                    "samples": {str(k): [round(v, 2) for v in vs] for k, vs in rates.items()},
                    "rate_limits": "lifted (1000/s per account, 10000/s per app)",
                },
            )
        )
    env.control.clear_faults()
    with env.connect() as conn:
        failed = conn.execute(
            "select count(*) as n from public.avito_sync_runs where outcome <> 'success'"
        ).fetchone()
    if failed and failed["n"]:
        raise RuntimeError(f"{failed['n']} sync runs did not succeed: the numbers are void")
    return results

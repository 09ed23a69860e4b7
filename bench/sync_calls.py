"""Avito API calls and time per sync of an unchanged listing: the steady state (fingerprints
skip pushes Avito already has) against a forced full push of the same integration."""

from __future__ import annotations

import statistics

from avito_sync.avito import AvitoClient
from avito_sync.sync.runtime import SyncRuntime
from bench.harness import BenchEnv, Result, relaxed_avito_settings, sync_settings

ROUNDS = 10


async def run(env: BenchEnv) -> Result:
    env.reset_data()
    settings = relaxed_avito_settings(env.sandbox_url)
    async with AvitoClient(settings) as client:
        (host,) = await env.connect_hosts(client, 1, rates_days=120, bookings=8)
    runtime = await SyncRuntime.open(sync_settings(env.database_url, concurrency=1), settings)
    try:
        engine = runtime.engine
        first = await engine.sync_integration(host.integration_id, trigger="initial")
        assert first.status == "success", first
        steady_calls, steady_ms, forced_calls, forced_ms = [], [], [], []
        for _ in range(ROUNDS):  # interleaved, so drift hits both variants alike
            steady = await engine.sync_integration(host.integration_id)
            forced = await engine.sync_integration(host.integration_id, force_push=True)
            assert steady.status == forced.status == "success", (steady, forced)
            steady_calls.append(steady.api_calls)
            steady_ms.append(steady.duration_ms)
            forced_calls.append(forced.api_calls)
            forced_ms.append(forced.duration_ms)
    finally:
        await runtime.aclose()
    steady_mean = statistics.mean(steady_calls)
    forced_mean = statistics.mean(forced_calls)
    return Result(
        name="API calls per sync: steady state vs forced full push",
        baseline="forced full push",
        candidate="steady state (fingerprints)",
        unit="Avito calls per sync",
        baseline_value=forced_mean,
        candidate_value=steady_mean,
        ratio=steady_mean / forced_mean,
        meaning="share of the full push's calls a steady-state sync makes (lower is better)",
        notes={
            "rounds": ROUNDS,
            "first_sync_calls": first.api_calls,
            "steady_ms_median": statistics.median(steady_ms),
            "forced_ms_median": statistics.median(forced_ms),
            "time_ratio_steady_over_forced": statistics.median(steady_ms)
            / statistics.median(forced_ms),
        },
    )

"""`python -m bench [plan] [calls] [throughput] [notify] [capacity] [--hosts N] [--listings N]
[--quick]`: run, print a table, save JSON.

Results go to `bench/results/<UTC timestamp>.json` (git-ignored). With no names, all run.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import logging
import os
import platform
from pathlib import Path

from avito_sync.core.logs import configure_logging
from bench import capacity, notify_wakeup, plan_cost, sync_calls, throughput
from bench.harness import Result, bench_env

NAMES = ("plan", "calls", "throughput", "notify", "capacity")
LATENCIES_MS = (0, 50)
RESULTS_DIR = Path(__file__).resolve().parent / "results"


async def run(
    names: list[str], hosts: int, listings: int = 5000, seconds: float = 60.0
) -> list[Result]:
    results = []
    if "plan" in names:
        print("bench: build_plan ...", flush=True)
        results.append(plan_cost.run())
    if {"calls", "throughput", "notify", "capacity"} & set(names):
        with bench_env() as env:
            if "calls" in names:
                print("bench: API calls per sync ...", flush=True)
                results.append(await sync_calls.run(env))
            if "throughput" in names:
                print(f"bench: throughput over {hosts} integrations ...", flush=True)
                results += await throughput.run(env, hosts, LATENCIES_MS)
            if "notify" in names:
                print("bench: notification wake-up ...", flush=True)
                results.append(await notify_wakeup.run(env))
            if "capacity" in names:
                results += await capacity.run(env, listings, seconds)
    return results


def table(results: list[Result]) -> str:
    rows = [("benchmark", "baseline", "candidate", "unit", "ratio")]
    for r in results:
        rows.append(
            (
                r.name,
                f"{r.baseline_value:.3g} ({r.baseline})",
                f"{r.candidate_value:.3g} ({r.candidate})",
                r.unit,
                f"{r.ratio:.2f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += ["", *(f"- {r.name}: ratio = {r.meaning}" for r in results)]
    return "\n".join(lines)


def save(results: list[Result]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC)
    path = RESULTS_DIR / f"{stamp:%Y%m%dT%H%M%SZ}.json"
    document = {
        "at": stamp.isoformat(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "results": [dataclasses.asdict(r) for r in results],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="|".join(NAMES), help="default: all")
    parser.add_argument("--hosts", type=int, default=40, help="integrations for throughput")
    parser.add_argument("--listings", type=int, default=5000, help="listings for capacity")
    parser.add_argument("--quick", action="store_true", help="capacity with 1,000 listings")
    parser.add_argument("--seconds", type=float, default=60.0, help="capacity: each phase")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(NAMES))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if not 1 <= args.hosts <= 500:
        parser.error("--hosts must be in 1..500")
    if not 5 <= args.seconds <= 600:
        parser.error("--seconds must be in 5..600")
    if not 10 <= args.listings <= 20000:
        parser.error("--listings must be in 10..20000")
    configure_logging("WARNING")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    listings = 1000 if args.quick else args.listings
    results = asyncio.run(run(list(args.names) or list(NAMES), args.hosts, listings, args.seconds))
    print()
    print(table(results))
    print(f"\nsaved {save(results)}")


main()

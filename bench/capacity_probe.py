"""What the capacity benchmark reads off the machine: database clock and counters, process
and Postgres CPU time, percentiles, load average."""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import psycopg

from bench.capacity_setup import fetch_one
from bench.harness import BenchEnv

Conn = psycopg.Connection[dict[str, Any]]


def db_now(conn: Conn) -> dt.datetime:
    value = fetch_one(conn, "select clock_timestamp() as t", ())
    assert isinstance(value, dt.datetime)
    return value


def steady_polls(conn: Conn) -> int:
    """Steady polls recorded so far (they write no run row: migration 20261206110000)."""
    return int(
        fetch_one(
            conn,
            "select coalesce(sum(steady_polls), 0) as n from avito_private.sync_steady_state",
            (),
        )
    )


def commits(conn: Conn) -> int:
    return int(
        fetch_one(
            conn,
            "select xact_commit from pg_stat_database where datname = current_database()",
            (),
        )
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu(env: BenchEnv) -> float:
    """CPU of the bench cluster: its postmaster and every backend it started."""
    pid_file = env.database.data_dir / "postmaster.pid"
    try:
        postmaster = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    total = cpu_seconds(postmaster)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def count_by(values: Any) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for v in values:
        out[v] += 1
    return out


def load_average() -> dict[str, Any]:
    load1, load5, _ = os.getloadavg()
    return {"loadavg_1m": round(load1, 2), "loadavg_5m": round(load5, 2), "cpus": os.cpu_count()}


def bucket_overruns(
    times: list[float], rate: float, burst: int, tolerance_seconds: float = 0.05
) -> int:
    """Sends a token bucket of `rate`/s and `burst` would not have admitted, replayed over the
    sends actually made (every process's, merged). A send is stamped when its wait ends, a few
    milliseconds late under load, so a deficit under `tolerance_seconds` of refill is allowed."""
    tokens, last, over = float(burst), None, 0
    for at in sorted(times):
        if last is not None:
            tokens = min(float(burst), tokens + (at - last) * rate)
        last = at
        tokens -= 1
        if tokens < -rate * tolerance_seconds:
            over += 1
    return over


def most_in_window(times: list[float], seconds: float = 1.0) -> int:
    """The most sends in any window of `seconds`."""
    ordered, best, first = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] > seconds:
            first += 1
        best = max(best, last - first + 1)
    return best

"""What every benchmark stands on: its own Postgres cluster (fresh per run), the Avito sandbox
as a separate process, hosts connected through a real OAuth grant, and the result record.

Speed is reported as a ratio of two variants measured in the same run, so the machine's
speed and load cancel out; absolute numbers are printed for context only.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row

from avito_sync.avito import AvitoClient
from avito_sync.avito.settings import AvitoSettings
from avito_sync.local.postgres import stack
from avito_sync.local.postgres.config import ENV_DIR, ENV_PORT, StackConfig
from avito_sync.local.sandbox.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from avito_sync.local.sandbox.control import SandboxControl
from avito_sync.sync.settings import SyncSettings

BENCH_DIR_NAME = "pg-bench"
BENCH_PORT = 54332
# Own variables, not AVITO_SYNC_PG_*: a run recreates its cluster from scratch, and an exported
# dev or test setting must never point it at a cluster someone works with.
ENV_BENCH_DIR = "AVITO_SYNC_BENCH_PG_DIR"
ENV_BENCH_PORT = "AVITO_SYNC_BENCH_PG_PORT"


@dataclass(frozen=True)
class Result:
    """One comparison of two variants measured in the same run: `ratio` is
    candidate_value / baseline_value, and `meaning` says how to read it."""

    name: str
    baseline: str
    candidate: str
    unit: str
    baseline_value: float
    candidate_value: float
    ratio: float
    meaning: str
    notes: dict[str, Any] = field(default_factory=dict)


def paired_median_seconds(
    first: Callable[[], object], second: Callable[[], object], *, repeat: int, number: int
) -> tuple[float, float]:
    """Median over `repeat` interleaved samples of the mean time of `number` calls of each."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for action, into in ((first, samples[0]), (second, samples[1])):
            started = time.perf_counter()
            for _ in range(number):
                action()
            into.append((time.perf_counter() - started) / number)
    return statistics.median(samples[0]), statistics.median(samples[1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def relaxed_avito_settings(base_url: str, **overrides: Any) -> AvitoSettings:
    """The client pointed at the sandbox with its rate limits lifted (throughput runs measure
    our code, not the throttle) and no retries (a failure must show, not be hidden)."""
    values: dict[str, Any] = {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "api_base_url": base_url,
        "oauth_base_url": base_url,
        "account_rate_per_second": 1000,
        "account_burst": 1000,
        "app_rate_per_second": 10000,
        "app_burst": 10000,
        "max_attempts": 1,
        "max_connections": 50,
    }
    return AvitoSettings.model_validate(values | overrides)


def sync_settings(database_url: str, **overrides: Any) -> SyncSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "worker_id": f"bench-{uuid.uuid4().hex[:8]}",
        "fallback_poll_seconds": 60,
        "per_account_concurrency": 2,
    }
    return SyncSettings.model_validate(values | overrides)


@dataclass(frozen=True)
class Host:
    owner_id: uuid.UUID
    property_id: uuid.UUID
    account_id: uuid.UUID
    integration_id: uuid.UUID
    avito_item_id: int


class BenchEnv:
    """A fresh bench cluster with every migration, and a sandbox process on a free port."""

    def __init__(self, database: StackConfig, sandbox_url: str, sandbox_pid: int = 0) -> None:
        self.database = database
        self.sandbox_url = sandbox_url
        self.sandbox_pid = sandbox_pid
        self.control = SandboxControl(sandbox_url)

    @property
    def database_url(self) -> str:
        return self.database.url

    def connect(self) -> psycopg.Connection[dict[str, Any]]:
        return psycopg.connect(self.database_url, autocommit=True, row_factory=dict_row)

    def reset_data(self) -> None:
        """Empty the app's and the service's tables (the schema stays) and the sandbox."""
        with self.connect() as conn:
            conn.execute(
                "truncate auth.users, public.properties, public.avito_accounts,"
                " public.notification_events restart identity cascade"
            )
        self.control.reset()

    async def connect_hosts(
        self,
        client: AvitoClient,
        count: int,
        *,
        rates_days: int = 0,
        bookings: int = 0,
    ) -> list[Host]:
        """`count` hosts, each its own Avito account with one listing, granted by OAuth (consent
        on the sandbox, one code exchange) and with tokens in Vault, as the connect flow does."""
        hosts = []
        today = self.control.today()
        with self.connect() as conn:
            for n in range(count):
                account = self.control.add_account(f"Bench host {n}", email=f"h{n}@bench.local")
                listing = self.control.add_listing(account.id, title=f"Bench flat {n}")
                redirect = self.control.authorize(
                    DEFAULT_CLIENT_ID, account_id=account.id, state=uuid.uuid4().hex
                )
                token = await client.exchange_code(redirect["code"])
                hosts.append(_insert_host(conn, account.id, listing.id, n, token))
                _add_rows(conn, hosts[-1].property_id, today, rates_days, bookings)
        return hosts


def _insert_host(
    conn: psycopg.Connection[dict[str, Any]], avito_user_id: int, item_id: int, n: int, token: Any
) -> Host:
    owner = conn.execute(
        "insert into auth.users (email) values (%s) returning id", (f"h{n}@bench.local",)
    ).fetchone()
    assert owner is not None
    prop = conn.execute(
        "insert into public.properties (owner_id, name, base_price, minimum_booking_days)"
        " values (%s, %s, 3000, 2) returning id",
        (owner["id"], f"Flat {n}"),
    ).fetchone()
    account = conn.execute(
        "insert into public.avito_accounts (owner_id, avito_user_id, name, status)"
        " values (%s, %s, 'Bench host', 'active') returning id",
        (owner["id"], avito_user_id),
    ).fetchone()
    assert prop is not None
    assert account is not None
    conn.execute(
        "insert into public.avito_items (avito_account_id, avito_item_id, title)"
        " values (%s, %s, 'Bench flat')",
        (account["id"], item_id),
    )
    integration = conn.execute(
        "insert into public.integrations (property_id, avito_account_id, avito_user_id,"
        " avito_item_id, avito_markup, is_active, status)"
        " values (%s, %s, %s, %s, 15, true, 'active') returning id",
        (prop["id"], account["id"], avito_user_id, item_id),
    ).fetchone()
    assert integration is not None
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=token.expires_in)
    conn.execute(
        "select avito_private.store_account_tokens(%s, %s, %s, %s, %s)",
        (
            account["id"],
            token.access_token.get_secret_value(),
            token.refresh_token.get_secret_value(),
            expires_at,
            token.scope,
        ),
    )
    conn.execute("select avito_private.enqueue_integration(%s, 'initial')", (integration["id"],))
    return Host(owner["id"], prop["id"], account["id"], integration["id"], item_id)


def _add_rows(
    conn: psycopg.Connection[dict[str, Any]],
    property_id: uuid.UUID,
    today: dt.date,
    rates_days: int,
    bookings: int,
) -> None:
    if rates_days:
        conn.execute(
            "insert into public.property_rates (property_id, date, daily_price, min_stay)"
            " select %s, %s::date + n, 3000 + (n %% 7) * 250, 1 + n %% 3"
            " from generate_series(0, %s - 1) as n",
            (property_id, today, rates_days),
        )
    for n in range(bookings):
        start = today + dt.timedelta(days=5 + n * 6)
        conn.execute(
            "insert into public.bookings (property_id, check_in, check_out, status, source,"
            " guest_name) values (%s, %s, %s, 'confirmed', 'manual', 'Bench guest')",
            (property_id, start, start + dt.timedelta(days=3)),
        )


def set_all_due(env: BenchEnv) -> int:
    with env.connect() as conn:
        cur = conn.execute(
            "update public.avito_sync_queue set next_sync_at = now() - interval '1 second'"
        )
        return cur.rowcount


@contextmanager
def bench_env() -> Iterator[BenchEnv]:
    """The bench cluster (`.local/pg-bench` on 54332 unless AVITO_SYNC_BENCH_PG_DIR/PORT say
    otherwise; recreated from scratch) and `avito-sync sandbox` on a free loopback port."""
    database = StackConfig.from_env(
        {
            ENV_DIR: os.environ.get(ENV_BENCH_DIR, ""),
            ENV_PORT: os.environ.get(ENV_BENCH_PORT, ""),
        },
        default_dir_name=BENCH_DIR_NAME,
        default_port=BENCH_PORT,
    )
    print(f"bench: recreating the cluster in {database.root} (port {database.port})", flush=True)
    database = stack.reset(database).config
    port = free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "avito_sync", "sandbox", "--port", str(port)],
        env={k: v for k, v in os.environ.items() if not k.startswith("AVITO_")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{url}/_sandbox/clock", sandbox)
        env = BenchEnv(database, url, sandbox.pid)
        try:
            yield env
        finally:
            env.control.close()
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        stack.down(database)


def _wait_http(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the sandbox exited during start-up")
        try:
            if httpx.get(url, timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the sandbox did not start within 30 s")

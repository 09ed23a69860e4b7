"""Notification latency (event row committed → webhook received) when the notifier is woken
by LISTEN/NOTIFY against a notifier that only sweeps: what the wake-up path buys."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from avito_sync.core.database import open_pool
from avito_sync.notify import netguard
from avito_sync.notify.channel_store import ChannelStore
from avito_sync.notify.channels.webhook import WebhookSender
from avito_sync.notify.notifier import LoopSettings, Notifier
from avito_sync.notify.outbox import Outbox
from avito_sync.notify.retry import RetryPolicy
from avito_sync.notify.sources import ListenSource, Wake, WakeSource
from bench.harness import BenchEnv, Result

EVENTS = 12
SWEEP_SECONDS = 1.0
WEBHOOK_SECRET = "bench-webhook-secret-" + "x" * 32


class SweepOnly:
    """A source that never wakes the notifier: delivery waits for its periodic sweep."""

    name = "sweep-only"

    async def run(self, wake: Wake) -> None:
        await asyncio.Event().wait()


class Receiver:
    """A loopback webhook receiver noting when each event arrived."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.perf_counter()
                with receiver.changed:
                    receiver.arrived[int(json.loads(body)["event_id"])] = at
                    receiver.changed.notify_all()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, event_id: int, seconds: float) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: event_id in self.arrived, seconds):
                raise RuntimeError(f"event {event_id} was not delivered within {seconds} s")
            return self.arrived[event_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _owner_with_webhook(env: BenchEnv, url: str) -> uuid.UUID:
    with env.connect() as conn:
        owner = conn.execute(
            "insert into auth.users (email) values ('notify@bench.local') returning id"
        ).fetchone()
        assert owner is not None
        channel = conn.execute(
            "insert into public.notification_channels (owner_id, kind, config)"
            " values (%s, 'webhook', jsonb_build_object('url', %s::text)) returning id",
            (owner["id"], url),
        ).fetchone()
        assert channel is not None
        conn.execute(
            "select avito_private.channel_secret_put(%s, %s)", (channel["id"], WEBHOOK_SECRET)
        )
        return uuid.UUID(str(owner["id"]))


async def _latencies(
    env: BenchEnv, source: WakeSource, owner: uuid.UUID, receiver: Receiver, rng: random.Random
) -> list[float]:
    pool = await open_pool(env.database_url, min_size=1, max_size=4)
    stop = asyncio.Event()
    try:
        async with netguard.guarded_client(5) as http:
            sender = WebhookSender(http, ChannelStore(pool), frozenset({"127.0.0.1"}))
            notifier = Notifier(
                Outbox(pool),
                {"webhook": sender},
                RetryPolicy(max_attempts=1, base_seconds=1, cap_seconds=1),
                LoopSettings(sweep_seconds=SWEEP_SECONDS),
            )
            task = asyncio.create_task(notifier.run(source, stop))
            await asyncio.sleep(0.5)  # the first drain is done and LISTEN is connected
            samples = []
            with env.connect() as conn:
                for _ in range(EVENTS):
                    await asyncio.sleep(rng.uniform(0, SWEEP_SECONDS))  # any sweep phase
                    row = conn.execute(
                        "insert into public.notification_events (owner_id, kind, payload,"
                        " dedupe_key) values (%s, 'sync_failing', '{\"attempts\": 3}', %s)"
                        " returning id",
                        (owner, f"bench-{uuid.uuid4()}"),
                    ).fetchone()
                    committed = time.perf_counter()
                    assert row is not None
                    arrived = await asyncio.to_thread(receiver.wait_for, row["id"], 10)
                    samples.append(arrived - committed)
            stop.set()
            await task
    finally:
        await pool.close()
    return samples


async def run(env: BenchEnv) -> Result:
    env.reset_data()
    receiver = Receiver()
    rng = random.Random(7)
    try:
        owner = _owner_with_webhook(env, receiver.url)
        listen: list[float] = []
        sweep: list[float] = []
        for _ in range(2):  # interleaved halves, so drift hits both variants alike
            listen += await _latencies(env, ListenSource(env.database_url), owner, receiver, rng)
            sweep += await _latencies(env, SweepOnly(), owner, receiver, rng)
    finally:
        receiver.close()
    listen_ms = statistics.median(listen) * 1000
    sweep_ms = statistics.median(sweep) * 1000
    return Result(
        name="notification latency: LISTEN wake-up vs sweep only",
        baseline=f"sweep only (every {SWEEP_SECONDS:g} s)",
        candidate="LISTEN/NOTIFY",
        unit="ms, event commit to webhook",
        baseline_value=sweep_ms,
        candidate_value=listen_ms,
        ratio=sweep_ms / listen_ms,
        meaning="how many times sooner a LISTEN-woken notifier delivers (higher is better)",
        notes={
            "events_per_variant": 2 * EVENTS,
            "listen_ms_p90": statistics.quantiles(listen, n=10)[-1] * 1000,
            "sweep_ms_p90": statistics.quantiles(sweep, n=10)[-1] * 1000,
        },
    )

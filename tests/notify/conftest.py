"""Fixtures for the notifier: hosts with channels in real Postgres, real HTTP receivers, and
notifiers wired exactly like `avito-sync notify` (real senders over httpx)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool
from pydantic import SecretStr

from avito_sync.core.database import open_pool
from avito_sync.notify import netguard
from avito_sync.notify.channel_store import ChannelStore
from avito_sync.notify.channels.telegram import TelegramSender
from avito_sync.notify.channels.webhook import WebhookSender
from avito_sync.notify.notifier import LoopSettings, Notifier
from avito_sync.notify.outbox import Outbox
from avito_sync.notify.retry import RetryPolicy
from avito_sync.notify.sources import Wake, WakeSource
from tests.fixtures.db import create_user
from tests.notify.receivers import Receiver, running
from tests.support.rows import create_property

Conn = psycopg.Connection[dict[str, Any]]

BOT_TOKEN = "7654321:AAH-test-bot-token-never-logged-0123456789"
WEBHOOK_SECRET = "whsec-test-signing-secret-never-logged-0123456789"
GUEST_PHONE = "+79161234567"
GUEST_EMAIL = "guest.private@example.test"
PROPERTY_NAME = "Квартира на Тверской"


@dataclass(frozen=True)
class Host:
    owner_id: UUID
    property_id: UUID


def make_host(db: Conn, name: str = PROPERTY_NAME) -> Host:
    owner = create_user(db)
    return Host(owner, create_property(db, owner, name=name))


def add_channel(
    db: Conn, owner: UUID, kind: str, config: dict[str, Any], *, active: bool = True
) -> UUID:
    row = db.execute(
        "insert into public.notification_channels (owner_id, kind, config, is_active)"
        " values (%s, %s, %s, %s) returning id",
        (owner, kind, json.dumps(config), active),
    ).fetchone()
    assert row is not None
    if kind == "webhook":
        db.execute("select avito_private.channel_secret_put(%s, %s)", (row["id"], WEBHOOK_SECRET))
    return UUID(str(row["id"]))


_dedupe = iter(range(1, 10**9))


def emit(
    db: Conn,
    host: Host,
    kind: str = "booking_created",
    payload: dict[str, Any] | None = None,
    *,
    booking_id: UUID | None = None,
) -> int:
    """An outbox event, inserted the way the engine does (service role, plain insert)."""
    row = db.execute(
        "insert into public.notification_events"
        " (owner_id, property_id, booking_id, kind, payload, dedupe_key)"
        " values (%s, %s, %s, %s, %s, %s) returning id",
        (
            host.owner_id,
            host.property_id,
            booking_id,
            kind,
            json.dumps(
                payload
                if payload is not None
                else {
                    "avito_booking_id": 555001,
                    "check_in": "2026-12-10",
                    "check_out": "2026-12-13",
                    "status": "confirmed",
                    "avito_status": "active",
                }
            ),
            f"test:{next(_dedupe)}:{time.monotonic_ns()}",
        ),
    ).fetchone()
    assert row is not None
    return int(row["id"])


def guest_booking(db: Conn, property_id: UUID) -> UUID:
    row = db.execute(
        "insert into public.bookings (property_id, guest_name, guest_phone, guest_email,"
        " check_in, check_out, source, status) values (%s, 'Иван Гость', %s, %s,"
        " '2026-12-10', '2026-12-13', 'avito', 'confirmed') returning id",
        (property_id, GUEST_PHONE, GUEST_EMAIL),
    ).fetchone()
    assert row is not None
    return UUID(str(row["id"]))


def deliveries(db: Conn) -> list[dict[str, Any]]:
    return db.execute(
        "select d.*, c.kind as channel_kind from public.notification_deliveries d"
        " join public.notification_channels c on c.id = d.channel_id order by d.id"
    ).fetchall()


class SilentSource:
    """Never wakes the notifier: only the timer (due retries, sweep) drives it."""

    name = "silent"

    async def run(self, wake: Wake) -> None:
        await asyncio.Event().wait()


@dataclass
class RecordingSource:
    """Wraps a real source and records the wake-up reasons it produced."""

    inner: WakeSource
    reasons: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    async def run(self, wake: Wake) -> None:
        def recorded(reason: str) -> None:
            self.reasons.append(reason)
            wake(reason)

        await self.inner.run(recorded)


@pytest.fixture
def telegram() -> Iterator[Receiver]:
    with running(Receiver("telegram")) as receiver:
        yield receiver


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    with running(Receiver("webhook")) as receiver:
        yield receiver


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    pool = await open_pool(database_url, min_size=1, max_size=6)
    yield pool
    await pool.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
        yield client


@pytest.fixture
async def guarded() -> AsyncIterator[httpx.AsyncClient]:
    async with netguard.guarded_client(5.0) as client:
        yield client


MakeNotifier = Callable[..., Notifier]


@pytest.fixture
def make_notifier(
    pool: AsyncConnectionPool[Any],
    http: httpx.AsyncClient,
    guarded: httpx.AsyncClient,
    telegram: Receiver,
) -> MakeNotifier:
    def make(
        *,
        pool_: AsyncConnectionPool[Any] | None = None,
        max_attempts: int = 5,
        base: float = 0.05,
        cap: float = 0.2,
        batch_size: int = 20,
        sweep_seconds: float = 300.0,
    ) -> Notifier:
        return Notifier(
            Outbox(pool_ or pool),
            {
                "telegram": TelegramSender(http, telegram.url, SecretStr(BOT_TOKEN)),
                "webhook": WebhookSender(
                    guarded, ChannelStore(pool_ or pool), frozenset({"127.0.0.1"})
                ),
            },
            RetryPolicy(max_attempts, base, cap),
            LoopSettings(
                batch_size=batch_size, concurrency=4, lease_seconds=30, sweep_seconds=sweep_seconds
            ),
        )

    return make


@pytest.fixture
async def running_notifier() -> AsyncIterator[Callable[[Notifier, WakeSource], None]]:
    """Start notifiers in the background; all are stopped and awaited after the test."""
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    def start(notifier: Notifier, source: WakeSource) -> None:
        tasks.append(asyncio.create_task(notifier.run(source, stop)))

    yield start
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=20)

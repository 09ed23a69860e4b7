"""Web Push through the notifier: the app's subscription as a channel, an RFC 8291 message the
push service stand-in decrypts, and a subscription the push service calls gone is dropped."""

from __future__ import annotations

from typing import Any

import httpx
from psycopg_pool import AsyncConnectionPool
from pydantic import SecretStr

from avito_sync.notify.channel_store import ChannelStore
from avito_sync.notify.channels.webpush import WebPushSender
from avito_sync.notify.notifier import LoopSettings, Notifier
from avito_sync.notify.outbox import Outbox
from avito_sync.notify.retry import RetryPolicy
from tests.fixtures.standins import PushStandin, vapid_private_key
from tests.notify.conftest import Conn, deliveries, emit, guest_booking, make_host


def _notifier(pool: AsyncConnectionPool[Any], client: httpx.AsyncClient) -> Notifier:
    sender = WebPushSender(
        client,
        ChannelStore(pool),
        private_key=SecretStr(vapid_private_key()),
        subject="mailto:ops@example.test",
        http_hosts=frozenset({"127.0.0.1"}),
    )
    return Notifier(Outbox(pool), {"web_push": sender}, RetryPolicy(3, 0.05, 0.1), LoopSettings())


def _push_channel(db: Conn, owner: Any, browser: dict[str, Any], events: list[str]) -> Any:
    sub = db.execute(
        "insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)"
        " values (%s, %s, %s, %s) returning id",
        (owner, browser["endpoint"], browser["keys"]["p256dh"], browser["keys"]["auth"]),
    ).fetchone()
    assert sub is not None
    db.execute(
        "insert into public.notification_channels (owner_id, kind, push_subscription_id, events)"
        " values (%s, 'web_push', %s, %s)",
        (owner, sub["id"], events),
    )
    return sub["id"]


async def test_a_booking_reaches_the_phone_encrypted(
    db: Conn, pool: AsyncConnectionPool[Any], guarded: httpx.AsyncClient, push_standin: PushStandin
) -> None:
    host = make_host(db)
    browser = await push_standin.subscribe()
    _push_channel(db, host.owner_id, browser, ["new_booking"])
    emit(db, host, "booking_cancelled")  # not chosen: never sent
    event = emit(db, host, booking_id=guest_booking(db, host.property_id))

    assert await _notifier(pool, guarded).drain() == 1

    [message] = push_standin.messages(browser["id"])
    assert message["title"] == "🏠 Новое бронирование с Avito"
    assert "Гость: Иван Гость" in message["body"]
    assert message["tag"] == f"avito-sync-{event}"
    assert [d["status"] for d in deliveries(db)] == ["delivered"]


async def test_a_gone_subscription_is_dropped_with_its_channel(
    db: Conn, pool: AsyncConnectionPool[Any], guarded: httpx.AsyncClient, push_standin: PushStandin
) -> None:
    host = make_host(db)
    browser = await push_standin.subscribe()
    _push_channel(db, host.owner_id, browser, ["new_booking"])
    push_standin.gone(browser["id"])
    emit(db, host)

    assert await _notifier(pool, guarded).drain() == 1

    assert db.execute("select count(*) as n from public.push_subscriptions").fetchone() == {"n": 0}
    assert db.execute("select count(*) as n from public.notification_channels").fetchone() == {
        "n": 0
    }
    assert deliveries(db) == []

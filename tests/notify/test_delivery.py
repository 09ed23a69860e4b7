"""Sending through real HTTP receivers: Telegram and webhook payloads, signatures, retries with
backoff after 500s, giving up after the cap, permanent errors, and no guest contacts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from avito_sync.notify.notifier import Notifier
from avito_sync.notify.sources import WakeSource
from tests.notify.conftest import (
    BOT_TOKEN,
    GUEST_EMAIL,
    GUEST_PHONE,
    PROPERTY_NAME,
    WEBHOOK_SECRET,
    Conn,
    MakeNotifier,
    SilentSource,
    add_channel,
    deliveries,
    emit,
    guest_booking,
    make_host,
)
from tests.notify.receivers import Receiver
from tests.support.waiting import wait_for
from tests.support.webhook_signing import signature

Start = Callable[[Notifier, WakeSource], None]


async def test_telegram_gets_the_rendered_message_in_the_configured_chat(
    db: Conn, make_notifier: MakeNotifier, telegram: Receiver
) -> None:
    host = make_host(db)
    add_channel(db, host.owner_id, "telegram", {"chat_id": "-100123456"})
    emit(db, host, booking_id=guest_booking(db, host.property_id))

    assert await make_notifier().drain() == 1

    [request] = telegram.received()
    assert request.path == f"/bot{BOT_TOKEN}/sendMessage"
    body = request.json()
    assert body["chat_id"] == -100123456
    assert body["parse_mode"] == "HTML"
    assert body["text"].startswith("<b>🏠 Новое бронирование с Avito</b>")
    assert PROPERTY_NAME in body["text"]
    assert "Гость: Иван Гость" in body["text"]
    assert GUEST_PHONE not in request.body.decode()
    assert GUEST_EMAIL not in request.body.decode()
    [row] = deliveries(db)
    assert row["status"] == "delivered"
    assert row["attempts"] == 1


async def test_webhook_is_signed_with_the_channels_own_secret_and_versioned(
    db: Conn, make_notifier: MakeNotifier, webhook: Receiver
) -> None:
    host = make_host(db)
    add_channel(db, host.owner_id, "webhook", {"url": f"{webhook.url}/avito"})
    booking = guest_booking(db, host.property_id)
    event = emit(
        db,
        host,
        "booking_cancelled",
        booking_id=booking,
        payload={
            "avito_booking_id": 9,
            "check_in": "2026-12-10",
            "check_out": "2026-12-13",
            "avito_status": "canceled",
            "guest_phone": GUEST_PHONE,
        },
    )

    await make_notifier().drain()

    [request] = webhook.received()
    timestamp = request.headers["X-Avito-Sync-Timestamp"]
    expected = signature(WEBHOOK_SECRET, timestamp, request.body)
    assert request.headers["X-Avito-Sync-Signature"] == expected
    assert request.headers["X-Avito-Sync-Event"] == "booking_cancelled"
    assert request.headers["X-Avito-Sync-Event-Id"] == str(event)
    assert request.headers["X-Avito-Sync-Version"] == "1"
    doc = json.loads(request.body)
    assert doc["version"] == 1
    assert doc["event_id"] == event
    assert doc["booking_id"] == str(booking)
    assert doc["property"] == {"id": str(host.property_id), "name": PROPERTY_NAME}
    assert doc["data"] == {
        "avito_booking_id": 9,
        "check_in": "2026-12-10",
        "check_out": "2026-12-13",
        "avito_status": "canceled",
        "guest_name": "Иван Гость",
        "currency": "RUB",
    }
    assert doc["message"]["title"] == "❌ Бронирование с Avito отменено"
    assert doc["message"]["text"].startswith("❌ Бронирование с Avito отменено")
    assert GUEST_PHONE not in request.body.decode()


async def test_a_500_is_retried_with_backoff_until_it_succeeds(
    db: Conn, make_notifier: MakeNotifier, webhook: Receiver, running_notifier: Start
) -> None:
    webhook.statuses = [500, 503]
    host = make_host(db)
    add_channel(db, host.owner_id, "webhook", {"url": f"{webhook.url}/avito"})
    emit(db, host)
    notifier = make_notifier(base=0.2, cap=0.4)
    assert await notifier.drain() == 1
    [after_first] = deliveries(db)
    now = db.execute("select now() as t").fetchone()
    assert now is not None
    assert after_first["status"] == "pending"
    assert after_first["last_error"] == "webhook: HTTP 500"
    # First retry: full-jitter upper half of the base delay, on the database clock.
    wait = after_first["next_attempt_at"] - after_first["updated_at"]
    assert timedelta(seconds=0.1) <= wait <= timedelta(seconds=0.2)

    running_notifier(notifier, SilentSource())  # no hints: only the due-retry timer
    await wait_for(lambda: deliveries(db)[0]["status"] == "delivered", what="delivered")

    [row] = deliveries(db)
    assert row["attempts"] == 3
    assert row["last_error"] is None
    assert len(webhook.received()) == 3


async def test_gives_up_after_the_attempt_cap(
    db: Conn, make_notifier: MakeNotifier, webhook: Receiver, running_notifier: Start
) -> None:
    webhook.default_status = 500
    host = make_host(db)
    add_channel(db, host.owner_id, "webhook", {"url": f"{webhook.url}/avito"})
    emit(db, host)

    running_notifier(make_notifier(max_attempts=3), SilentSource())
    await wait_for(lambda: deliveries(db)[0]["status"] == "failed", what="failed")

    [row] = deliveries(db)
    assert (row["attempts"], row["last_error"], row["delivered_at"]) == (
        3,
        "webhook: HTTP 500",
        None,
    )
    assert len(webhook.received()) == 3


async def test_telegram_rate_limit_is_retried_and_a_missing_chat_is_not(
    db: Conn, make_notifier: MakeNotifier, telegram: Receiver
) -> None:
    telegram.statuses = [429, 400]
    host = make_host(db)
    add_channel(db, host.owner_id, "telegram", {"chat_id": 7})
    emit(db, host)
    notifier = make_notifier()

    await notifier.drain()
    assert deliveries(db)[0]["status"] == "pending"
    db.execute("update public.notification_deliveries set next_attempt_at = now()")
    await notifier.drain()

    [row] = deliveries(db)
    assert (row["status"], row["attempts"], row["last_error"]) == (
        "failed",
        2,
        "telegram: HTTP 400",
    )


async def test_plain_http_webhooks_need_the_allow_list_and_bad_configs_fail_at_once(
    db: Conn, make_notifier: MakeNotifier, webhook: Receiver
) -> None:
    host = make_host(db)
    add_channel(db, host.owner_id, "webhook", {"url": f"http://localhost:{webhook.port}/x"})
    add_channel(db, host.owner_id, "webhook", {"url": "ftp://127.0.0.1/x"})
    add_channel(db, host.owner_id, "telegram", {"chat_id": "not a chat"})
    emit(db, host)

    await make_notifier().drain()

    errors = sorted((r["status"], r["attempts"], r["last_error"]) for r in deliveries(db))
    assert errors == [
        ("failed", 1, "telegram: invalid channel config"),
        ("failed", 1, "webhook: only https urls are allowed"),
        ("failed", 1, "webhook: only https urls are allowed"),
    ]
    assert webhook.received() == []


async def test_an_unreachable_receiver_is_retried_without_leaking_the_url(
    db: Conn, make_notifier: MakeNotifier, telegram: Receiver
) -> None:
    host = make_host(db)
    add_channel(db, host.owner_id, "telegram", {"chat_id": 7})
    emit(db, host)
    telegram.port = 9  # discard port: connection refused
    await make_notifier().drain()

    [row] = deliveries(db)
    assert row["status"] == "pending"
    assert row["last_error"] == "telegram: ConnectError"
    assert BOT_TOKEN not in row["last_error"]

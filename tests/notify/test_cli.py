"""`avito-sync notify` as a real process: events written while no notifier ran are all
delivered once it starts, it stops cleanly on SIGTERM, and its logs hold no secret and no
guest contact; bad configuration is refused with the variable named."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from tests.fixtures.standins import BOT_TOKEN as STANDIN_BOT_TOKEN
from tests.fixtures.standins import TELEGRAM_WEBHOOK_SECRET, TelegramStandin
from tests.notify.conftest import (
    BOT_TOKEN,
    GUEST_EMAIL,
    GUEST_PHONE,
    WEBHOOK_SECRET,
    Conn,
    add_channel,
    deliveries,
    emit,
    guest_booking,
    make_host,
)
from tests.notify.receivers import Receiver
from tests.support.waiting import wait_for


def notify_env(database_url: str, telegram: Receiver, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AVITO_SYNC_", "SUPABASE_"))}
    env.update(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        AVITO_SYNC_TELEGRAM_API_URL=telegram.url,
        AVITO_SYNC_NOTIFY_WEBHOOK_HTTP_HOSTS="127.0.0.1",
        AVITO_SYNC_NOTIFY_BACKOFF_BASE_SECONDS="0.05",
        AVITO_SYNC_NOTIFY_BACKOFF_CAP_SECONDS="0.2",
        AVITO_SYNC_LOG_LEVEL="DEBUG",
    )
    env.update(extra)
    return env


async def test_everything_written_while_down_is_delivered_and_logs_stay_clean(
    db: Conn, database_url: str, telegram: Receiver, webhook: Receiver
) -> None:
    telegram.statuses = [500]  # one failure, so the failure path is logged too
    host = make_host(db)
    add_channel(db, host.owner_id, "telegram", {"chat_id": 42})
    add_channel(db, host.owner_id, "webhook", {"url": f"{webhook.url}/avito"})
    booking = guest_booking(db, host.property_id)
    emit(db, host, booking_id=booking)
    emit(
        db,
        host,
        "booking_conflict",
        booking_id=booking,
        payload={
            "check_in": "2026-12-10",
            "check_out": "2026-12-12",
            "conflicting_booking_ids": [str(booking)],
        },
    )
    emit(db, host, "sync_failing", payload={"attempts": 5, "error": "HTTP 502"})

    proc = subprocess.Popen(  # noqa: ASYNC220 - a long-running child the test stops itself
        [sys.executable, "-m", "avito_sync", "notify", "--source", "listen"],
        env=notify_env(database_url, telegram),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        await wait_for(
            lambda: [r["status"] for r in deliveries(db)] == ["delivered"] * 6, what="all delivered"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        _, logs = await asyncio.to_thread(proc.communicate, timeout=20)

    assert proc.returncode == 0
    assert "notify_stopped" in logs
    assert "notification_attempt_failed" in logs
    for secret in (BOT_TOKEN, BOT_TOKEN.split(":")[1], WEBHOOK_SECRET, GUEST_PHONE, GUEST_EMAIL):
        assert secret not in logs
    assert len(telegram.received()) == 4
    assert len(webhook.received()) == 3
    for request in telegram.received() + webhook.received():
        assert GUEST_PHONE not in request.body.decode()
        assert GUEST_EMAIL not in request.body.decode()


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "avito_sync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bad_configuration_is_refused_naming_each_variable(
    database_url: str, telegram: Receiver
) -> None:
    bad_secret = "not a valid secret token!"
    env = notify_env(
        database_url,
        telegram,
        TELEGRAM_WEBHOOK_SECRET=bad_secret,
        AVITO_SYNC_NOTIFY_WEBHOOK_HTTP_HOSTS="hooks.example.com",
        AVITO_SYNC_NOTIFY_MAX_ATTEMPTS="0",
    )

    done = run_cli("notify", "--source", "listen", env=env)

    assert done.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET: must be 16-256 characters" in done.stderr
    assert "AVITO_SYNC_NOTIFY_WEBHOOK_HTTP_HOSTS" in done.stderr
    assert "AVITO_SYNC_NOTIFY_MAX_ATTEMPTS" in done.stderr
    assert bad_secret not in done.stderr


def test_the_realtime_source_needs_a_url(database_url: str, telegram: Receiver) -> None:
    done = run_cli("notify", "--source", "realtime", env=notify_env(database_url, telegram))

    assert done.returncode == 2
    assert "SUPABASE_URL or AVITO_SYNC_REALTIME_URL" in done.stderr


def test_the_standin_refuses_non_loopback_addresses(database_url: str) -> None:
    done = run_cli(
        "realtime-local", "--host", "0.0.0.0", "--database-url", database_url, env=dict(os.environ)
    )

    assert done.returncode == 2
    assert "loopback only" in done.stderr


def test_setup_registers_the_bot_webhook_when_a_bot_token_is_set(
    database_url: str, telegram_standin: TelegramStandin
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AVITO_", "TELEGRAM_"))}
    env.update(
        DATABASE_URL=database_url,
        AVITO_SYNC_POLL_SECRET="p" * 40,
        TELEGRAM_BOT_TOKEN=STANDIN_BOT_TOKEN,
        AVITO_SYNC_TELEGRAM_API_URL=telegram_standin.base_url,
    )
    refused = run_cli("setup", "--service-url", "https://service.example", env=env)
    assert refused.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_BOT_TOKEN" in refused.stderr
    assert STANDIN_BOT_TOKEN not in refused.stderr + refused.stdout

    env["TELEGRAM_WEBHOOK_SECRET"] = TELEGRAM_WEBHOOK_SECRET
    done = run_cli("setup", "--service-url", "https://service.example", env=env)

    assert done.returncode == 0, done.stderr
    assert (
        "Telegram bot webhook registered: https://service.example/telegram/webhook" in done.stdout
    )
    assert telegram_standin.state.webhook_url == "https://service.example/telegram/webhook"
    assert telegram_standin.state.webhook_secret == TELEGRAM_WEBHOOK_SECRET
    assert STANDIN_BOT_TOKEN not in done.stderr + done.stdout

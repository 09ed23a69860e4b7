"""Channel actions through HTTP with user JWTs, on real Postgres, with the Telegram and Web Push
stand-ins over real HTTP: Telegram linking end to end, webhooks with their own secret, web
push from the app's subscriptions, per-event choice, and nobody touching another's channel."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from avito_sync.api.app import build_app
from avito_sync.notify.telegram_setup import register_webhook
from tests.api.conftest import Service
from tests.fixtures.standins import (
    BOT_USERNAME,
    TELEGRAM_WEBHOOK_SECRET,
    PushStandin,
    TelegramStandin,
    serve_live,
)
from tests.notify.receivers import Receiver, running
from tests.support.channels import standin_channels
from tests.support.webhook_signing import verifies


@pytest.fixture
async def svc(service: Service, telegram_standin: TelegramStandin) -> AsyncIterator[Service]:
    """The service with channels configured against the stand-ins."""
    async with standin_channels(service.context, telegram_standin.base_url):
        yield service


@pytest.fixture
async def live(svc: Service, telegram_standin: TelegramStandin) -> AsyncIterator[str]:
    """The same service on a real port, its bot webhook registered with the stand-in."""
    app = build_app(svc.context.settings, svc.context.metrics)
    app.state.context = svc.context
    async for url in serve_live(app):
        registered = await register_webhook(svc.context.channels.settings, url)
        assert registered == f"{url}/telegram/webhook"
        assert telegram_standin.state.webhook_secret == TELEGRAM_WEBHOOK_SECRET
        yield url


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    with running(Receiver("webhook")) as receiver:
        yield receiver


async def ok(svc: Service, user: uuid.UUID, action: str, **body: Any) -> dict[str, Any]:
    answer = await svc.act(user, action, **body)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    assert data["success"] is True, data
    return data


async def refused(svc: Service, user: uuid.UUID, action: str, **body: Any) -> dict[str, Any]:
    answer = await svc.act(user, action, **body)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    assert data["success"] is False, data
    return data


async def test_telegram_linking_end_to_end(
    svc: Service, live: str, telegram_standin: TelegramStandin
) -> None:
    host = svc.user()
    link = await ok(svc, host, "channel-telegram-link")
    parts = urlsplit(link["url"])
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "t.me", f"/{BOT_USERNAME}")
    token = parse_qs(parts.query)["start"][0]
    chat = 5550001

    assert await telegram_standin.user_says(chat, f"/start {token}", username="host_one") == 200

    [welcome] = telegram_standin.messages(chat)
    assert "Уведомления о бронях с Avito будут приходить в этот чат" in welcome["shown"]
    [channel] = (await ok(svc, host, "channels-list"))["channels"]
    assert (channel["kind"], channel["target"], channel["label"], channel["active"]) == (
        "telegram",
        str(chat),
        "Telegram @host_one",
        True,
    )

    tested = await ok(svc, host, "channel-test", channel_id=channel["id"])
    assert tested["delivered"] is True
    test_message = telegram_standin.messages(chat)[-1]
    assert test_message["parse_mode"] == "HTML"
    assert test_message["shown"].startswith("🔔 Проверка уведомлений")
    [listed] = (await ok(svc, host, "channels-list"))["channels"]
    assert listed["last_delivery"]["status"] == "delivered"

    # The token is spent: replayed from another chat it binds nothing.
    intruder = 5550002
    assert await telegram_standin.user_says(intruder, f"/start {token}") == 200
    assert "недействительна" in telegram_standin.messages(intruder)[-1]["shown"]
    assert len((await ok(svc, host, "channels-list"))["channels"]) == 1

    assert await telegram_standin.user_says(chat, "/stop") == 200
    assert "отключены" in telegram_standin.messages(chat)[-1]["shown"]
    assert (await ok(svc, host, "channels-list"))["channels"] == []


async def test_a_new_link_replaces_the_old_and_an_expired_one_binds_nothing(
    svc: Service, live: str, telegram_standin: TelegramStandin
) -> None:
    host = svc.user()
    first = parse_qs(urlsplit((await ok(svc, host, "channel-telegram-link"))["url"]).query)
    second = parse_qs(urlsplit((await ok(svc, host, "channel-telegram-link"))["url"]).query)
    await telegram_standin.user_says(7001, f"/start {first['start'][0]}")
    assert (await ok(svc, host, "channels-list"))["channels"] == []
    svc.db.execute("update avito_private.telegram_link_tokens set expires_at = now()")
    await telegram_standin.user_says(7001, f"/start {second['start'][0]}")
    assert (await ok(svc, host, "channels-list"))["channels"] == []
    assert "недействительна" in telegram_standin.messages(7001)[-1]["shown"]


async def test_the_telegram_webhook_wants_telegrams_secret(svc: Service) -> None:
    host = svc.user()
    link = await ok(svc, host, "channel-telegram-link")
    token = parse_qs(urlsplit(link["url"]).query)["start"][0]
    update = {"update_id": 1, "message": {"chat": {"id": 1}, "text": f"/start {token}"}}
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guessed-secret-0123456789"}):
        answer = await svc.http.post("/telegram/webhook", json=update, headers=headers)
        assert answer.status_code == 401
    assert (await ok(svc, host, "channels-list"))["channels"] == []


async def test_webhook_secret_is_shown_once_signs_and_rotates(
    svc: Service, webhook: Receiver
) -> None:
    host = svc.user()
    added = await ok(svc, host, "channel-add-webhook", url=f"{webhook.url}/hook", label="Мой CRM")
    secret = added["secret"]
    assert secret.startswith("whsec_")
    assert added["channel"]["label"] == "Мой CRM"
    assert added["channel"]["has_secret"] is True
    listing = await svc.act(host, "channels-list")
    assert secret not in listing.text
    row = svc.db.execute("select config::text as c from public.notification_channels").fetchone()
    assert row is not None
    assert secret not in row["c"]

    channel_id = added["channel"]["id"]
    assert (await ok(svc, host, "channel-test", channel_id=channel_id))["delivered"] is True
    [first] = webhook.received()
    assert verifies(secret, first)
    doc = json.loads(first.body)
    assert doc["version"] == 1
    assert doc["kind"] == "channel_test"
    assert first.headers["X-Avito-Sync-Event-Id"] == str(doc["event_id"])

    rotated = await ok(svc, host, "channel-rotate-secret", channel_id=channel_id)
    assert rotated["secret"] != secret
    await ok(svc, host, "channel-test", channel_id=channel_id)
    second = webhook.received()[-1]
    assert verifies(rotated["secret"], second)
    assert not verifies(secret, second)


async def test_channel_test_reports_a_failure(svc: Service, webhook: Receiver) -> None:
    webhook.default_status = 503
    host = svc.user()
    added = await ok(svc, host, "channel-add-webhook", url=f"{webhook.url}/hook")
    tested = await ok(svc, host, "channel-test", channel_id=added["channel"]["id"])
    assert tested == {
        "success": True,
        "delivered": False,
        "channel_id": added["channel"]["id"],
        "error": "webhook: HTTP 503",
    }
    [channel] = (await ok(svc, host, "channels-list"))["channels"]
    assert channel["last_delivery"]["status"] == "failed"
    assert channel["failures_30d"] == 1


async def test_nobody_touches_another_hosts_channel(svc: Service, webhook: Receiver) -> None:
    owner, other = svc.user(), svc.user()
    added = await ok(svc, owner, "channel-add-webhook", url=f"{webhook.url}/hook")
    channel_id = added["channel"]["id"]
    for action, extra in (
        ("channel-test", {}),
        ("channel-rotate-secret", {}),
        ("channel-remove", {}),
        ("channel-update", {"active": False, "events": []}),
    ):
        answer = await refused(svc, other, action, channel_id=channel_id, **extra)
        assert answer["code"] == "CHANNEL_NOT_FOUND"
        assert answer["message"] == "Канал уведомлений не найден."
    assert (await ok(svc, other, "channels-list"))["channels"] == []
    [mine] = (await ok(svc, owner, "channels-list"))["channels"]
    assert mine["active"] is True
    assert len(mine["events"]) == 7  # new_message (issue #15) included
    assert webhook.received() == []


async def test_update_chooses_events_and_switches_off(svc: Service, webhook: Receiver) -> None:
    host = svc.user()
    property_id = svc.property(host)
    added = await ok(svc, host, "channel-add-webhook", url=f"{webhook.url}/hook")
    channel_id = added["channel"]["id"]
    updated = await ok(
        svc, host, "channel-update", channel_id=channel_id, events=["new_booking"], label="CRM"
    )
    assert updated["channel"]["events"] == ["new_booking"]

    def emit(kind: str) -> None:
        svc.db.execute(
            "insert into public.notification_events (owner_id, property_id, kind, dedupe_key)"
            " values (%s, %s, %s, %s)",
            (host, property_id, kind, f"t:{uuid.uuid4()}"),
        )

    def fanned_out() -> list[str]:
        rows = svc.db.execute(
            "select e.kind from public.notification_deliveries d"
            " join public.notification_events e on e.id = d.event_id"
            " where e.kind <> 'channel_test' order by d.id"
        ).fetchall()
        return [r["kind"] for r in rows]

    emit("booking_cancelled")
    emit("sync_failing")
    emit("booking_created")
    assert fanned_out() == ["booking_created"]

    await ok(svc, host, "channel-update", channel_id=channel_id, active=False)
    emit("booking_created")
    assert fanned_out() == ["booking_created"]
    await ok(svc, host, "channel-remove", channel_id=channel_id)
    assert (await ok(svc, host, "channels-list"))["channels"] == []
    assert svc.db.execute(
        "select count(*) as n from vault.secrets where name like 'notify:%%'"
    ).fetchone() == {"n": 0}


async def test_unknown_event_choices_and_bad_bodies_are_refused(svc: Service) -> None:
    host = svc.user()
    answer = await svc.act(host, "channel-add-webhook", url="https://x.example", events=["spam"])
    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_REQUEST"
    answer = await svc.act(host, "channel-update", channel_id="not-a-uuid")
    assert answer.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "https://2130706433/",
        "https://127.1/",
        "https://0x7f000001/",
        "https://0177.0.0.1/",
        "https://0/",
        "https://hooks.example.com./x",
        "https://169.254.169.254/latest",
        "https://[::1]/",
    ],
)
async def test_webhook_urls_that_could_reach_inside_are_refused(svc: Service, url: str) -> None:
    host = svc.user()
    answer = await refused(svc, host, "channel-add-webhook", url=url)
    assert answer["code"] == "WEBHOOK_URL_INVALID"
    assert answer["message"].startswith("Этот адрес нельзя использовать для вебхука")
    assert svc.db.execute("select count(*) as n from public.notification_channels").fetchone() == {
        "n": 0
    }


async def test_web_push_from_the_apps_subscription(svc: Service, push_standin: PushStandin) -> None:
    host = svc.user()
    browser = await push_standin.subscribe()
    row = svc.db.execute(
        "insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)"
        " values (%s, %s, %s, %s) returning id",
        (host, browser["endpoint"], browser["keys"]["p256dh"], browser["keys"]["auth"]),
    ).fetchone()
    assert row is not None
    listing = await ok(svc, host, "channels-list")
    [available] = listing["push_subscriptions_available"]
    assert available["subscription_id"] == str(row["id"])
    assert listing["web_push_available"] is True
    assert browser["keys"]["auth"] not in (await svc.act(host, "channels-list")).text

    other = svc.user()
    stolen = await refused(svc, other, "channel-add-push", subscription_id=str(row["id"]))
    assert stolen["code"] == "PUSH_SUBSCRIPTION_NOT_FOUND"

    added = await ok(svc, host, "channel-add-push", subscription_id=str(row["id"]))
    channel_id = added["channel"]["id"]
    assert (await ok(svc, host, "channel-test", channel_id=channel_id))["delivered"] is True
    [message] = push_standin.messages(browser["id"])
    assert message["title"] == "🔔 Проверка уведомлений"
    assert message["tag"].startswith("avito-sync-")

    # The browser dropped the subscription: 410 removes it and its channel, no retry.
    push_standin.gone(browser["id"])
    tested = await ok(svc, host, "channel-test", channel_id=channel_id)
    assert tested["delivered"] is False
    assert "410" in tested["error"]
    assert (await ok(svc, host, "channels-list"))["channels"] == []
    assert svc.db.execute("select count(*) as n from public.push_subscriptions").fetchone() == {
        "n": 0
    }


async def test_without_configuration_the_actions_say_so_in_russian(service: Service) -> None:
    host = service.user()
    answer = await refused(service, host, "channel-telegram-link")
    assert answer["code"] == "TELEGRAM_NOT_CONFIGURED"
    assert answer["message"] == "Уведомления в Telegram пока не настроены на сервере."
    answer = await refused(service, host, "channel-add-push", subscription_id=str(uuid.uuid4()))
    assert answer["code"] == "PUSH_NOT_CONFIGURED"
    assert (await service.http.post("/telegram/webhook", json={})).status_code == 404


async def test_channel_limit(svc: Service, webhook: Receiver) -> None:
    host = svc.user()
    for _ in range(20):
        await ok(svc, host, "channel-add-webhook", url=f"{webhook.url}/hook")
    answer = await refused(svc, host, "channel-add-webhook", url=f"{webhook.url}/hook")
    assert answer["code"] == "CHANNEL_LIMIT"

"""A guest's message reaches the host: through Avito's webhook to the service's per-account URL,
or (webhooks off) through the reconciliation poll; a `new_message` outbox event and a Web Push
the push service stand-in decrypts; and the messenger never races the sync's token refresh."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from avito_sync.api.app import build_app
from avito_sync.messenger import runtime
from avito_sync.messenger.inbox import Inbox
from avito_sync.messenger.settings import MessengerSettings
from avito_sync.messenger.webhooks import WEBHOOK_PATH
from avito_sync.notify.channel_store import ChannelStore
from avito_sync.notify.channels.webpush import WebPushSender
from avito_sync.sync.tokens import AccountTokens
from tests.api.conftest import Service
from tests.compat.test_app_flows import app_connect
from tests.fixtures.standins import APP_URL, PushStandin, serve_live, vapid_private_key


def events(service: Service, host: uuid.UUID) -> list[dict[str, Any]]:
    return service.db.execute(
        "select kind, payload, property_id from public.notification_events"
        " where owner_id = %s and kind = 'new_message' order by id",
        (host,),
    ).fetchall()


def chat_row(service: Service, host: uuid.UUID) -> dict[str, Any]:
    row = service.db.execute(
        "select avito_chat_id, unread_count, last_push_unread, contact_name, last_message_text,"
        " property_id from public.chats where owner_id = %s",
        (host,),
    ).fetchone()
    assert row is not None
    return row


@pytest.fixture
async def public_url(service: Service) -> AsyncIterator[str]:
    """The service on a loopback port, where the sandbox delivers webhooks."""
    app = build_app(service.context.settings, service.context.metrics)
    app.state.context = service.context
    async for url in serve_live(app):
        yield url


async def test_a_guest_message_arrives_through_the_webhook(
    service: Service, public_url: str
) -> None:
    sandbox = service.sandbox
    host, prop, _integration = await app_connect(service)
    settings = MessengerSettings(AVITO_SYNC_PUBLIC_URL=public_url)

    assert await runtime.subscribe_all(service.context, settings) == 1
    assert await runtime.subscribe_all(service.context, settings) == 0  # once per account
    [url] = sandbox.control.webhooks()[str(sandbox.account_id)]
    token = url.rsplit("/", 1)[1]
    assert url == f"{public_url}{WEBHOOK_PATH}/{token}"
    stored = service.db.execute("select token_hash from public.avito_messenger_webhooks").fetchone()
    assert stored is not None
    assert token not in stored["token_hash"]  # only the hash is kept

    sent = await asyncio.to_thread(
        sandbox.control.guest_message, sandbox.item_id, "Можно с собакой?", guest_name="Анна"
    )
    assert [d["status"] for d in sent["deliveries"]] == [200]

    [event] = events(service, host)
    assert event["payload"]["text"] == "Можно с собакой?"
    assert event["payload"]["guest_name"] == "Анна"
    assert event["payload"]["chat_id"] == sent["chat_id"]
    assert event["property_id"] == prop
    row = chat_row(service, host)
    assert (row["unread_count"], row["last_push_unread"]) == (1, 1)
    assert row["contact_name"] == "Анна"

    # The poll seeing the same message announces nothing; the guest's next message does.
    assert await runtime.inbox_of(service.context).reconcile_all() == 0
    await asyncio.to_thread(
        sandbox.control.guest_message, sandbox.item_id, "Спасибо", guest_name="Анна"
    )
    assert len(events(service, host)) == 2


async def test_webhooks_are_checked_before_anything_happens(
    service: Service, public_url: str
) -> None:
    sandbox = service.sandbox
    host, _prop, _integration = await app_connect(service)
    await runtime.subscribe_all(
        service.context, MessengerSettings(AVITO_SYNC_PUBLIC_URL=public_url)
    )
    [url] = sandbox.control.webhooks()[str(sandbox.account_id)]
    sandbox.control.guest_message(sandbox.item_id, "Тихо", deliver=False)
    forged = {
        "payload": {
            "type": "message",
            "value": {"chat_id": "u2i-x", "user_id": sandbox.account_id, "author_id": 1},
        }
    }
    async with httpx.AsyncClient(trust_env=False) as http:
        guessed = await http.post(f"{public_url}{WEBHOOK_PATH}/{'A' * 43}", json=forged)
        assert guessed.status_code == 404
        other_account = {"payload": {"value": {**forged["payload"]["value"], "user_id": 7}}}
        assert (await http.post(url, json=other_account)).status_code == 200
        assert (await http.post(url, content=b"not json")).status_code == 400
    assert events(service, host) == []  # nothing Avito did not confirm through its API


async def test_with_webhooks_off_the_poll_pushes_to_the_phone(
    service: Service, push_standin: PushStandin
) -> None:
    sandbox = service.sandbox
    host, _prop, _integration = await app_connect(service)
    browser = await push_standin.subscribe()
    service.db.execute(
        "insert into public.push_subscriptions (user_id, endpoint, p256dh, auth)"
        " values (%s, %s, %s, %s)",
        (host, browser["endpoint"], browser["keys"]["p256dh"], browser["keys"]["auth"]),
    )
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        pusher = WebPushSender(
            http,
            ChannelStore(service.context.pool),
            private_key=SecretStr(vapid_private_key()),
            subject="mailto:ops@example.test",
            http_hosts=frozenset({"127.0.0.1"}),
        )
        inbox = Inbox(
            service.context.pool,
            service.context.avito,
            service.context.tokens,
            pusher=pusher,
            app_url=APP_URL,
        )
        sandbox.control.guest_message(sandbox.item_id, "Есть парковка?", deliver=False)
        assert await inbox.reconcile_all() == 1
        assert await inbox.reconcile_all() == 0  # unread did not grow: no second push

        [message] = push_standin.messages(browser["id"])  # decrypted with the browser's keys
        assert message["title"] == "💬 Новое сообщение от гостя"
        assert "«Есть парковка?»" in message["body"]
        assert message["url"].startswith(APP_URL)
        assert message["kind"] == "new_message"
        assert len(events(service, host)) == 1

        # The host read the chat (the app zeroes unread_count); the next message pushes again.
        sandbox.control.guest_message(sandbox.item_id, "И ещё вопрос", deliver=False)
        assert await inbox.reconcile_all() == 1
        assert len(push_standin.messages(browser["id"])) == 2

        push_standin.gone(browser["id"])
        sandbox.control.guest_message(sandbox.item_id, "Алло?", deliver=False)
        assert await inbox.reconcile_all() == 1
    gone = service.db.execute(
        "select count(*) as n from public.push_subscriptions where user_id = %s", (host,)
    ).fetchone()
    assert gone == {"n": 0}


async def test_the_messenger_shares_the_syncs_single_flight_refresh(service: Service) -> None:
    """An expired token, the sync worker (another process: its own AccountTokens) and the Messages
    tab asking at once: one refresh at Avito, both use the rotated token."""
    sandbox = service.sandbox
    host, _prop, integration = await app_connect(service)
    [account] = service.db.execute(
        "select a.id, t.access_token, t.refresh_token from public.avito_accounts a,"
        " avito_private.read_account_tokens(a.id) t where a.owner_id = %s",
        (host,),
    ).fetchall()
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    service.db.execute(
        "select avito_private.rotate_account_tokens(%s, %s, %s, %s)",
        (account["id"], account["access_token"], account["refresh_token"], past),
    )
    sandbox.control.expire_tokens(access_token=account["access_token"])
    service.context.tokens(account["id"])  # the service's cache is the sync runtime's
    service.runtime.tokens.forget(account["id"])
    sandbox.control.clear_requests()
    worker = AccountTokens(service.context.pool, service.context.avito)

    async def messages_tab() -> httpx.Response:
        return await service.http.post(
            "/functions/v1/avito-messenger",
            json={"action": "getChats", "integration_id": integration},
            headers=service.headers(host),
        )

    tab, worker_token, sync = await asyncio.gather(
        messages_tab(),
        worker.access_token(account["id"]),
        service.runtime.engine.sync_integration(uuid.UUID(integration), trigger="manual"),
    )
    assert tab.status_code == 200, tab.text
    assert sync.ran
    refreshes = [
        r
        for r in sandbox.control.requests()
        if r.operation_id == "refreshAccessTokenAuthorizationCode"
    ]
    assert len(refreshes) == 1
    assert worker_token != account["access_token"]

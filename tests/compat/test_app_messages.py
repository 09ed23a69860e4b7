"""The Messages tab (docs/app-contract.md §11, §3.2, §4.2) after the cutover: the app's exact
`avito-messenger` bodies and the fields it reads, the statuses it reacts to, and the messenger
consent branch of `avito-oauth-callback`. Tokens come from Vault; none reaches the answer."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest

from tests.api.conftest import Service
from tests.compat.app import APP_SCOPES, invoke
from tests.compat.test_app_flows import app_connect


def messenger_state(integration_id: str | None) -> str:
    """avito.ts:72-97: btoa(JSON.stringify({type, integration_id, ts, nonce}))."""
    data = {
        "type": "messenger_auth",
        "integration_id": integration_id,
        "ts": int(time.time() * 1000),
        "nonce": uuid.uuid4().hex[:16],
    }
    return base64.b64encode(json.dumps(data).encode()).decode()


async def messenger(service: Service, host: uuid.UUID, body: dict[str, Any]) -> Any:
    return await invoke(service, host, "avito-messenger", body)


def vault_tokens(service: Service, host: uuid.UUID) -> list[str]:
    rows = service.db.execute(
        "select t.access_token, t.refresh_token from public.avito_accounts a,"
        " avito_private.read_account_tokens(a.id) t where a.owner_id = %s",
        (host,),
    ).fetchall()
    return [v for row in rows for v in (row["access_token"], row["refresh_token"]) if v]


async def test_chats_messages_and_send_as_the_app_calls_them(service: Service) -> None:
    sandbox = service.sandbox
    host, _prop, integration = await app_connect(service)
    guest = sandbox.control.guest_message(sandbox.item_id, "Здравствуйте, свободно?", deliver=False)

    # useAvitoChats.ts: {action: 'getChats', integration_id}; reads chats[].id, context.value
    # .title, users, unread_count, last_message.{type, content.text, direction, created}.
    chats = await messenger(service, host, {"action": "getChats", "integration_id": integration})
    assert chats.status_code == 200, chats.text
    [chat] = chats.json()["chats"]
    assert chat["id"] == guest["chat_id"]
    assert chat["context"]["value"]["title"]
    assert chat["unread_count"] == 1
    assert {u["name"] for u in chat["users"]} >= {"Гость"}
    assert chat["last_message"]["content"]["text"] == "Здравствуйте, свободно?"
    assert chat["last_message"]["direction"] == "in"
    assert isinstance(chat["last_message"]["created"], int)

    # {action: 'getMessages', integration_id, chat_id, limit: 50, offset: 0}: Avito's bare
    # array arrives as {messages: [...]}; reads id, created, content.text, author_id, direction.
    body = {"action": "getMessages", "integration_id": integration, "chat_id": chat["id"]}
    listed = await messenger(service, host, {**body, "limit": 50, "offset": 0})
    assert listed.status_code == 200, listed.text
    [message] = listed.json()["messages"]
    assert message["id"]
    assert isinstance(message["created"], int)
    assert message["content"]["text"] == "Здравствуйте, свободно?"
    assert message["direction"] == "in"
    assert message["author_id"] != sandbox.account_id

    # {action: 'sendMessage', integration_id, chat_id, text, attachments}: the app needs `id`.
    sent = await messenger(
        service,
        host,
        {
            "action": "sendMessage",
            "integration_id": integration,
            "chat_id": chat["id"],
            "text": "Да, свободно",
            "attachments": [],
        },
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["id"]
    [on_avito] = sandbox.control.chats()
    assert on_avito["texts"] == ["Здравствуйте, свободно?", "Да, свободно"]

    everything = chats.text + listed.text + sent.text
    assert all(token not in everything for token in vault_tokens(service, host))


async def test_the_statuses_the_app_reacts_to(service: Service) -> None:
    sandbox = service.sandbox
    host, _prop, integration = await app_connect(service)
    chats = {"action": "getChats", "integration_id": integration}

    stranger = service.user()
    assert (await messenger(service, stranger, chats)).status_code == 403  # not theirs
    unknown = {"action": "getChats", "integration_id": str(uuid.uuid4())}
    assert (await messenger(service, host, unknown)).status_code == 404
    assert (await messenger(service, host, {"action": "getChats"})).status_code == 400
    no_chat = {"action": "getMessages", "integration_id": integration}
    assert (await messenger(service, host, no_chat)).status_code == 400
    assert (await messenger(service, host, {**chats, "action": "debug"})).status_code == 400
    anonymous = await service.http.post("/functions/v1/avito-messenger", json=chats)
    assert anonymous.status_code == 401

    # Avito refuses: Avito's status and body shape, for the app's error.context.status.
    sandbox.control.add_fault("getChatsV2", error_rates={500: 1.0}, times=1)
    failed = await messenger(service, host, chats)
    assert failed.status_code == 500
    assert failed.json()["error"] == "Avito API error"
    assert failed.json()["status"] == 500
    assert failed.json()["data"]["error"]["code"]

    # A grant without messenger:read: 403, which the app treats as "skip this integration".
    service.db.execute(
        "update public.integrations set scope = 'user:read,short_term_rent:read' where id = %s",
        (integration,),
    )
    scoped = await messenger(service, host, chats)
    assert scoped.status_code == 403
    assert scoped.json()["reason"] == "missing_messenger_scope"

    # The account needs a reconnect: 401, the app's "re-authorise messages" toast.
    service.db.execute(
        "update public.integrations set scope = %s where id = %s", (APP_SCOPES, integration)
    )
    service.db.execute(
        "update public.avito_accounts set status = 'needs_reconnect' where owner_id = %s", (host,)
    )
    assert (await messenger(service, host, chats)).status_code == 401

    # An inactive integration: 404.
    service.db.execute(
        "update public.integrations set is_active = false where id = %s", (integration,)
    )
    assert (await messenger(service, host, chats)).status_code == 404


async def test_messenger_consent_records_the_scope_on_the_integration(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = service.sandbox
    monkeypatch.setenv("AVITO_SYNC_PUBLIC_URL", "https://sync.example.test")
    host, _prop, integration = await app_connect(service)
    without = "user:read,short_term_rent:read,short_term_rent:write"
    service.db.execute(
        "update public.integrations set scope = %s, is_active = false where id = %s",
        (without, integration),
    )
    state = messenger_state(integration)
    # AvitoCallbackPage.tsx: the popup posts {code, state} and the opener invokes the callback.
    code = sandbox.control.authorize(
        sandbox.client_id, account_id=sandbox.account_id, state=state, scopes=APP_SCOPES
    )["code"]
    body = {"code": code, "state": state, "redirect_uri": sandbox.redirect_uri}
    answer = await invoke(service, host, "avito-oauth-callback", body)
    assert answer.status_code == 200
    assert answer.json()["success"] is True, answer.json()

    row = service.db.execute(
        "select scope, is_active from public.integrations where id = %s", (integration,)
    ).fetchone()
    assert row is not None
    assert "messenger:read" in row["scope"]
    assert "messenger:write" in row["scope"]
    assert row["is_active"] is True
    chats = {"action": "getChats", "integration_id": integration}
    assert (await messenger(service, host, chats)).status_code == 200
    # Gaining the messenger scopes subscribes the account's webhook at once.
    [hook] = sandbox.control.webhooks()[str(sandbox.account_id)]
    assert hook.startswith("https://sync.example.test/avito/messenger/webhook/")

    replay = await invoke(service, host, "avito-oauth-callback", body)
    assert replay.status_code == 200
    assert replay.json()["success"] is False

    # No JWT: 401. A host without any Avito integration: the reason the app reads.
    anonymous = await service.http.post("/functions/v1/avito-oauth-callback", json=body)
    assert anonymous.status_code == 401
    lonely = service.user()
    state = messenger_state(integration)  # another host's integration is not a target
    code = sandbox.control.authorize(
        sandbox.client_id, account_id=sandbox.account_id, state=state, scopes=APP_SCOPES
    )["code"]
    none = await invoke(
        service,
        lonely,
        "avito-oauth-callback",
        {"code": code, "state": state, "redirect_uri": sandbox.redirect_uri},
    )
    assert none.status_code == 200
    assert none.json()["success"] is False
    assert none.json()["reason"] == "no_avito_integration"
    assert none.json()["error"]


async def test_consent_of_another_avito_account_is_refused(service: Service) -> None:
    sandbox = service.sandbox
    host, _prop, integration = await app_connect(service)
    other = sandbox.control.add_account(name="Чужой аккаунт")
    state = messenger_state(integration)
    code = sandbox.control.authorize(
        sandbox.client_id, account_id=other.id, state=state, scopes=APP_SCOPES
    )["code"]
    answer = await invoke(
        service,
        host,
        "avito-oauth-callback",
        {"code": code, "state": state, "redirect_uri": sandbox.redirect_uri},
    )
    assert answer.status_code == 200
    assert answer.json()["success"] is False
    assert answer.json()["reason"] == "account_mismatch"

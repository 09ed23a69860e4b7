"""Reconciling an account's Avito chats into the app's `chats` table, and telling the host.

One reconciliation reads the newest 50 chats (`getChatsV2`), as the old `avito-message-poller`
did, and upserts each into `chats` (counters and preview; the app's own columns are kept).
A chat whose `unread_count` grew past `last_push_unread` with a guest's message last gets,
exactly once (the counter moves under a conditional update): a `new_message` outbox event for
the host's channels, and a Web Push to the app's `push_subscriptions` that no channel
already serves. Webhooks trigger a reconciliation of their account; the poll runs them all.
Notifications are built from Avito's API answer, never from a webhook's unsigned body.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from psycopg.rows import class_row, dict_row
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.client import AvitoClient
from avito_sync.avito.errors import AvitoError
from avito_sync.avito.messenger import CHAT_ID
from avito_sync.core.logs import get_logger
from avito_sync.core.queries import Queries
from avito_sync.notify.channels.base import DeliveryError, PushSubscription
from avito_sync.notify.channels.webpush import MAX_PAYLOAD_BYTES, WebPushSender
from avito_sync.notify.render import EventView, render
from avito_sync.notify.ru_format import as_int

log = get_logger(__name__)
QUERIES = Queries("avito_sync.messenger")

CHATS_PER_POLL = 50
MAX_PREVIEW = 500


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    owner_id: uuid.UUID
    avito_user_id: int


@dataclass(frozen=True)
class ChatView:
    """What one Avito chat says, read defensively (Avito's JSON is passed through elsewhere)."""

    chat_id: str
    unread: int
    item_id: int | None
    item_title: str | None
    guest_name: str | None
    last_id: str | None
    last_text: str | None
    last_in: bool
    last_at: dt.datetime | None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value.strip() else None


def chat_view(chat: Mapping[str, Any], avito_user_id: int) -> ChatView | None:
    """None for anything that is not a readable chat."""
    chat_id = chat.get("id")
    if not isinstance(chat_id, str) or not CHAT_ID.fullmatch(chat_id):
        return None
    value = _dict(_dict(chat.get("context")).get("value"))
    users = _list(chat.get("users"))
    guest = next(
        (
            u
            for u in users
            if isinstance(u, dict) and as_int(u.get("id", u.get("user_id"))) != avito_user_id
        ),
        {},
    )
    last = _dict(chat.get("last_message"))
    content = _dict(last.get("content"))
    created = as_int(last.get("created")) or as_int(chat.get("updated"))
    author = as_int(last.get("author_id"))
    return ChatView(
        chat_id=chat_id,
        unread=max(as_int(chat.get("unread_count")) or 0, 0),
        item_id=as_int(value.get("id")),
        item_title=_str(value.get("title"), 300),
        guest_name=_str(guest.get("name"), 200),
        last_id=_str(last.get("id"), 200),
        last_text=_str(content.get("text"), MAX_PREVIEW),
        last_in=last.get("direction") == "in" or (author is not None and author != avito_user_id),
        last_at=dt.datetime.fromtimestamp(created, dt.UTC) if created else None,
    )


@dataclass(frozen=True)
class NewMessage:
    account: Account
    chat: ChatView
    property_id: uuid.UUID | None
    integration_id: uuid.UUID | None
    property_name: str | None


class Inbox:
    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        avito: AvitoClient,
        tokens: Callable[[uuid.UUID], TokenProvider],
        *,
        pusher: WebPushSender | None,
        app_url: str | None,
    ) -> None:
        self._pool = pool
        self._avito = avito
        self._tokens = tokens
        self._pusher = pusher
        self._app_url = app_url
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}

    async def accounts(self) -> list[Account]:
        """Active accounts whose grant includes `messenger:read`."""
        async with (
            self._pool.connection() as conn,
            conn.cursor(row_factory=class_row(Account)) as cur,
        ):
            await cur.execute(QUERIES["messenger_accounts"])
            accounts: list[Account] = await cur.fetchall()
            return accounts

    async def reconcile(self, account: Account) -> int:
        """One account's chats read and recorded; how many new guest messages were announced."""
        lock = self._locks.setdefault(account.id, asyncio.Lock())
        # One at a time per account within this inbox; across inboxes (each webhook request,
        # other processes) the conditional update in `_record` keeps announcements single.
        async with lock:
            answer = await self._avito.messenger.get_chats(
                self._tokens(account.id), account.avito_user_id, limit=CHATS_PER_POLL
            )
            chats = [_dict(c) for c in _list(answer.get("chats"))]
            views = [v for c in chats if (v := chat_view(c, account.avito_user_id)) is not None]
            fresh = [m for v in views if (m := await self._record(account, v)) is not None]
        for message in fresh:
            await self._push(message)
        return len(fresh)

    async def reconcile_all(self) -> int:
        announced = 0
        for account in await self.accounts():
            try:
                announced += await self.reconcile(account)
            except AvitoError as error:
                log.warning(
                    "messenger_reconcile_failed",
                    account_id=str(account.id),
                    error=type(error).__name__,
                )
        return announced

    async def _record(self, account: Account, chat: ChatView) -> NewMessage | None:
        async with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=dict_row) as cur,
        ):
            await cur.execute(
                QUERIES["chat_link"],
                {
                    "owner": account.owner_id,
                    "account_id": account.id,
                    "avito_user_id": account.avito_user_id,
                    "item_id": chat.item_id,
                },
            )
            link = await cur.fetchone() or {}
            await cur.execute(
                QUERIES["record_chat"],
                {
                    "owner": account.owner_id,
                    "property_id": link.get("property_id"),
                    "chat_id": chat.chat_id,
                    "avito_user_id": str(account.avito_user_id),
                    "item_id": str(chat.item_id) if chat.item_id else None,
                    "item_title": chat.item_title,
                    "integration_id": link.get("id"),
                    "guest_name": chat.guest_name,
                    "unread": chat.unread,
                    "last_text": chat.last_text,
                    "last_at": chat.last_at,
                },
            )
            row = await cur.fetchone()
            assert row is not None
            if chat.unread < row["last_push_unread"]:  # read meanwhile: count from here
                await cur.execute(
                    QUERIES["reset_push_unread"], {"unread": chat.unread, "chat_row_id": row["id"]}
                )
                return None
            if chat.unread == row["last_push_unread"] or not chat.last_in:
                return None
            await cur.execute(
                QUERIES["claim_push_unread"], {"unread": chat.unread, "chat_row_id": row["id"]}
            )
            if await cur.fetchone() is None:
                return None  # another reconciliation announced it
            message = NewMessage(
                account, chat, row["property_id"], row["integration_id"], link.get("name")
            )
            await cur.execute(
                QUERIES["new_message_event"],
                {
                    "owner": account.owner_id,
                    "property_id": message.property_id,
                    "integration_id": message.integration_id,
                    "payload": json.dumps(event_payload(chat), ensure_ascii=False),
                    "dedupe_key": (
                        f"new_message:{account.id}:{chat.chat_id}:{chat.last_id or chat.unread}"
                    )[:200],
                },
            )
        return message

    async def _push(self, message: NewMessage) -> None:
        """Web Push to the owner's subscriptions that no `new_message` channel serves."""
        if self._pusher is None:
            return
        async with (
            self._pool.connection() as conn,
            conn.cursor(row_factory=class_row(PushSubscription)) as cur,
        ):
            await cur.execute(
                QUERIES["uncovered_push_subscriptions"], {"owner": message.account.owner_id}
            )
            subscriptions = await cur.fetchall()
        data = push_payload(message, self._app_url)
        for subscription in subscriptions:
            try:
                await self._pusher.push(subscription, data)
            except DeliveryError as error:
                log.info("messenger_push_failed", reason=error.reason)


def event_payload(chat: ChatView) -> dict[str, Any]:
    return {
        "chat_id": chat.chat_id,
        "guest_name": chat.guest_name,
        "item_id": chat.item_id,
        "item_title": chat.item_title,
        "text": chat.last_text,
        "unread_count": chat.unread,
        "message_id": chat.last_id,
    }


def push_payload(message: NewMessage, app_url: str | None) -> bytes:
    """The app's service worker reads title, body, url and tag (as the notifier's pushes)."""
    rendered = render(
        EventView(
            kind="new_message",
            payload=event_payload(message.chat),
            property_name=message.property_name,
            app_url=app_url,
        )
    )
    doc = {
        "title": rendered.title,
        "body": "\n".join(rendered.lines),
        "url": rendered.link,
        "tag": f"avito-chat-{message.chat.chat_id}",
        "kind": "new_message",
    }
    data = json.dumps(doc, ensure_ascii=False).encode()
    while len(data) > MAX_PAYLOAD_BYTES and doc["body"]:
        doc["body"] = str(doc["body"])[: len(str(doc["body"])) // 2] + "…"
        data = json.dumps(doc, ensure_ascii=False).encode()
    return data

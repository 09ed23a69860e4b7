"""The messenger operations the service calls (messenger.json): chats v2, messages v3, send v1,
read v1, webhook subscribe v3 / unsubscribe v1. A token's account sees only its own chats."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from avito_sync.local.sandbox.errors import error
from avito_sync.local.sandbox.gate import Call, begin, json_body
from avito_sync.local.sandbox.models import Chat, ChatMessage
from avito_sync.local.sandbox.state import SandboxState

router = APIRouter()


def _own(call: Call, user_id: str) -> int:
    account_id = int(user_id)
    if account_id != call.token.account_id:
        raise error(call.family, 403, "Forbidden: user_id does not match the token's account")
    return account_id


def _chat(call: Call, account_id: int, chat_id: str) -> Chat:
    chat = call.state.world.chats.get(chat_id)
    if chat is None or chat.account_id != account_id:
        raise error(call.family, 404, "Chat not found")
    return chat


def message_json(chat: Chat, message: ChatMessage) -> dict[str, object]:
    return {
        "id": message.id,
        "author_id": message.author_id,
        "content": {"text": message.text},
        "created": message.created,
        "direction": "out" if message.author_id == chat.account_id else "in",
        "is_read": message.author_id == chat.account_id or message.read is not None,
        "read": message.read,
        "type": "text",
    }


def unread_count(chat: Chat) -> int:
    return sum(m.author_id != chat.account_id and m.read is None for m in chat.messages)


def chat_json(state: SandboxState, chat: Chat) -> dict[str, object]:
    listing = state.world.listings.get(chat.item_id)
    account = state.world.accounts.get(chat.account_id)
    last = chat.messages[-1] if chat.messages else None
    body: dict[str, object] = {
        "id": chat.id,
        "context": {
            "type": "item",
            "value": {
                "id": chat.item_id,
                "title": listing.title if listing else "",
                "url": listing.url or "" if listing else "",
                "user_id": chat.account_id,
                "price_string": f"{listing.price} ₽" if listing and listing.price else "",
            },
        },
        "created": chat.created,
        "updated": last.created if last else chat.created,
        "users": [
            {"id": chat.guest_id, "name": chat.guest_name},
            {"id": chat.account_id, "name": account.name if account else ""},
        ],
        # Not in messenger.json's Chat schema, but Avito sends it and the app reads it.
        "unread_count": unread_count(chat),
    }
    if last is not None:
        message = message_json(chat, last)
        keys = ("id", "author_id", "content", "created", "direction", "type")
        body["last_message"] = {k: message[k] for k in keys}
    return body


@router.get("/messenger/v2/accounts/{user_id}/chats")
async def get_chats(request: Request, user_id: str) -> JSONResponse:
    call = await begin(request, "getChatsV2")
    account_id = _own(call, user_id)
    query = request.query_params
    limit, offset = int(query.get("limit", "100")), int(query.get("offset", "0"))
    items = {int(i) for i in query["item_ids"].split(",")} if "item_ids" in query else None
    unread_only = query.get("unread_only") in {"true", "1"}
    chats = sorted(
        (
            c
            for c in call.state.world.chats.values()
            if c.account_id == account_id
            and (items is None or c.item_id in items)
            and (not unread_only or unread_count(c) > 0)
        ),
        key=lambda c: -(c.messages[-1].created if c.messages else c.created),
    )
    page = chats[offset : offset + limit]
    return JSONResponse({"chats": [chat_json(call.state, c) for c in page]})


@router.get("/messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/")
async def get_messages(request: Request, user_id: str, chat_id: str) -> JSONResponse:
    """Newest first, as Avito pages them; a bare array (the app wraps it)."""
    call = await begin(request, "getMessagesV3")
    chat = _chat(call, _own(call, user_id), chat_id)
    query = request.query_params
    limit, offset = int(query.get("limit", "100")), int(query.get("offset", "0"))
    newest_first = list(reversed(chat.messages))[offset : offset + limit]
    return JSONResponse([message_json(chat, m) for m in newest_first])


@router.post("/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages")
async def send_message(request: Request, user_id: str, chat_id: str) -> JSONResponse:
    call = await begin(request, "postSendMessage")
    chat = _chat(call, _own(call, user_id), chat_id)
    body = await json_body(request, call)
    text = (body.get("message") or {}).get("text")
    if not text:
        raise error(call.family, 400, "Bad request: message.text is required")
    message = ChatMessage(
        id=secrets.token_hex(16),
        author_id=chat.account_id,
        text=text,
        created=int(call.state.now().timestamp()),
    )
    chat.messages.append(message)
    return JSONResponse(message_json(chat, message))


@router.post("/messenger/v1/accounts/{user_id}/chats/{chat_id}/read")
async def read_chat(request: Request, user_id: str, chat_id: str) -> JSONResponse:
    call = await begin(request, "chatRead")
    chat = _chat(call, _own(call, user_id), chat_id)
    now = int(call.state.now().timestamp())
    for message in chat.messages:
        if message.author_id != chat.account_id and message.read is None:
            message.read = now
    return JSONResponse({"ok": True})


@router.post("/messenger/v3/webhook")
async def subscribe(request: Request) -> JSONResponse:
    call = await begin(request, "postWebhookV3")
    url = str((await json_body(request, call))["url"])
    urls = call.state.world.webhooks.setdefault(call.token.account_id, [])
    if url not in urls:
        urls.append(url)
    return JSONResponse({"ok": True})


@router.post("/messenger/v1/webhook/unsubscribe")
async def unsubscribe(request: Request) -> JSONResponse:
    call = await begin(request, "postWebhookUnsubscribe")
    url = str((await json_body(request, call))["url"])
    urls = call.state.world.webhooks.get(call.token.account_id, [])
    if url in urls:
        urls.remove(url)
    return JSONResponse({"ok": True})

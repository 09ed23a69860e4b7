"""Control API for the messenger: a guest writes about a listing, and Avito's webhook
notification (messenger.json, postWebhookV3's 201 body) goes to every URL the listing's
account subscribed, unless the caller asks for no delivery (to exercise the polling path)."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from avito_sync.local.sandbox.gate import sandbox_state
from avito_sync.local.sandbox.models import Chat, ChatMessage
from avito_sync.local.sandbox.routes_messenger import chat_json
from avito_sync.local.sandbox.state import SandboxState

router = APIRouter(prefix="/_sandbox/messenger", tags=["sandbox control"])
DELIVERY_TIMEOUT_SECONDS = 10.0


class GuestMessageIn(BaseModel):
    item_id: int
    text: str = Field(min_length=1, max_length=1000)
    chat_id: str | None = None  # None: the guest's chat about this item (made if new)
    guest_id: int = Field(default=500_000_001, ge=1)
    guest_name: str = Field(default="Гость", min_length=1, max_length=200)
    deliver: bool = True


class Delivery(BaseModel):
    url: str
    status: int | None  # None: the URL did not answer
    error: str | None = None


class GuestMessageOut(BaseModel):
    chat_id: str
    message_id: str
    deliveries: list[Delivery]


def webhook_body(chat: Chat, message: ChatMessage) -> dict[str, Any]:
    return {
        "id": secrets.token_hex(8),
        "version": "v3.0.0",
        "timestamp": message.created,
        "payload": {
            "type": "message",
            "value": {
                "id": message.id,
                "chat_id": chat.id,
                "user_id": chat.account_id,
                "author_id": message.author_id,
                "created": message.created,
                "type": "text",
                "chat_type": "u2i",
                "content": {"text": message.text},
                "item_id": chat.item_id,
                "published_at": "",
                "read": None,
            },
        },
    }


def _chat_for(state: SandboxState, body: GuestMessageIn) -> Chat:
    listing = state.world.listings.get(body.item_id)
    if listing is None:
        raise HTTPException(404, f"no listing {body.item_id}")
    if body.chat_id is not None:
        chat = state.world.chats.get(body.chat_id)
        if chat is None or chat.item_id != body.item_id:
            raise HTTPException(404, f"no chat {body.chat_id} about listing {body.item_id}")
        return chat
    for chat in state.world.chats.values():
        if chat.item_id == body.item_id and chat.guest_id == body.guest_id:
            return chat
    chat = Chat(
        id=f"u2i-{secrets.token_urlsafe(12)}",
        account_id=listing.account_id,
        item_id=listing.id,
        guest_id=body.guest_id,
        guest_name=body.guest_name,
        created=int(state.now().timestamp()),
    )
    state.world.chats[chat.id] = chat
    return chat


@router.post("/guest-messages", status_code=201)
async def guest_message(request: Request, body: GuestMessageIn) -> GuestMessageOut:
    """Post a guest's message and deliver the webhook notification (one attempt per URL)."""
    state = sandbox_state(request)
    chat = _chat_for(state, body)
    message = ChatMessage(
        id=secrets.token_hex(16),
        author_id=body.guest_id,
        text=body.text,
        created=int(state.now().timestamp()),
    )
    chat.messages.append(message)
    urls = list(state.world.webhooks.get(chat.account_id, [])) if body.deliver else []
    deliveries: list[Delivery] = []
    async with httpx.AsyncClient(timeout=DELIVERY_TIMEOUT_SECONDS, trust_env=False) as http:
        for url in urls:
            try:
                answer = await http.post(url, json=webhook_body(chat, message))
            except httpx.HTTPError as exc:
                deliveries.append(Delivery(url=url, status=None, error=type(exc).__name__))
            else:
                deliveries.append(Delivery(url=url, status=answer.status_code))
    return GuestMessageOut(chat_id=chat.id, message_id=message.id, deliveries=deliveries)


@router.get("/chats")
async def list_chats(request: Request) -> list[dict[str, Any]]:
    """Every chat as getChatsV2 shows it, plus its messages' texts (newest last)."""
    state = sandbox_state(request)
    return [
        {**chat_json(state, chat), "texts": [m.text for m in chat.messages]}
        for chat in state.world.chats.values()
    ]


@router.get("/webhooks")
async def list_webhooks(request: Request) -> dict[str, list[str]]:
    """Subscribed webhook URLs by account id."""
    return {str(k): v for k, v in sandbox_state(request).world.webhooks.items() if v}

"""LOCAL ONLY: a Telegram Bot API stand-in, enough for the bot's side of notifications.

Bot API (`/bot<token>/<method>`, the configured token only, else 401 like Telegram):
`getMe`, `setWebhook` (url, secret_token), `getWebhookInfo`, `deleteWebhook`, `sendMessage`
(with `parse_mode=HTML` checked the way Telegram does: only its tags, every `<`, `>` and `&`
in text escaped, else 400 "can't parse entities").
Control API (the "user" side):
- `POST /_telegram/chats/{chat_id}/send {"text", "first_name"?, "username"?}`: the user types
  `text` in a private chat with the bot; the update is POSTed to the registered webhook with
  the `X-Telegram-Bot-Api-Secret-Token` header; answers the webhook's status.
- `GET /_telegram/chats/{chat_id}/messages`, `GET /_telegram/messages`: what the bot sent.
- `POST /_telegram/reset`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
}


class EntityError(ValueError):
    pass


class _Checker(HTMLParser):
    """Telegram's HTML mode: known tags only, balanced, entities only &lt; &gt; &amp; &quot;."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise EntityError(f'Unsupported start tag "{tag}"')
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            raise EntityError(f'Unmatched end tag "{tag}"')

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            raise EntityError("Unexpected character")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            raise EntityError(f'Unsupported entity "{name}"')
        self.text.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[name])

    def handle_charref(self, name: str) -> None:
        self.text.append(chr(int(name[1:], 16) if name.startswith("x") else int(name)))


def parse_html(text: str) -> str:
    """The plain text Telegram would show, or `EntityError` where Telegram answers 400."""
    if "&" in text.replace("&lt;", "").replace("&gt;", "").replace("&amp;", "").replace(
        "&quot;", ""
    ):
        raise EntityError("Unsupported entity")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{checker.stack[-1]}"')
    return "".join(checker.text)


@dataclass
class TelegramState:
    token: str
    username: str = "avito_sync_dev_bot"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


def _error(status: int, description: str) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error_code": status, "description": description}, status_code=status
    )


def create_app(
    state: TelegramState, on_message: Callable[[dict[str, Any]], None] | None = None
) -> Starlette:
    async def bot(request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        if token != state.token:
            return _error(401, "Unauthorized")
        try:
            body = await request.json() if await request.body() else {}
        except ValueError:
            return _error(400, "Bad Request: invalid JSON")
        if not isinstance(body, dict):
            return _error(400, "Bad Request")
        if method == "getMe":
            return JSONResponse(
                {
                    "ok": True,
                    "result": {
                        "id": 1,
                        "is_bot": True,
                        "first_name": "Avito Sync",
                        "username": state.username,
                    },
                }
            )
        if method == "setWebhook":
            state.webhook_url = body.get("url") or None
            state.webhook_secret = body.get("secret_token") or None
            return JSONResponse({"ok": True, "result": True, "description": "Webhook was set"})
        if method == "deleteWebhook":
            state.webhook_url = state.webhook_secret = None
            return JSONResponse({"ok": True, "result": True})
        if method == "getWebhookInfo":
            return JSONResponse({"ok": True, "result": {"url": state.webhook_url or ""}})
        if method == "sendMessage":
            return send_message(body)
        return _error(404, "Not Found")

    def send_message(body: dict[str, Any]) -> JSONResponse:
        chat_id, text = body.get("chat_id"), body.get("text")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if not isinstance(chat_id, int | str) or not str(chat_id).lstrip("-").isdigit():
            return _error(400, "Bad Request: chat not found")
        shown = text
        if body.get("parse_mode") == "HTML":
            try:
                shown = parse_html(text)
            except EntityError as exc:
                return _error(400, f"Bad Request: can't parse entities: {exc}")
        with state.lock:
            message = {
                "message_id": next(state.ids),
                "chat_id": int(chat_id),
                "text": text,
                "shown": shown,
                "parse_mode": body.get("parse_mode"),
                "date": int(time.time()),
            }
            state.messages.append(message)
        if on_message is not None:
            on_message(message)
        return JSONResponse(
            {
                "ok": True,
                "result": {
                    "message_id": message["message_id"],
                    "chat": {"id": int(chat_id)},
                    "text": shown,
                },
            }
        )

    async def user_sends(request: Request) -> JSONResponse:
        chat_id = int(request.path_params["chat_id"])
        body = await request.json()
        if state.webhook_url is None:
            return JSONResponse({"error": "no webhook registered"}, status_code=409)
        with state.lock:
            update_id = next(state.ids)
        update = {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {
                    "id": chat_id,
                    "type": "private",
                    "first_name": body.get("first_name", "Хозяин"),
                    "username": body.get("username"),
                },
                "from": {
                    "id": chat_id,
                    "is_bot": False,
                    "first_name": body.get("first_name", "Хозяин"),
                },
                "text": body["text"],
            },
        }
        headers = {}
        if state.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = state.webhook_secret
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            answer = await client.post(state.webhook_url, json=update, headers=headers)
        return JSONResponse({"webhook_status": answer.status_code})

    async def chat_messages(request: Request) -> JSONResponse:
        chat_id = int(request.path_params["chat_id"])
        with state.lock:
            return JSONResponse([m for m in state.messages if m["chat_id"] == chat_id])

    async def all_messages(_request: Request) -> JSONResponse:
        with state.lock:
            return JSONResponse(list(state.messages))

    async def reset(_request: Request) -> JSONResponse:
        with state.lock:
            state.messages.clear()
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/bot{token}/{method}", bot, methods=["POST", "GET"]),
            Route("/_telegram/chats/{chat_id:int}/send", user_sends, methods=["POST"]),
            Route("/_telegram/chats/{chat_id:int}/messages", chat_messages, methods=["GET"]),
            Route("/_telegram/messages", all_messages, methods=["GET"]),
            Route("/_telegram/reset", reset, methods=["POST"]),
        ]
    )

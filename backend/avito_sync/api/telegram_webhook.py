"""`POST /telegram/webhook`: the bot's updates from Telegram (registered by `avito-sync setup`).

Telegram proves itself with `X-Telegram-Bot-Api-Secret-Token` (compared in constant time with
TELEGRAM_WEBHOOK_SECRET); without the secret configured the route does not exist (404).
`/start <token>` binds the chat as the token owner's Telegram channel (token from
`channel-telegram-link`: one use, short-lived); `/stop` unlinks the chat. The bot answers in
the chat. Telegram retries anything but 2xx, so every update it sent is answered 200 once read,
even one we ignore.
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from psycopg.rows import dict_row

from avito_sync.api.actions.channels import token_hash
from avito_sync.api.context import ServiceContext
from avito_sync.api.deps import Context
from avito_sync.api.errors import ApiError, ErrorCode
from avito_sync.api.store import QUERIES
from avito_sync.core.logs import get_logger
from avito_sync.notify.channels.base import DeliveryError
from avito_sync.notify.channels.telegram import send_text

log = get_logger(__name__)
router = APIRouter()

MAX_UPDATE_BYTES = 64 * 1024
_START = re.compile(r"^/start(?:@\w+)?(?:\s+(?P<token>[A-Za-z0-9_-]{1,64}))?\s*$")
_STOP = re.compile(r"^/stop(?:@\w+)?\s*$")

LINKED = "✅ Готово! Уведомления о бронях с Avito будут приходить в этот чат.\nОтключить: /stop"
LINK_INVALID = (
    "Ссылка недействительна или устарела. Откройте настройки уведомлений в приложении и "
    "получите новую."
)
HOW_TO_LINK = (
    "Чтобы получать уведомления о бронях с Avito, откройте настройки уведомлений в приложении "
    "и нажмите «Подключить Telegram»."
)
UNLINKED = "Уведомления в этот чат отключены. Подключить снова можно в приложении."
NOT_LINKED = "Этот чат не был подключён к уведомлениям."


def _label(chat: dict[str, Any]) -> str:
    username = chat.get("username")
    if isinstance(username, str) and username:
        return f"Telegram @{username}"[:80]
    name = chat.get("title") or chat.get("first_name")
    return f"Telegram: {name}"[:80] if isinstance(name, str) and name else "Telegram"


async def _reply(ctx: ServiceContext, chat_id: int, text: str) -> None:
    token = ctx.channels.settings.telegram_bot_token
    if token is None:
        return
    try:
        await send_text(
            ctx.channels.http, ctx.channels.settings.telegram_api_url, token, chat_id, text
        )
    except DeliveryError as error:
        log.warning("telegram_reply_failed", reason=error.reason)


@router.post("/telegram/webhook", include_in_schema=False)
async def telegram_webhook(
    request: Request,
    context: Context,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> JSONResponse:
    expected = context.channels.settings.telegram_webhook_secret
    if expected is None:
        raise ApiError(ErrorCode.NOT_FOUND)
    if secret is None or not hmac.compare_digest(
        secret.encode(), expected.get_secret_value().encode()
    ):
        raise ApiError(ErrorCode.AUTH_REQUIRED)
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_UPDATE_BYTES):
        return JSONResponse({"ok": False}, status_code=413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_UPDATE_BYTES:
            return JSONResponse({"ok": False}, status_code=413)
    try:
        update = json.loads(body)
    except ValueError:
        return JSONResponse({"ok": True})
    message = update.get("message") if isinstance(update, dict) else None
    if not isinstance(message, dict):
        return JSONResponse({"ok": True})
    chat, text = message.get("chat"), message.get("text")
    if not isinstance(chat, dict) or not isinstance(text, str):
        return JSONResponse({"ok": True})
    chat_id = chat.get("id")
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        return JSONResponse({"ok": True})
    text = text.strip()
    if (start := _START.match(text)) is not None:
        await _start(context, chat_id, chat, start.group("token"))
    elif _STOP.match(text):
        async with context.pool.connection() as conn:
            cur = await conn.execute(QUERIES["telegram_unlink"], {"chat_id": chat_id})
            row = await cur.fetchone()
        removed = int(row["n"]) if row else 0
        log.info("telegram_unlinked", channels=removed)
        await _reply(context, chat_id, UNLINKED if removed else NOT_LINKED)
    return JSONResponse({"ok": True})


async def _start(
    context: ServiceContext, chat_id: int, chat: dict[str, Any], token: str | None
) -> None:
    if token is None:
        await _reply(context, chat_id, HOW_TO_LINK)
        return
    try:
        async with context.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                QUERIES["telegram_link_consume"],
                {"token_hash": token_hash(token), "chat_id": chat_id, "label": _label(chat)},
            )
            row = await cur.fetchone()
    except psycopg.errors.UniqueViolation:
        row = None
    if row is None:
        await _reply(context, chat_id, LINK_INVALID)
        return
    log.info("telegram_linked", channel_id=str(row["channel_id"]))
    await _reply(context, chat_id, LINKED)

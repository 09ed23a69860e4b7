"""Avito messenger webhooks: one subscription per account, bound by an unguessable URL token.

Avito's webhook carries no signature (messenger.json documents none), so the subscribed URL is
`<AVITO_SYNC_PUBLIC_URL>/avito/messenger/webhook/<token>` with 256 random bits per account;
only the token's SHA-256 is stored. What arrives is checked against that account (its Avito
user id) and then only triggers a reconciliation through Avito's API (`inbox`), so a forged
or replayed body can announce nothing Avito does not confirm.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from psycopg.rows import class_row, dict_row
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, ConfigDict

from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.client import AvitoClient
from avito_sync.avito.errors import AvitoError
from avito_sync.core.logs import get_logger
from avito_sync.messenger.inbox import QUERIES, Account

log = get_logger(__name__)

WEBHOOK_PATH = "/avito/messenger/webhook"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def webhook_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{WEBHOOK_PATH}/{token}"


class _Value(BaseModel):
    model_config = ConfigDict(extra="ignore")
    chat_id: str
    user_id: int
    author_id: int | None = None


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str | None = None
    value: _Value


class WebhookBody(BaseModel):
    """The parts of postWebhookV3's notification (its 201 schema) the check needs."""

    model_config = ConfigDict(extra="ignore")
    payload: _Payload


async def account_for_token(pool: AsyncConnectionPool[Any], token: str) -> Account | None:
    if not TOKEN.fullmatch(token):
        return None
    async with pool.connection() as conn, conn.cursor(row_factory=class_row(Account)) as cur:
        await cur.execute(QUERIES["webhook_account"], {"token_hash": token_hash(token)})
        account: Account | None = await cur.fetchone()
        return account


def concerns_a_guest_message(body: WebhookBody, account: Account) -> bool:
    """For this account, and not the account's own message (its replies need no alert)."""
    value = body.payload.value
    return value.user_id == account.avito_user_id and value.author_id != account.avito_user_id


async def ensure_subscribed(
    pool: AsyncConnectionPool[Any],
    avito: AvitoClient,
    tokens: Callable[[uuid.UUID], TokenProvider],
    account_id: uuid.UUID,
    public_url: str,
) -> bool:
    """Subscribe the account once (a new token each time it is not yet subscribed). The hash is
    stored before Avito is asked, so the first delivery is already recognised."""
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(QUERIES["webhook_subscribed_at"], {"account_id": account_id})
        row = await cur.fetchone()
    if row is not None and row["subscribed_at"] is not None:
        return False
    token = new_token()
    async with pool.connection() as conn:
        await conn.execute(
            QUERIES["webhook_token"], {"account_id": account_id, "token_hash": token_hash(token)}
        )
    provider = tokens(account_id)
    try:
        await avito.messenger.subscribe_webhook(provider, webhook_url(public_url, token))
    except AvitoError as error:
        async with pool.connection() as conn:
            await conn.execute(
                QUERIES["webhook_failed"],
                {"error": type(error).__name__, "account_id": account_id},
            )
        log.warning(
            "messenger_subscribe_failed", account_id=str(account_id), error=type(error).__name__
        )
        return False
    async with pool.connection() as conn:
        await conn.execute(
            QUERIES["webhook_subscribed"],
            {"account_id": account_id, "token_hash": token_hash(token)},
        )
    log.info("messenger_webhook_subscribed", account_id=str(account_id))
    return True

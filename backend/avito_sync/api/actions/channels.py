"""Notification channels the host manages (issue #11): list, add a webhook (its signing secret
shown once), add a web push subscription, link Telegram, test, update, rotate, remove.

Every action runs for the JWT's user and touches only that user's channels: a channel id of
somebody else answers exactly like one that does not exist. Secrets never leave Vault except
once, in the answer to the action that created them.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from avito_sync.api.actions.answers import (
    ChannelAnswer,
    ChannelRemovedAnswer,
    ChannelsAnswer,
    ChannelSecretAnswer,
    ChannelTestAnswer,
    ChannelView,
    RotatedSecretAnswer,
    TelegramLinkAnswer,
)
from avito_sync.api.auth import User
from avito_sync.api.channel_models import (
    EVENT_CATEGORIES,
    ChannelAddPushBody,
    ChannelAddWebhookBody,
    ChannelRefBody,
    ChannelsListBody,
    ChannelTelegramLinkBody,
    ChannelUpdateBody,
)
from avito_sync.api.context import ServiceContext
from avito_sync.api.errors import ApiError, ErrorCode
from avito_sync.api.store import QUERIES
from avito_sync.core.logs import get_logger
from avito_sync.notify import netguard
from avito_sync.notify.channels.base import DeliveryError
from avito_sync.notify.notifier import message_for
from avito_sync.notify.outbox import Outbox

log = get_logger(__name__)

MAX_CHANNELS = 20
TEST_LEASE_SECONDS = 30
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _public(row: dict[str, Any]) -> ChannelView:
    """A channel as the host sees it: never a secret, never push keys."""
    config = row["config"] or {}
    target: str | None = None
    if row["kind"] == "webhook":
        target = config.get("url")
    elif row["kind"] == "telegram":
        target = str(config.get("chat_id"))
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "label": row["label"],
        "target": target,
        "active": row["is_active"],
        "events": list(row["events"]),
        "has_secret": row["has_secret"],
        "created_at": row["created_at"].isoformat(),
        "last_delivery": (
            None
            if row["last_status"] is None
            else {
                "status": row["last_status"],
                "error": row["last_error"],
                "at": row["last_at"].isoformat(),
            }
        ),
        "failures_30d": int(row["failures_30d"]),
    }


async def _channels(ctx: ServiceContext, owner: uuid.UUID) -> list[dict[str, Any]]:
    async with ctx.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(QUERIES["channels_of"], {"owner": owner})
        return list(await cur.fetchall())


async def _owned(ctx: ServiceContext, owner: uuid.UUID, channel_id: uuid.UUID) -> dict[str, Any]:
    for row in await _channels(ctx, owner):
        if row["id"] == channel_id:
            return row
    raise ApiError(ErrorCode.CHANNEL_NOT_FOUND)


async def _room_for_one_more(conn: psycopg.AsyncConnection[Any], owner: uuid.UUID) -> None:
    cur = await conn.execute(QUERIES["channels_full"], {"limit": MAX_CHANNELS, "owner": owner})
    row = await cur.fetchone()
    if row is not None and row["full"]:
        raise ApiError(ErrorCode.CHANNEL_LIMIT)


async def channels_list(ctx: ServiceContext, user: User, _body: ChannelsListBody) -> ChannelsAnswer:
    rows = await _channels(ctx, user.id)
    async with ctx.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        # The app's push subscriptions not yet used as a channel: offered to the host.
        await cur.execute(QUERIES["unused_push_subscriptions"], {"owner": user.id})
        available = await cur.fetchall()
    settings = ctx.channels.settings
    return {
        "success": True,
        "channels": [_public(r) for r in rows],
        "push_subscriptions_available": [
            {"subscription_id": str(s["id"]), "created_at": s["created_at"].isoformat()}
            for s in available
        ],
        "event_choices": list(EVENT_CATEGORIES),
        "telegram_available": bool(settings.telegram_bot_token and settings.telegram_bot_username),
        "web_push_available": settings.vapid_private_key is not None,
    }


async def channel_add_webhook(
    ctx: ServiceContext, user: User, body: ChannelAddWebhookBody
) -> ChannelSecretAnswer:
    hosts = ctx.channels.settings.webhook_http_hosts
    try:
        target = netguard.check_url(body.url, hosts)
        await netguard.resolve(target)  # checked again at every send
    except netguard.UnsafeUrlError as error:
        raise ApiError(ErrorCode.WEBHOOK_URL_INVALID, reason=error.reason) from None
    secret = new_secret()
    events = list(dict.fromkeys(body.events if body.events is not None else EVENT_CATEGORIES))
    async with ctx.pool.connection() as conn, conn.transaction():
        await _room_for_one_more(conn, user.id)
        cur = await conn.execute(
            QUERIES["add_webhook_channel"],
            {
                "owner": user.id,
                "config": Jsonb({"url": body.url}),
                "label": body.label,
                "events": events,
            },
        )
        row = await cur.fetchone()
        assert row is not None
        channel_id = row["id"]
        await conn.execute(
            QUERIES["channel_secret_put"], {"channel_id": channel_id, "secret": secret}
        )
    log.info("channel_added", kind="webhook", channel_id=str(channel_id))
    return {
        "success": True,
        "channel": _public(await _owned(ctx, user.id, channel_id)),
        "secret": secret,
    }


async def channel_add_push(
    ctx: ServiceContext, user: User, body: ChannelAddPushBody
) -> ChannelAnswer:
    if ctx.channels.settings.vapid_private_key is None:
        raise ApiError(ErrorCode.PUSH_NOT_CONFIGURED)
    events = list(dict.fromkeys(body.events if body.events is not None else EVENT_CATEGORIES))
    async with ctx.pool.connection() as conn, conn.transaction():
        await _room_for_one_more(conn, user.id)
        cur = await conn.execute(
            QUERIES["push_subscription_endpoint"],
            {"subscription_id": body.subscription_id, "owner": user.id},
        )
        subscription = await cur.fetchone()
        if subscription is None:
            raise ApiError(ErrorCode.PUSH_SUBSCRIPTION_NOT_FOUND)
        try:  # the endpoint was written by the app's client: checked like a webhook URL
            netguard.check_url(subscription["endpoint"], ctx.channels.settings.webhook_http_hosts)
        except netguard.UnsafeUrlError:
            raise ApiError(ErrorCode.PUSH_SUBSCRIPTION_NOT_FOUND) from None
        cur = await conn.execute(
            QUERIES["add_push_channel"],
            {
                "owner": user.id,
                "label": body.label,
                "events": events,
                "subscription_id": body.subscription_id,
            },
        )
        row = await cur.fetchone()
    assert row is not None
    channel_id = row["id"]
    return {"success": True, "channel": _public(await _owned(ctx, user.id, channel_id))}


async def channel_telegram_link(
    ctx: ServiceContext, user: User, _body: ChannelTelegramLinkBody
) -> TelegramLinkAnswer:
    settings = ctx.channels.settings
    if settings.telegram_bot_token is None or settings.telegram_bot_username is None:
        raise ApiError(ErrorCode.TELEGRAM_NOT_CONFIGURED)
    token = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-], as /start allows
    async with ctx.pool.connection() as conn:
        cur = await conn.execute(
            QUERIES["telegram_link_create"],
            {
                "owner": user.id,
                "token_hash": token_hash(token),
                "ttl_seconds": settings.telegram_link_ttl_seconds,
            },
        )
        row = await cur.fetchone()
    assert row is not None
    expires_at = row["expires_at"]
    return {
        "success": True,
        "url": f"https://t.me/{settings.telegram_bot_username}?start={token}",
        "expires_at": expires_at.isoformat(),
    }


async def channel_rotate_secret(
    ctx: ServiceContext, user: User, body: ChannelRefBody
) -> RotatedSecretAnswer:
    row = await _owned(ctx, user.id, body.channel_id)
    if row["kind"] != "webhook":
        raise ApiError(ErrorCode.CHANNEL_NO_SECRET)
    secret = new_secret()
    async with ctx.pool.connection() as conn:
        await conn.execute(
            QUERIES["channel_secret_put"], {"channel_id": body.channel_id, "secret": secret}
        )
    log.info("channel_secret_rotated", channel_id=str(body.channel_id))
    return {"success": True, "channel_id": str(body.channel_id), "secret": secret}


async def channel_test(ctx: ServiceContext, user: User, body: ChannelRefBody) -> ChannelTestAnswer:
    """Send a test message now, through the same sender the notifier uses; report the outcome."""
    row = await _owned(ctx, user.id, body.channel_id)
    sender = ctx.channels.senders(ctx.pool).get(row["kind"])
    if sender is None:  # a kind no sender handles (e-mail) cannot be tested
        raise ApiError(ErrorCode.CHANNEL_NOT_FOUND)
    outbox = Outbox(ctx.pool)
    delivery = await outbox.claim_test(body.channel_id, TEST_LEASE_SECONDS)
    try:
        await sender.send(message_for(delivery, ctx.channels.settings.app_url))
    except DeliveryError as error:
        await outbox.failed(delivery, error.reason, None)
        return {
            "success": True,
            "delivered": False,
            "channel_id": str(body.channel_id),
            "error": error.reason,
        }
    await outbox.succeeded(delivery)
    return {"success": True, "delivered": True, "channel_id": str(body.channel_id)}


async def channel_update(ctx: ServiceContext, user: User, body: ChannelUpdateBody) -> ChannelAnswer:
    await _owned(ctx, user.id, body.channel_id)
    events = list(dict.fromkeys(body.events)) if body.events is not None else None
    async with ctx.pool.connection() as conn:
        await conn.execute(
            QUERIES["update_channel"],
            {
                "active": body.active,
                "events": events,
                "label": body.label,
                "channel_id": body.channel_id,
                "owner": user.id,
            },
        )
    return {"success": True, "channel": _public(await _owned(ctx, user.id, body.channel_id))}


async def channel_remove(
    ctx: ServiceContext, user: User, body: ChannelRefBody
) -> ChannelRemovedAnswer:
    await _owned(ctx, user.id, body.channel_id)
    async with ctx.pool.connection() as conn:
        # Its deliveries cascade; its Vault secret goes with it (trigger).
        await conn.execute(
            QUERIES["remove_channel"], {"channel_id": body.channel_id, "owner": user.id}
        )
    return {"success": True, "channel_id": str(body.channel_id), "removed": True}

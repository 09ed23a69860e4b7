"""The messenger's background part of `avito-sync serve`: every `poll_seconds`, each account
with messenger scopes is subscribed to webhooks (once, when AVITO_SYNC_PUBLIC_URL is set) and
reconciled (`inbox`). It runs with the worker (`--no-worker` turns it off with the sync)."""

from __future__ import annotations

import asyncio

from avito_sync.api.context import ServiceContext
from avito_sync.core.logs import get_logger
from avito_sync.messenger.inbox import Inbox
from avito_sync.messenger.settings import MessengerSettings
from avito_sync.messenger.webhooks import ensure_subscribed
from avito_sync.notify.channels.webpush import WebPushSender

log = get_logger(__name__)


def inbox_of(context: ServiceContext) -> Inbox:
    pusher = context.channels.senders(context.pool).get("web_push")
    return Inbox(
        context.pool,
        context.avito,
        context.tokens,
        pusher=pusher if isinstance(pusher, WebPushSender) else None,
        app_url=context.channels.settings.app_url,
    )


async def subscribe_all(context: ServiceContext, settings: MessengerSettings) -> int:
    if not settings.webhooks_on or settings.public_url is None:
        return 0
    inbox = inbox_of(context)
    subscribed = 0
    for account in await inbox.accounts():
        subscribed += await ensure_subscribed(
            context.pool, context.avito, context.tokens, account.id, settings.public_url
        )
    return subscribed


async def poll_once(context: ServiceContext, settings: MessengerSettings) -> int:
    """Subscribe what is not yet, then reconcile every account; new guest messages announced."""
    await subscribe_all(context, settings)
    return await inbox_of(context).reconcile_all()


async def run_forever(context: ServiceContext, settings: MessengerSettings) -> None:
    if settings.poll_seconds <= 0:
        return
    while True:
        try:
            await poll_once(context, settings)
        except Exception:
            log.exception("messenger_poll_failed")
        await asyncio.sleep(settings.poll_seconds)

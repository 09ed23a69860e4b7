"""Channel data the senders need, read with the service role: a webhook's signing secret
(Vault, through `avito_private.channel_secret_read`) and a web push subscription."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.rows import class_row, dict_row
from psycopg_pool import AsyncConnectionPool

from avito_sync.notify.channels.base import PushSubscription
from avito_sync.notify.outbox import QUERIES


class ChannelStore:
    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def webhook_secret(self, channel_id: UUID) -> str | None:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(QUERIES["webhook_secret"], {"channel_id": channel_id})
            row = await cur.fetchone()
        return None if row is None or row["secret"] is None else str(row["secret"])

    async def push_subscription(self, channel_id: UUID) -> PushSubscription | None:
        async with (
            self._pool.connection() as conn,
            conn.cursor(row_factory=class_row(PushSubscription)) as cur,
        ):
            await cur.execute(QUERIES["push_subscription"], {"channel_id": channel_id})
            subscription: PushSubscription | None = await cur.fetchone()
            return subscription

    async def drop_push_subscription(self, subscription_id: UUID) -> None:
        """The push service said the subscription is gone (404/410); its channel goes too."""
        async with self._pool.connection() as conn:
            await conn.execute(
                QUERIES["drop_push_subscription"], {"subscription_id": subscription_id}
            )

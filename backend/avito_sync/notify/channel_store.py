"""Channel data the senders need, read with the service role: a webhook's signing secret
(Vault, through `avito_private.channel_secret_read`) and a web push subscription."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from avito_sync.notify.channels.base import PushSubscription


class ChannelStore:
    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def webhook_secret(self, channel_id: UUID) -> str | None:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "select avito_private.channel_secret_read(%s) as secret", (channel_id,)
            )
            row = await cur.fetchone()
        return None if row is None or row["secret"] is None else str(row["secret"])

    async def push_subscription(self, channel_id: UUID) -> PushSubscription | None:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "select s.id, s.endpoint, s.p256dh, s.auth from public.notification_channels c"
                " join public.push_subscriptions s on s.id = c.push_subscription_id"
                " where c.id = %s",
                (channel_id,),
            )
            row = await cur.fetchone()
        return None if row is None else PushSubscription(**row)

    async def drop_push_subscription(self, subscription_id: UUID) -> None:
        """The push service said the subscription is gone (404/410); its channel goes too."""
        async with self._pool.connection() as conn:
            await conn.execute(
                "delete from public.push_subscriptions where id = %s", (subscription_id,)
            )

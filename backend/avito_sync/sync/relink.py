"""Link rows the deployed app wrote itself (typed ids, no account) once Avito confirms them.

The app writes `integrations` directly: its connect form (typed account and listing) and its
listing edit (a plain update of `avito_item_id`). The database links such a row at once when
the listing is already recorded for one of the owner's accounts; otherwise it leaves the row
unlinked with `link_check_after` set (migration 20261127400000). Here the service asks Avito,
with the short-term-rent scopes the app grants, whether the listing is the candidate account's;
a confirmed listing is recorded and the row linked and queued. A listing that is not the
account's, or is held by another connection, is refused with a Russian message in `avito_logs`
(the app's error toast). The old listing is never touched on Avito.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from psycopg.rows import class_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.client import AvitoClient
from avito_sync.avito.errors import AvitoError, NotFoundError, ReconnectNeededError
from avito_sync.core.logs import get_logger
from avito_sync.sync import QUERIES, queue

log = get_logger(__name__)

Refusal = Literal["reconnect_required", "item_forbidden", "item_in_use", "avito_unavailable"]

MESSAGES: dict[Refusal, str] = {
    "reconnect_required": "Avito не подключён или доступ истёк. Подключите аккаунт заново.",
    "item_forbidden": (
        "Объявление {item} не найдено в подключённом аккаунте Avito: проверьте ID объявления."
    ),
    "item_in_use": "Объявление {item} уже подключено в другой интеграции. Выберите другое.",
    "avito_unavailable": "Avito временно недоступен. Попробуйте ещё раз через минуту.",
}
RETRY_TRANSIENT = "1 minute"
BATCH = 20


@dataclass(frozen=True, slots=True)
class _Candidate:
    """An integration row and the account the database would link it to."""

    avito_account_id: UUID | None
    avito_item_id: int | None
    candidate: UUID | None
    avito_user_id: int | None
    status: str | None


@dataclass(frozen=True)
class LinkResult:
    account_id: UUID | None
    refusal: Refusal | None = None
    message: str | None = None


async def link_integration(
    pool: AsyncConnectionPool[Any],
    client: AvitoClient,
    tokens: Callable[[UUID], TokenProvider],
    integration_id: UUID,
) -> LinkResult:
    """Link the row if Avito confirms its listing; the refusal otherwise (also logged)."""
    async with pool.connection() as conn, conn.cursor(row_factory=class_row(_Candidate)) as cur:
        await cur.execute(QUERIES["link_candidate"], {"integration_id": integration_id})
        row = await cur.fetchone()
    if row is None:
        return LinkResult(None, "reconnect_required", MESSAGES["reconnect_required"])
    if row.avito_account_id is not None:
        return LinkResult(row.avito_account_id)
    item_id = row.avito_item_id
    if item_id is None:
        return LinkResult(None)  # no listing typed in: nothing to check
    if row.candidate is None or row.avito_user_id is None or row.status != "active":
        return await _refuse(pool, integration_id, item_id, "reconnect_required")
    candidate = row.candidate
    try:
        owned = await client.owns_listing(tokens(candidate), row.avito_user_id, item_id)
    except ReconnectNeededError:
        return await _refuse(pool, integration_id, item_id, "reconnect_required")
    except NotFoundError:
        owned = False
    except AvitoError:
        return await _refuse(pool, integration_id, item_id, "avito_unavailable")
    if not owned:
        return await _refuse(pool, integration_id, item_id, "item_forbidden")
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(QUERIES["remember_item"], {"account_id": candidate, "item_id": item_id})
        cur = await conn.execute(
            QUERIES["link_app_integration"], {"integration_id": integration_id}
        )
        linked = await cur.fetchone()
        account_id: UUID | None = linked["account_id"] if linked else None
        if account_id is not None:
            await queue.enqueue(conn, integration_id, "change", resume=True)
    if account_id is None:
        return await _refuse(pool, integration_id, item_id, "item_in_use")
    log.info("app_integration_linked", integration_id=str(integration_id), item_id=item_id)
    return LinkResult(account_id)


async def _refuse(
    pool: AsyncConnectionPool[Any], integration_id: UUID, item_id: int, refusal: Refusal
) -> LinkResult:
    """Record why the row stays unlinked: checked again in a minute when Avito was down,
    otherwise only after the app changes the row again."""
    message = MESSAGES[refusal].format(item=item_id)
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(
            QUERIES["refuse_link"],
            {
                "integration_id": integration_id,
                "message": message,
                "retry": refusal == "avito_unavailable",
                "retry_after": RETRY_TRANSIENT,
            },
        )
        await conn.execute(
            QUERIES["write_log"],
            {
                "integration_id": integration_id,
                "message": message,
                "details": Jsonb({"code": refusal, "avito_item_id": item_id}),
            },
        )
    log.info("app_integration_not_linked", integration_id=str(integration_id), reason=refusal)
    return LinkResult(None, refusal, message)


async def link_pending(
    pool: AsyncConnectionPool[Any],
    client: AvitoClient,
    tokens: Callable[[UUID], TokenProvider],
) -> int:
    """Check every unlinked active row whose check is due (the worker runs this before it
    claims); returns how many were linked."""
    async with pool.connection() as conn:
        cur = await conn.execute(QUERIES["links_due"], {"limit": BATCH})
        due: list[UUID] = [r["id"] for r in await cur.fetchall()]
    linked = 0
    for integration_id in due:
        result = await link_integration(pool, client, tokens, integration_id)
        linked += result.account_id is not None
    return linked

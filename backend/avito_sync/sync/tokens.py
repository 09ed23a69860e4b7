"""An Avito account's tokens: stored (connect), read and refreshed (sync), given up on (reconnect).

This module is the only place that reads or writes them. The connect action stores a new
grant with `store_tokens` and lifts the reconnect pause with `resume_account_integrations`;
everything else goes through `AccountTokens`, which also marks an account `needs_reconnect`.

Avito rotates refresh tokens: two processes refreshing with the same refresh token would
leave one of them holding a dead chain. So a refresh happens only under a transaction-level
advisory lock keyed on the account, after re-reading the tokens (another process may have
refreshed meanwhile), and the rotated pair is persisted through
`avito_private.rotate_account_tokens` before that transaction commits.

A refused refresh (`invalid_grant`, or 401 from the token endpoint) means the host must
reconnect: the account and its integrations become `needs_reconnect`, their queue rows are
paused and a notification event is written, in one transaction. There is never a fallback
to client_credentials, which would act as the application owner instead of the host.

A refresh whose answer is lost (timeout, 5xx, garbage) may already have rotated the token on
Avito. It is asked once more at once, with the same token: either the token still works, or
Avito refuses it and the host is told now (event → their channels, and an avito_logs row),
instead of after the failure backoff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

from avito_sync.avito.errors import (
    InvalidGrantError,
    MalformedResponseError,
    OAuthError,
    ReconnectRequiredError,
    ServerError,
    TransportError,
)
from avito_sync.avito.models import TokenResponse
from avito_sync.core.clock import Clock, utc_now
from avito_sync.core.logs import get_logger
from avito_sync.sync import QUERIES

log = get_logger(__name__)

EXPIRY_NOTICE = dt.timedelta(days=1)
Conn = AsyncConnection[Any]


class Refresher(Protocol):
    async def refresh(self, refresh_token: str) -> TokenResponse: ...


@dataclass(frozen=True, slots=True)
class _Access:
    token: str
    expires_at: dt.datetime

    def __repr__(self) -> str:
        return f"_Access(expires_at={self.expires_at.isoformat()})"

    def fresh(self, now: dt.datetime, margin: dt.timedelta) -> bool:
        return self.expires_at - margin > now


def refused_refresh(exc: Exception) -> bool:
    """Whether a token-endpoint error means the refresh token is dead (not a config or
    transient problem, which must not cost the host the connection)."""
    return isinstance(exc, InvalidGrantError) or (
        isinstance(exc, OAuthError) and exc.status == 401 and exc.error != "invalid_client"
    )


class AccountTokens:
    """Per-process token cache and refresher for every Avito account the worker touches."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        refresher: Refresher,
        *,
        margin_seconds: int = 300,
        clock: Clock = utc_now,
    ) -> None:
        self._pool = pool
        self._refresher = refresher
        self._margin = dt.timedelta(seconds=margin_seconds)
        self._clock = clock
        self._cache: dict[UUID, _Access] = {}
        self._locks: dict[UUID, asyncio.Lock] = {}
        self.refreshes = 0

    def provider(self, account_id: UUID) -> VaultTokenProvider:
        return VaultTokenProvider(self, account_id)

    def forget(self, account_id: UUID) -> None:
        self._cache.pop(account_id, None)

    async def mark_needs_reconnect(self, account_id: UUID, reason: str) -> None:
        """Avito refused the account's fresh token: only the host reconnecting can fix it."""
        self.forget(account_id)
        async with self._pool.connection() as conn:
            await _mark_needs_reconnect(conn, account_id, reason)

    async def access_token(self, account_id: UUID, *, force_refresh: bool = False) -> str:
        lock = self._locks.setdefault(account_id, asyncio.Lock())
        async with lock:
            cached = self._cache.get(account_id)
            if (
                not force_refresh
                and cached is not None
                and cached.fresh(self._clock(), self._margin)
            ):
                return cached.token
            stale = cached.token if force_refresh and cached is not None else None
            access = await self._load_or_refresh(account_id, force=force_refresh, stale=stale)
            self._cache[account_id] = access
            return access.token

    async def _load_or_refresh(
        self, account_id: UUID, *, force: bool, stale: str | None
    ) -> _Access:
        refused: str | None = None
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(
                QUERIES["lock_account_tokens"], {"key": f"avito-token-refresh:{account_id}"}
            )
            cur = await conn.execute(QUERIES["account_status"], {"account_id": account_id})
            account = await cur.fetchone()
            if account is None:
                raise ReconnectRequiredError(account_id, "account not found")
            if account["status"] != "active":
                raise ReconnectRequiredError(account_id, f"account is {account['status']}")
            stored = await _read_tokens(conn, account_id)
            if stored is None or not stored.access_token:
                refused = "no tokens stored"
            else:
                current = _Access(stored.access_token, stored.expires_at)
                refresh_token = stored.refresh_token
                if not refresh_token:
                    usable = await self._without_refresh(conn, account_id, current)
                    if usable is not None:
                        return usable
                    refused = "no refresh token stored"
                elif not force and current.fresh(self._clock(), self._margin):
                    return current
                elif force and stale is not None and current.token != stale:
                    return current  # another process refreshed after our token was refused
                else:
                    try:
                        return await self._refresh_checked(conn, account_id, refresh_token)
                    except OAuthError as exc:
                        if not refused_refresh(exc):
                            raise
                        refused = f"refresh refused ({exc.error})"
            await _mark_needs_reconnect(conn, account_id, refused)
        log.warning("avito_account_needs_reconnect", account_id=str(account_id), reason=refused)
        raise ReconnectRequiredError(account_id, refused)

    async def _refresh_checked(self, conn: Conn, account_id: UUID, refresh_token: str) -> _Access:
        """A refresh whose lost answer is settled at once by a second attempt."""
        try:
            return await self._refresh(conn, account_id, refresh_token)
        except (TransportError, ServerError, MalformedResponseError) as exc:
            log.warning(
                "avito_token_refresh_answer_lost",
                account_id=str(account_id),
                error=type(exc).__name__,
            )
            return await self._refresh(conn, account_id, refresh_token)

    async def _without_refresh(
        self, conn: Conn, account_id: UUID, current: _Access
    ) -> _Access | None:
        """A grant without a refresh token (Avito may issue one) is used until it expires;
        the host is told a day before (`token_expiring`, once per expiry). None once expired.
        The cached entry is looked at again when that day starts."""
        now = self._clock()
        if current.expires_at <= now:
            return None
        notice_at = current.expires_at - EXPIRY_NOTICE
        if notice_at <= now:
            await conn.execute(QUERIES["note_token_expiring"], {"account_id": account_id})
            return current
        return _Access(current.token, notice_at + self._margin)

    async def _refresh(self, conn: Conn, account_id: UUID, refresh_token: str) -> _Access:
        received_at = self._clock()
        response = await self._refresher.refresh(refresh_token)
        self.refreshes += 1
        expires_at = response.expires_at(received_at)
        new_refresh = response.refresh_token.get_secret_value() if response.refresh_token else None
        access = response.access_token.get_secret_value()
        await conn.execute(
            QUERIES["rotate_tokens"],
            {
                "account_id": account_id,
                "access_token": access,
                "refresh_token": new_refresh,
                "expires_at": expires_at,
            },
        )
        log.info("avito_token_refreshed", account_id=str(account_id), expires_at=expires_at)
        return _Access(access, expires_at)


@dataclass(frozen=True, slots=True)
class _Stored:
    access_token: str | None
    refresh_token: str | None
    expires_at: dt.datetime

    def __repr__(self) -> str:
        return f"_Stored(expires_at={self.expires_at.isoformat()})"


async def _read_tokens(conn: Conn, account_id: UUID) -> _Stored | None:
    async with conn.cursor(row_factory=class_row(_Stored)) as cur:
        await cur.execute(QUERIES["read_tokens"], {"account_id": account_id})
        return await cur.fetchone()


async def _mark_needs_reconnect(conn: Conn, account_id: UUID, reason: str) -> None:
    await conn.execute(
        QUERIES["mark_needs_reconnect"], {"account_id": account_id, "reason": reason}
    )


async def store_tokens(
    conn: Conn,
    account_id: UUID,
    *,
    access_token: str,
    refresh_token: str | None,
    expires_at: dt.datetime,
    scope: str | None,
) -> None:
    """Keep a new grant (the connect action) in Vault, in the caller's transaction."""
    await conn.execute(
        QUERIES["store_tokens"],
        {
            "account_id": account_id,
            "access_token": access_token,
            "refresh_token": refresh_token,
            "expires_at": expires_at,
            "scope": scope,
        },
    )


async def resume_account_integrations(conn: Conn, account_id: UUID) -> None:
    """A reconnect lifts the pause that a refused refresh put on the account's syncs."""
    await conn.execute(QUERIES["resume_account"], {"account_id": account_id})


class VaultTokenProvider:
    """The client's `TokenProvider` for one Avito account."""

    def __init__(self, tokens: AccountTokens, account_id: UUID) -> None:
        self._tokens = tokens
        self._account_id = account_id

    def __repr__(self) -> str:
        return f"VaultTokenProvider(account_id={self._account_id})"

    @property
    def account_key(self) -> str:
        return str(self._account_id)

    async def access_token(self, *, force_refresh: bool = False) -> str:
        return await self._tokens.access_token(self._account_id, force_refresh=force_refresh)

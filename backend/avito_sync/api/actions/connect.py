"""OAuth connect: authorize URL with a signed state, the one-time code exchange, and the
connect modal's progress kept server-side for an hour."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from avito_sync.api import store
from avito_sync.api.actions.answers import (
    AccountView,
    ExchangeAnswer,
    OAuthUrlAnswer,
    ProgressLoadAnswer,
    ProgressSaveAnswer,
)
from avito_sync.api.auth import User
from avito_sync.api.avito_errors import api_error_for
from avito_sync.api.context import ServiceContext
from avito_sync.api.errors import ApiError, ErrorCode
from avito_sync.api.models import (
    ExchangeCodeBody,
    OAuthUrlBody,
    ProgressLoadBody,
    ProgressSaveBody,
)
from avito_sync.api.oauth_state import OAuthState, StateError, issue_state, verify_state
from avito_sync.avito.auth import StaticToken
from avito_sync.avito.errors import AvitoError
from avito_sync.core.clock import iso_or_none
from avito_sync.core.logs import get_logger
from avito_sync.sync.tokens import resume_account_integrations, store_tokens

log = get_logger(__name__)


@dataclass(frozen=True)
class Connected:
    account_id: uuid.UUID
    avito_user_id: int
    name: str | None
    property_id: uuid.UUID
    owner_id: uuid.UUID
    expires_in: int
    token_type: str


async def oauth_url(ctx: ServiceContext, user: User, body: OAuthUrlBody) -> OAuthUrlAnswer:
    async with ctx.pool.connection() as conn:
        if await store.owned_property(conn, user.id, body.property_id) is None:
            raise ApiError(ErrorCode.NOT_OWNER)
        token, state = issue_state(
            ctx.settings.state_secret.get_secret_value(), user.id, body.property_id, ctx.clock()
        )
        await store.record_state(
            conn, user.id, body.property_id, state.nonce_hash, state.expires_at
        )
    return {
        "success": True,
        "url": ctx.avito.authorize_url(token),
        "state": token,
        "expires_at": state.expires_at.isoformat(),
    }


def checked_state(ctx: ServiceContext, token: str) -> OAuthState:
    try:
        return verify_state(ctx.settings.state_secret.get_secret_value(), token, ctx.clock())
    except StateError as error:
        code = ErrorCode.STATE_EXPIRED if error.reason == "expired" else ErrorCode.STATE_INVALID
        raise ApiError(code) from error


async def complete_exchange(
    ctx: ServiceContext,
    state: OAuthState,
    code: str,
    *,
    redirect_uri: str | None = None,
    expected_avito_user_id: int | None = None,
) -> Connected:
    """Consume the state, exchange the code exactly once, keep the tokens in Vault.

    The state is marked used before the exchange, so a replay never reaches Avito; a code
    Avito already redeemed comes back as `invalid_grant` and is reported, not retried.
    With `expected_avito_user_id` (a caller-built state: a reconnect must stay on the account
    already attached), a code of another Avito account is refused and its tokens dropped.
    """
    async with ctx.pool.connection() as conn:
        if await store.consume_state(conn, state.user_id, state.nonce_hash) is None:
            used = await store.state_used(conn, state.nonce_hash)
            raise ApiError(ErrorCode.STATE_USED if used else ErrorCode.STATE_INVALID)
    received_at = ctx.clock()
    try:
        tokens = await ctx.avito.exchange_code(code, redirect_uri=redirect_uri)
        access = tokens.access_token.get_secret_value()
        me = await ctx.avito.get_self(StaticToken(access, account_key=f"user:{state.user_id}"))
    except AvitoError as error:
        log.info("oauth_exchange_failed", user_id=str(state.user_id), error=type(error).__name__)
        raise api_error_for(error) from error
    if expected_avito_user_id is not None and int(me.id) != expected_avito_user_id:
        log.warning(
            "oauth_account_mismatch", user_id=str(state.user_id), property_id=str(state.property_id)
        )
        raise ApiError(ErrorCode.ACCOUNT_MISMATCH)
    expires_at = tokens.expires_at(received_at)
    refresh = tokens.refresh_token.get_secret_value() if tokens.refresh_token else None
    async with ctx.pool.connection() as conn, conn.transaction():
        account_id = await store.upsert_account(
            conn,
            state.user_id,
            avito_user_id=int(me.id),
            name=me.name,
            scope=tokens.scope,
            expires_at=expires_at,
        )
        await store_tokens(
            conn,
            account_id,
            access_token=access,
            refresh_token=refresh,
            expires_at=expires_at,
            scope=tokens.scope,
        )
        await resume_account_integrations(conn, account_id)
    log.info("avito_account_connected", account_id=str(account_id), avito_user_id=int(me.id))
    return Connected(
        account_id=account_id,
        avito_user_id=int(me.id),
        name=me.name,
        property_id=state.property_id,
        owner_id=state.user_id,
        expires_in=tokens.expires_in,
        token_type=tokens.token_type,
    )


async def accounts_payload(
    ctx: ServiceContext, owner: uuid.UUID, primary: uuid.UUID | None = None
) -> list[AccountView]:
    async with ctx.pool.connection() as conn:
        rows = await store.list_accounts(conn, owner)
    if primary is None and rows:
        primary = rows[0].id
    return [
        {
            "id": str(row.id),
            "avito_user_id": row.avito_user_id,
            "name": row.name,
            "is_primary": row.id == primary,
            "needs_reconnect": row.status != "active",
            "token_expires_at": iso_or_none(row.token_expires_at),
        }
        for row in rows
    ]


async def exchange_code(ctx: ServiceContext, user: User, body: ExchangeCodeBody) -> ExchangeAnswer:
    state = checked_state(ctx, body.state)
    if state.user_id != user.id:
        raise ApiError(ErrorCode.STATE_INVALID)
    connected = await complete_exchange(ctx, state, body.code)
    return {
        "success": True,
        "account_id": str(connected.account_id),
        "avito_user_id": connected.avito_user_id,
        "property_id": str(connected.property_id),
        "accounts": await accounts_payload(ctx, user.id, connected.account_id),
        "expires_in": connected.expires_in,
        "token_type": connected.token_type,
    }


async def progress_save(
    ctx: ServiceContext, user: User, body: ProgressSaveBody
) -> ProgressSaveAnswer:
    async with ctx.pool.connection() as conn:
        if await store.owned_property(conn, user.id, body.property_id) is None:
            raise ApiError(ErrorCode.NOT_OWNER)
        if body.progress.account_id is not None and (
            await store.owned_account(conn, user.id, body.progress.account_id) is None
        ):
            raise ApiError(ErrorCode.NOT_OWNER)
        expires_at = await store.save_progress(
            conn, user.id, body.property_id, body.progress.model_dump(mode="json")
        )
    return {"success": True, "expires_at": expires_at.isoformat()}


async def progress_load(
    ctx: ServiceContext, user: User, body: ProgressLoadBody
) -> ProgressLoadAnswer:
    async with ctx.pool.connection() as conn:
        if await store.owned_property(conn, user.id, body.property_id) is None:
            raise ApiError(ErrorCode.NOT_OWNER)
        row = await store.load_progress(conn, user.id, body.property_id)
    if row is None:
        return {"success": True, "progress": None, "expires_at": None}
    return {"success": True, "progress": row.progress, "expires_at": iso_or_none(row.expires_at)}

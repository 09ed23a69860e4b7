"""The messenger branch of `avito-oauth-callback` (docs/app-contract.md §3.2, §4.2).

The Messages tab's popup authorizes with the messenger scopes and a state the app builds
itself: base64 JSON `{type: 'messenger_auth', integration_id, ts, nonce}`, unsigned. It is
accepted like the app's property state (AVITO_SYNC_ACCEPT_APP_STATE): JWT required, within the
hour, once. The tokens go to Vault through the account (the same exchange as a connect), and
the granted scope is recorded on the integration, where the app looks for `messenger:read`.
A code of another Avito account than the one the integration uses is refused.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from psycopg.rows import class_row

from avito_sync.api import store
from avito_sync.api.actions import connect
from avito_sync.api.context import ServiceContext
from avito_sync.api.errors import ApiError, ErrorCode
from avito_sync.api.oauth_state import STATE_TTL, OAuthState
from avito_sync.api.responses import CallbackRefused, MessengerConnected
from avito_sync.core.logs import get_logger
from avito_sync.messenger.settings import load_messenger_settings
from avito_sync.messenger.webhooks import ensure_subscribed

log = get_logger(__name__)

MESSENGER_TYPE = "messenger_auth"
NO_INTEGRATION: CallbackRefused = {
    "success": False,
    "reason": "no_avito_integration",
    "error": "Нет подключённых аккаунтов Avito. Сначала подключите объект к Avito.",
}
SCOPE_MISSING: CallbackRefused = {
    "success": False,
    "reason": "scope_missing",
    "error": "Avito не выдал доступ к сообщениям. Разрешите доступ к мессенджеру и повторите.",
}


def messenger_state(raw: str) -> dict[str, Any] | None:
    """The app's messenger state, or None for any other state (base64 JSON or plain JSON)."""
    for text in (None, raw):
        try:
            data = json.loads(base64.b64decode(raw, validate=True) if text is None else text)
        except (ValueError, binascii.Error):
            continue
        if isinstance(data, dict) and data.get("type") == MESSENGER_TYPE:
            return data
    return None


def _issued(data: dict[str, Any], now: dt.datetime) -> dt.datetime:
    try:
        issued = dt.datetime.fromtimestamp(float(data["ts"]) / 1000, tz=dt.UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError) as error:
        raise ApiError(ErrorCode.STATE_INVALID) from error
    if not now - STATE_TTL < issued <= now + dt.timedelta(minutes=5):
        raise ApiError(ErrorCode.STATE_EXPIRED)
    return min(issued, now)


def _integration_id(data: dict[str, Any]) -> uuid.UUID | None:
    value = data.get("integration_id")
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise ApiError(ErrorCode.STATE_INVALID) from error


@dataclass(frozen=True)
class _Target:
    id: uuid.UUID
    property_id: uuid.UUID
    avito_user_id: int | None
    account_user: int | None


async def _target(conn: store.Conn, owner: uuid.UUID, wanted: uuid.UUID | None) -> _Target | None:
    """The state's integration if the caller owns it, else the caller's oldest Avito one."""
    async with conn.cursor(row_factory=class_row(_Target)) as cur:
        await cur.execute(
            store.QUERIES["messenger_consent_target"], {"owner": owner, "wanted": wanted}
        )
        return await cur.fetchone()


async def messenger_callback(
    context: ServiceContext,
    user_id: uuid.UUID,
    raw: str,
    data: dict[str, Any],
    *,
    code: str,
    redirect_uri: str | None,
) -> MessengerConnected | CallbackRefused:
    """The app-shaped answer; `ApiError`s are turned into `{success: false}` by the caller."""
    if not context.settings.accept_app_state:
        raise ApiError(ErrorCode.STATE_INVALID)
    issued = _issued(data, context.clock())
    wanted = _integration_id(data)
    async with context.pool.connection() as conn:
        target = await _target(conn, user_id, wanted)
        if target is None:
            return NO_INTEGRATION.copy()
        state = OAuthState(
            nonce="legacy:" + hashlib.sha256(raw.encode()).hexdigest(),
            user_id=user_id,
            property_id=target.property_id,
            expires_at=issued + STATE_TTL,
        )
        await store.record_legacy_state(
            conn, user_id, state.property_id, state.nonce_hash, state.expires_at
        )
    expected = target.account_user or target.avito_user_id
    connected = await connect.complete_exchange(
        context,
        state,
        code,
        redirect_uri=redirect_uri,
        expected_avito_user_id=int(expected) if expected else None,
    )
    async with context.pool.connection() as conn, conn.transaction():
        account = await store.owned_account(conn, user_id, connected.account_id)
        scope = (account.scope if account else None) or ""
        if "messenger:read" not in scope.split(","):
            return SCOPE_MISSING.copy()
        await conn.execute(
            store.QUERIES["messenger_consent_scope"],
            {
                "scope": scope,
                "integration_id": target.id,
                "owner": user_id,
                "account_id": connected.account_id,
                "avito_user_id": connected.avito_user_id,
            },
        )
    log.info("messenger_consent", account_id=str(connected.account_id))
    settings = load_messenger_settings()
    if settings.webhooks_on and settings.public_url is not None:  # push from now on
        await ensure_subscribed(
            context.pool, context.avito, context.tokens, connected.account_id, settings.public_url
        )
    return {
        "success": True,
        "isMessengerAuth": True,
        "avitoUserId": connected.avito_user_id,
        "avitoUserIdMissing": False,
        "integrationId": str(target.id),
    }

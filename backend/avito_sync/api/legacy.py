"""The function names and shapes the deployed app calls today (existing-frontend.md §3).

Same request bodies and response fields, but every call now needs a user JWT and
ownership of the integration or property it names.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body

from avito_sync.api import store
from avito_sync.api.actions import connect
from avito_sync.api.actions.integrations import close_calendar, integration_of
from avito_sync.api.actions.listings import check_item_on_avito
from avito_sync.api.context import ServiceContext
from avito_sync.api.deps import Context, CurrentUser
from avito_sync.api.errors import MESSAGES, ApiError, ErrorCode
from avito_sync.api.models import (
    LegacyCloseAvailabilityBody,
    LegacyOAuthCallbackBody,
    LegacySyncBody,
)
from avito_sync.api.oauth_state import STATE_TTL, OAuthState
from avito_sync.api.user_limits import enforce

router = APIRouter()

# `reason` values the app's callback page understands.
REASONS = {
    ErrorCode.CODE_INVALID: "invalid_code",
    ErrorCode.AVITO_CREDENTIALS: "invalid_credentials",
    ErrorCode.STATE_INVALID: "invalid_state",
    ErrorCode.STATE_EXPIRED: "state_expired",
    ErrorCode.STATE_USED: "state_used",
    ErrorCode.NOT_OWNER: "forbidden",
    ErrorCode.AVITO_UNAVAILABLE: "avito_unavailable",
}
CLOSE_ERRORS = {
    ErrorCode.PAID_CONFLICT: "paid_conflict",
    ErrorCode.ITEM_NOT_FOUND: "item_not_found",
    ErrorCode.INTEGRATION_NOT_FOUND: "integration_not_found",
    ErrorCode.RECONNECT_REQUIRED: "reconnect_required",
}


@router.post("/functions/v1/avito_sync")
async def legacy_sync(
    context: Context, user: CurrentUser, body: Annotated[LegacySyncBody, Body()]
) -> dict[str, Any]:
    """`sync` / `initial-sync` with the response fields `src/services/apiSync.ts` reads."""
    if body.action not in ("sync", "initial-sync"):
        raise ApiError(ErrorCode.ACTION_GONE)
    enforce(context.limits, user.id, body.action)
    if body.integration_id is None and body.property_id is None:
        raise ApiError(ErrorCode.INVALID_REQUEST)
    try:
        row = await integration_of(context, user.id, body.integration_id, body.property_id)
    except ApiError as error:
        if error.code != ErrorCode.INTEGRATION_NOT_FOUND:
            raise
        return {"success": False, "error": "Integration not found or inactive"}
    account_id = row["avito_account_id"]
    if account_id is None:
        linked = await _link_typed_integration(context, user.id, row)
        if isinstance(linked, dict):
            return linked
        account_id = linked
    async with context.pool.connection() as conn:
        account = await store.owned_account(conn, user.id, account_id)
    if account is None or account["status"] != "active":
        return {**NO_ACCESS_TOKEN}
    trigger = "initial" if body.action == "initial-sync" else "manual"
    return await context.run_sync(row["id"], trigger)


NO_ACCESS_TOKEN: dict[str, Any] = {
    "success": False,
    "error": "Avito не подключён или доступ истёк. Подключите аккаунт заново.",
    "errorCode": "NO_ACCESS_TOKEN",
    "requiresReconnect": True,
}


async def _link_typed_integration(
    context: ServiceContext, user_id: uuid.UUID, row: store.Row
) -> uuid.UUID | dict[str, Any]:
    """Link a row the app wrote itself (typed ids, no account) to the caller's account.

    The database links such rows on write when the listing is already recorded for one of
    the owner's accounts (migration 20261127400000). Otherwise the candidate account (the
    owner's account with the typed user id, else their only account) is asked whether the
    listing is its own; a confirmed listing is recorded and the row linked. Returns the
    account id, or the app-shaped failure body.
    """
    async with context.pool.connection() as conn:
        cur = await conn.execute(
            "select avito_private.app_integration_candidate(%s) as account_id", (row["id"],)
        )
        found = await cur.fetchone()
        candidate = found["account_id"] if found else None
        account = await store.owned_account(conn, user_id, candidate) if candidate else None
    if account is None or account["status"] != "active":
        return {**NO_ACCESS_TOKEN}
    item_id = int(row["avito_item_id"])
    try:
        info = await check_item_on_avito(context, account, item_id)
    except ApiError as error:
        if error.status in (401, 403):
            raise
        return {"success": False, "error": error.message, "errorCode": error.code.value}
    async with context.pool.connection() as conn, conn.transaction():
        await store.remember_item(conn, account["id"], item_id, info.status, info.url)
        cur = await conn.execute(
            "select avito_private.link_app_integration(%s) as account_id", (row["id"],)
        )
        linked = await cur.fetchone()
    if linked is None or linked["account_id"] is None:
        return {
            "success": False,
            "error": MESSAGES[ErrorCode.ITEM_IN_USE],
            "errorCode": ErrorCode.ITEM_IN_USE.value,
        }
    account_id: uuid.UUID = linked["account_id"]
    return account_id


def legacy_state(context: ServiceContext, raw: str, user_id: uuid.UUID) -> OAuthState:
    """The unsigned base64 state the deployed app builds itself: `{property_id, timestamp,
    random}`. It is accepted only for the caller's own property, within the hour, once."""
    try:
        data = json.loads(base64.b64decode(raw, validate=True))
        property_id = uuid.UUID(str(data["property_id"]))
        issued = dt.datetime.fromtimestamp(float(data["timestamp"]) / 1000, tz=dt.UTC)
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise ApiError(ErrorCode.STATE_INVALID) from error
    now = context.clock()
    if not now - STATE_TTL < issued <= now + dt.timedelta(minutes=5):
        raise ApiError(ErrorCode.STATE_EXPIRED)
    return OAuthState(
        nonce="legacy:" + hashlib.sha256(raw.encode()).hexdigest(),
        user_id=user_id,
        property_id=property_id,
        expires_at=min(issued, now) + STATE_TTL,  # a browser clock ahead must not extend it
    )


async def _callback_state(context: ServiceContext, raw: str, user_id: uuid.UUID) -> OAuthState:
    if "." in raw:
        state = connect.checked_state(context, raw)
        if state.user_id != user_id:
            raise ApiError(ErrorCode.STATE_INVALID)
        return state
    if not context.settings.accept_app_state:
        raise ApiError(ErrorCode.STATE_INVALID)
    state = legacy_state(context, raw, user_id)
    async with context.pool.connection() as conn:
        if await store.owned_property(conn, user_id, state.property_id) is None:
            raise ApiError(ErrorCode.NOT_OWNER)
        await store.record_legacy_state(
            conn, user_id, state.property_id, state.nonce_hash, state.expires_at
        )
    return state


@router.post("/functions/v1/avito-oauth-callback")
async def legacy_oauth_callback(
    context: Context, user: CurrentUser, body: Annotated[LegacyOAuthCallbackBody, Body()]
) -> dict[str, Any]:
    allowed = {context.avito.settings.redirect_uri, context.settings.app_redirect_url}
    if body.redirect_uri is not None and body.redirect_uri not in allowed:
        return {"success": False, "reason": "invalid_redirect_uri", "error": "redirect_uri"}
    try:
        state = await _callback_state(context, body.state, user.id)
        # A state the service issued went out with the service's own redirect URI (the
        # callback forwards the code to this page), and Avito wants that one back.
        redirect_uri = None if "." in body.state else body.redirect_uri
        connected = await connect.complete_exchange(
            context, state, body.code, redirect_uri=redirect_uri
        )
    except ApiError as error:
        if error.status in (401, 403) and error.code != ErrorCode.NOT_OWNER:
            raise
        return {
            "success": False,
            "reason": REASONS.get(error.code, error.code.value.lower()),
            "error": error.message,
        }
    return {
        "success": True,
        "avitoUserId": connected.avito_user_id,
        "avitoUserIdMissing": False,
        "accountId": str(connected.account_id),
        "propertyId": str(connected.property_id),
    }


@router.post("/functions/v1/avito-close-availability")
async def legacy_close_availability(
    context: Context,
    user: CurrentUser,
    body: Annotated[LegacyCloseAvailabilityBody, Body()],
) -> dict[str, Any]:
    """Close the next year on Avito before the app soft-deletes the property."""
    if body.integration_id is None and body.property_id is None:
        raise ApiError(ErrorCode.INVALID_REQUEST)
    try:
        row = await integration_of(context, user.id, body.integration_id, body.property_id)
        await close_calendar(context, row)
    except ApiError as error:
        if error.status != 200:
            raise
        return {
            "success": False,
            "error": CLOSE_ERRORS.get(error.code, error.message),
            "message": error.message,
        }
    async with context.pool.connection() as conn:
        await store.record_action_run(conn, row, "close_availability", {"calendar_closed": True})
    return {"success": True}

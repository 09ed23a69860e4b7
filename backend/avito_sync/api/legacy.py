"""The function names and shapes the deployed app calls today (docs/app-contract.md §3).

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
from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from avito_sync.api import store
from avito_sync.api.actions import connect
from avito_sync.api.actions.integrations import close_calendar, integration_of
from avito_sync.api.context import ServiceContext
from avito_sync.api.deps import Context, CurrentUser
from avito_sync.api.errors import ApiError, ErrorCode
from avito_sync.api.messenger_consent import messenger_callback, messenger_state
from avito_sync.api.models import (
    LegacyCloseAvailabilityBody,
    LegacyOAuthCallbackBody,
    LegacySyncBody,
)
from avito_sync.api.oauth_state import STATE_TTL, OAuthState
from avito_sync.api.responses import (
    CallbackAnswer,
    CloseAvailabilityAnswer,
    LegacySyncAnswer,
    LegacySyncRefusal,
    as_sent,
)
from avito_sync.api.user_limits import enforce
from avito_sync.sync.relink import link_integration

router = APIRouter()

# `reason` values the app's callback page understands.
REASONS = {
    ErrorCode.CODE_INVALID: "invalid_grant",
    ErrorCode.ACCOUNT_MISMATCH: "account_mismatch",
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


@router.post(
    "/functions/v1/avito_sync",
    response_model=LegacySyncAnswer,
    responses={409: {"model": LegacySyncAnswer}, 502: {"model": LegacySyncAnswer}},
)
async def legacy_sync(
    context: Context, user: CurrentUser, body: Annotated[LegacySyncBody, Body()]
) -> JSONResponse:
    """`sync` / `initial-sync` with the response fields `src/services/apiSync.ts` reads.

    `sync` always answers 200 (the app reads the body). The app checks only `error` after
    `initial-sync`, and supabase-js sets it for non-2xx alone: a failed initial sync answers
    non-2xx with the same JSON body, so the connect modal shows the failure.
    """
    if body.action not in ("sync", "initial-sync"):
        raise ApiError(ErrorCode.ACTION_GONE)
    enforce(context.limits, user.id, body.action)
    if body.integration_id is None and body.property_id is None:
        raise ApiError(ErrorCode.INVALID_REQUEST)
    answer = await _legacy_sync(context, user.id, body)
    if body.action == "initial-sync" and answer.get("success") is False:
        return JSONResponse(answer, status_code=_initial_sync_status(answer))
    return as_sent(answer)


def _initial_sync_status(answer: LegacySyncAnswer) -> int:
    """502 when Avito failed us, 409 when the connection itself is wrong (token, listing)."""
    code = answer.get("errorCode") or answer.get("code")
    if code in (ErrorCode.AVITO_UNAVAILABLE.value, ErrorCode.SYNC_FAILED.value):
        return 502
    return 409


async def _legacy_sync(
    context: ServiceContext, user_id: uuid.UUID, body: LegacySyncBody
) -> LegacySyncAnswer:
    try:
        row = await integration_of(context, user_id, body.integration_id, body.property_id)
    except ApiError as error:
        if error.code != ErrorCode.INTEGRATION_NOT_FOUND:
            raise
        return {"success": False, "error": "Integration not found or inactive"}
    account_id = row.avito_account_id
    if account_id is None:
        linked = await _link_typed_integration(context, user_id, row)
        if isinstance(linked, dict):
            return linked
        account_id = linked
    async with context.pool.connection() as conn:
        account = await store.owned_account(conn, user_id, account_id)
    if account is None or account.status != "active":
        return {**NO_ACCESS_TOKEN}
    trigger = "initial" if body.action == "initial-sync" else "manual"
    return await context.run_sync(row.id, trigger)


NO_ACCESS_TOKEN: LegacySyncRefusal = {
    "success": False,
    "error": "Avito не подключён или доступ истёк. Подключите аккаунт заново.",
    "errorCode": "NO_ACCESS_TOKEN",
    "requiresReconnect": True,
}


REFUSAL_CODES = {
    "item_forbidden": ErrorCode.ITEM_FORBIDDEN,
    "item_in_use": ErrorCode.ITEM_IN_USE,
    "avito_unavailable": ErrorCode.AVITO_UNAVAILABLE,
}


async def _link_typed_integration(
    context: ServiceContext, user_id: uuid.UUID, row: store.OwnedIntegration
) -> uuid.UUID | LegacySyncRefusal:
    """Link a row the app wrote itself (typed ids, no account) to the caller's account
    (`avito_sync.sync.relink`); the account id, or the app-shaped failure body."""
    result = await link_integration(context.pool, context.avito, context.tokens, row.id)
    if result.account_id is not None:
        return result.account_id
    code = REFUSAL_CODES.get(result.refusal or "")
    if code is None:
        return {**NO_ACCESS_TOKEN}
    return {"success": False, "error": result.message, "errorCode": code.value}


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


async def _callback_state(
    context: ServiceContext, raw: str, user_id: uuid.UUID
) -> tuple[OAuthState, int | None]:
    """The state and, for a caller-built one, the Avito user id the code must yield."""
    if "." in raw:
        state = connect.checked_state(context, raw)
        if state.user_id != user_id:
            raise ApiError(ErrorCode.STATE_INVALID)
        return state, None
    if not context.settings.accept_app_state:
        raise ApiError(ErrorCode.STATE_INVALID)
    state = legacy_state(context, raw, user_id)
    async with context.pool.connection() as conn:
        if await store.owned_property(conn, user_id, state.property_id) is None:
            raise ApiError(ErrorCode.NOT_OWNER)
        await store.record_legacy_state(
            conn, user_id, state.property_id, state.nonce_hash, state.expires_at
        )
        # A caller-built state proves nothing about who clicked "Allow": a property that
        # already has an Avito account keeps it (SECURITY.md, AVITO_SYNC_ACCEPT_APP_STATE).
        attached = await store.attached_avito_user(conn, user_id, state.property_id)
    return state, attached


@router.post("/functions/v1/avito-oauth-callback", response_model=CallbackAnswer)
async def legacy_oauth_callback(
    context: Context, user: CurrentUser, body: Annotated[LegacyOAuthCallbackBody, Body()]
) -> JSONResponse:
    return as_sent(await _oauth_callback(context, user.id, body))


async def _oauth_callback(
    context: ServiceContext, user_id: uuid.UUID, body: LegacyOAuthCallbackBody
) -> CallbackAnswer:
    allowed = {context.avito.settings.redirect_uri, context.settings.app_redirect_url}
    if body.redirect_uri is not None and body.redirect_uri not in allowed:
        return {"success": False, "reason": "invalid_redirect_uri", "error": "redirect_uri"}
    try:
        messenger = messenger_state(body.state)
        if messenger is not None:  # the Messages tab's popup (docs/app-contract.md §4.2)
            return await messenger_callback(
                context,
                user_id,
                body.state,
                messenger,
                code=body.code,
                redirect_uri=body.redirect_uri,
            )
        state, attached = await _callback_state(context, body.state, user_id)
        # A state the service issued went out with the service's own redirect URI (the
        # callback forwards the code to this page), and Avito wants that one back.
        redirect_uri = None if "." in body.state else body.redirect_uri
        connected = await connect.complete_exchange(
            context,
            state,
            body.code,
            redirect_uri=redirect_uri,
            expected_avito_user_id=attached,
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
        "avitoAccountName": connected.name,
        "avitoUserIdMissing": False,
        "accountId": str(connected.account_id),
        "propertyId": str(connected.property_id),
    }


@router.post("/functions/v1/avito-close-availability", response_model=CloseAvailabilityAnswer)
async def legacy_close_availability(
    context: Context,
    user: CurrentUser,
    body: Annotated[LegacyCloseAvailabilityBody, Body()],
) -> JSONResponse:
    """Close the next year on Avito before the app soft-deletes the property."""
    return as_sent(await _close_availability(context, user.id, body))


async def _close_availability(
    context: ServiceContext, user_id: uuid.UUID, body: LegacyCloseAvailabilityBody
) -> CloseAvailabilityAnswer:
    if body.integration_id is None and body.property_id is None:
        raise ApiError(ErrorCode.INVALID_REQUEST)
    try:
        row = await integration_of(context, user_id, body.integration_id, body.property_id)
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

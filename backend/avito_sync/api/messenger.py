"""`avito-messenger` as the deployed app calls it (docs/app-contract.md §11.1): `getChats`,
`getMessages`, `sendMessage`, with the statuses its Messages tab reacts to.

Failures are non-2xx on purpose (the app reads `error.context.status`): 400 bad input, 401
the account must be re-authorised, 403 not the caller's integration or no messenger scope,
404 no active integration with that id. Avito's own refusals come back with Avito's status as
`{error: 'Avito API error', status, data}`; no answer from Avito within 15 s is 502.
Tokens come from Vault through the account's `TokenProvider`: the sync's single-flight
refresher, never a second one.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Literal, NotRequired

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typing_extensions import TypedDict

from avito_sync.api.context import ServiceContext
from avito_sync.api.deps import Context, CurrentUser
from avito_sync.api.responses import as_sent
from avito_sync.api.store import QUERIES
from avito_sync.avito.errors import (
    AvitoError,
    MalformedResponseError,
    OAuthError,
    ReconnectRequiredError,
    TransportError,
)
from avito_sync.avito.messenger import CHAT_ID, MAX_TEXT
from avito_sync.core.logs import get_logger
from avito_sync.sync.tokens import refused_refresh

router = APIRouter()
log = get_logger(__name__)

AVITO_TIMEOUT_SECONDS = 15.0
READ_SCOPE = "messenger:read"
REAUTH = "Требуется повторная авторизация для сообщений Avito."


class MessengerBody(BaseModel):
    """The app's body; unknown keys (`attachments`, which Avito never got) are ignored."""

    model_config = ConfigDict(extra="ignore")

    action: Literal["getChats", "getMessages", "sendMessage"]
    integration_id: uuid.UUID
    chat_id: str | None = Field(default=None, pattern=CHAT_ID.pattern)
    item_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    limit: int | None = Field(default=None, ge=1, le=100)
    offset: int | None = Field(default=None, ge=0, le=1000)
    text: str | None = Field(default=None, max_length=MAX_TEXT)


MessengerAnswer = dict[str, Any]
"""Avito's own answer, passed through (getChatsV2, getMessagesV3 as `{messages}`, sendMessage)."""
MESSENGER_FAILURES = {
    400: "Missing or invalid fields, or an integration without an Avito user id",
    401: "The account must be re-authorised (`requiresReauth`)",
    403: "Not the caller's integration, or no messenger scope",
    404: "No active integration with that id",
    502: "Avito unreachable or too slow",
}


class MessengerFailure(TypedDict):
    """`error` always; `reason`, `requiresReauth`, `fields`, `status`, `data` as they apply.
    Avito's own refusals keep Avito's status code."""

    error: str
    reason: NotRequired[str]
    requiresReauth: NotRequired[bool]
    fields: NotRequired[list[str]]
    details: NotRequired[str]
    status: NotRequired[int]
    data: NotRequired[dict[str, Any]]


def _fail(http_status: int, error: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error, **extra}, status_code=http_status)


class _Refusal(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


async def _body(request: Request) -> MessengerBody:
    try:
        raw = json.loads(await request.body() or b"null")
        return MessengerBody.model_validate(raw)
    except (ValueError, ValidationError) as error:
        fields = (
            [".".join(map(str, e["loc"])) for e in error.errors()]
            if isinstance(error, ValidationError)
            else ["body"]
        )
        raise _Refusal(_fail(400, "Missing or invalid fields", fields=fields[:5])) from None


async def _target(
    context: ServiceContext, user_id: uuid.UUID, integration_id: uuid.UUID
) -> tuple[uuid.UUID, int]:
    """The integration's account and Avito user id, after the app's checks in its order."""
    async with context.pool.connection() as conn:
        cur = await conn.execute(
            QUERIES["messenger_integration"], {"integration_id": integration_id}
        )
        row = await cur.fetchone()
        if row is None or not row["is_active"] or row["owner_id"] is None:
            raise _Refusal(_fail(404, "Integration not found or inactive"))
        avito_user_id = row["avito_user_id"]
        if not avito_user_id or avito_user_id <= 0:
            raise _Refusal(_fail(400, "Integration has no Avito user id"))
        if row["owner_id"] != user_id:
            raise _Refusal(_fail(403, "Forbidden", reason="owner_mismatch"))
        if READ_SCOPE not in (row["scope"] or "").split(","):
            raise _Refusal(
                _fail(403, REAUTH, reason="missing_messenger_scope", requiresReauth=True)
            )
        # The integration's account, or (a row the app typed itself) the caller's account of
        # the same Avito user.
        cur = await conn.execute(
            QUERIES["messenger_account"],
            {
                "owner": user_id,
                "avito_user_id": avito_user_id,
                "account_id": row["avito_account_id"],
            },
        )
        account = await cur.fetchone()
    if account is None or account["status"] != "active":
        raise _Refusal(_fail(401, REAUTH, requiresReauth=True))
    return account["id"], int(avito_user_id)


def _avito_error(error: AvitoError) -> JSONResponse:
    if isinstance(error, TransportError | MalformedResponseError) or error.status is None:
        return _fail(502, "Avito API unreachable", details=type(error).__name__)
    if isinstance(error, OAuthError):  # the refresh itself failed, not the messenger call
        status = 401 if refused_refresh(error) else 502
        return _fail(status, REAUTH if status == 401 else "Avito API unreachable")
    data = {"error": {"code": error.avito_code or error.status, "message": error.message}}
    return _fail(error.status, "Avito API error", status=error.status, data=data)


async def _call(
    context: ServiceContext, body: MessengerBody, account_id: uuid.UUID, user: int
) -> MessengerAnswer:
    auth = context.tokens(account_id)
    api = context.avito.messenger
    if body.action == "getChats":
        item_ids = [body.item_id] if body.item_id is not None else []
        return await api.get_chats(
            auth, user, item_ids=item_ids, limit=body.limit, offset=body.offset
        )
    if body.chat_id is None:
        raise _Refusal(_fail(400, "chat_id is required"))
    if body.action == "getMessages":
        found = await api.get_messages(
            auth, user, body.chat_id, limit=body.limit, offset=body.offset
        )
        return {"messages": found} if isinstance(found, list) else found
    if not body.text or not body.text.strip():
        raise _Refusal(_fail(400, "text is required"))
    return await api.send_message(auth, user, body.chat_id, body.text)


@router.post(
    "/functions/v1/avito-messenger",
    response_model=MessengerAnswer,
    responses={
        status: {"model": MessengerFailure, "description": description}
        for status, description in MESSENGER_FAILURES.items()
    },
)
async def avito_messenger(context: Context, user: CurrentUser, request: Request) -> JSONResponse:
    try:
        body = await _body(request)
        account_id, avito_user_id = await _target(context, user.id, body.integration_id)
        async with asyncio.timeout(AVITO_TIMEOUT_SECONDS):
            return as_sent(await _call(context, body, account_id, avito_user_id))
    except _Refusal as refusal:
        return refusal.response
    except ReconnectRequiredError:
        return _fail(401, REAUTH, requiresReauth=True)
    except TimeoutError:
        return _fail(502, "Avito API timeout")
    except AvitoError as error:
        log.info("messenger_avito_error", error=type(error).__name__, status=error.status)
        return _avito_error(error)

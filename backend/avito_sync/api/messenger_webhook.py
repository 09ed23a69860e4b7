"""`POST /avito/messenger/webhook/{token}`: Avito's messenger notifications (messenger.json,
postWebhookV3). Unknown tokens are 404; a body for another account is ignored (200, nothing
done); a guest's message reconciles its account through Avito's API (`messenger.inbox`)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from avito_sync.api.deps import Context
from avito_sync.avito.errors import AvitoError
from avito_sync.core.logs import get_logger
from avito_sync.messenger.runtime import inbox_of
from avito_sync.messenger.webhooks import (
    WEBHOOK_PATH,
    WebhookBody,
    account_for_token,
    concerns_a_guest_message,
)

router = APIRouter()
log = get_logger(__name__)


@router.post(WEBHOOK_PATH + "/{token}", include_in_schema=False)
async def messenger_webhook(context: Context, token: str, request: Request) -> JSONResponse:
    account = await account_for_token(context.pool, token)
    if account is None:
        return JSONResponse({"ok": False}, status_code=404)
    try:
        body = WebhookBody.model_validate(json.loads(await request.body()))
    except (ValueError, ValidationError):
        return JSONResponse({"ok": False, "error": "not a messenger notification"}, 400)
    if not concerns_a_guest_message(body, account):
        return JSONResponse({"ok": True})
    try:
        await inbox_of(context).reconcile(account)
    except AvitoError as error:
        # Answered 200 all the same: the poll will catch up, and Avito need not retry.
        log.warning("messenger_webhook_reconcile_failed", error=type(error).__name__)
    return JSONResponse({"ok": True})

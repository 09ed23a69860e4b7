"""`POST /functions/v1/avito-sync`: one endpoint, the `action` field picks the handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse, Response

from avito_sync.api.actions import accounts, channels, connect, integrations, listings
from avito_sync.api.actions.answers import ActionAnswer
from avito_sync.api.auth import User
from avito_sync.api.context import ServiceContext
from avito_sync.api.deps import Context, CurrentUser
from avito_sync.api.models import ActionBody
from avito_sync.api.responses import ApiFailure, ItemInUse, as_sent
from avito_sync.api.user_limits import enforce

router = APIRouter()

Handler = Callable[[ServiceContext, User, Any], Awaitable[ActionAnswer | JSONResponse]]

HANDLERS: dict[str, Handler] = {
    "oauth-url": connect.oauth_url,
    "exchange-code": connect.exchange_code,
    "progress-save": connect.progress_save,
    "progress-load": connect.progress_load,
    "get-accounts": listings.get_accounts,
    "get-items": listings.get_items,
    "validate-item": listings.validate_item,
    "save-integration": integrations.save_integration,
    "update-markup": integrations.update_markup,
    "disconnect": integrations.disconnect,
    "sync": integrations.sync,
    "initial-sync": integrations.sync,
    "status": integrations.status,
    "account-detach": accounts.account_detach,
    "channels-list": channels.channels_list,
    "channel-add-webhook": channels.channel_add_webhook,
    "channel-add-push": channels.channel_add_push,
    "channel-telegram-link": channels.channel_telegram_link,
    "channel-rotate-secret": channels.channel_rotate_secret,
    "channel-test": channels.channel_test,
    "channel-update": channels.channel_update,
    "channel-remove": channels.channel_remove,
}


@router.post(
    "/functions/v1/avito-sync",
    response_model=ActionAnswer,
    responses={
        400: {
            "model": ApiFailure,
            "description": "Malformed body: `code` INVALID_JSON or INVALID_REQUEST",
        },
        401: {"model": ApiFailure, "description": "Missing or invalid JWT"},
        403: {"model": ApiFailure, "description": "Not an authenticated user, or not the owner"},
        409: {
            "model": ItemInUse,
            "description": "validate-item: the listing is used by another integration",
        },
        413: {"model": ApiFailure, "description": "Body larger than AVITO_SYNC_MAX_BODY_BYTES"},
        429: {
            "model": ApiFailure,
            "description": "sync, oauth-url, progress-save: per-user limit (Retry-After)",
        },
    },
)
async def avito_sync_action(
    context: Context,
    user: CurrentUser,
    body: Annotated[ActionBody, Body()],
) -> Response:
    """Every step of the connect modal, the badges, markup, sync and disconnect."""
    enforce(context.limits, user.id, body.action)
    answer = await HANDLERS[body.action](context, user, body)
    return answer if isinstance(answer, Response) else as_sent(answer)

"""The caller's Avito accounts and listings, and whether a listing is free to connect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse

from avito_sync.api import store
from avito_sync.api.actions.answers import AccountsAnswer, ItemsAnswer, ItemView, ValidateItemAnswer
from avito_sync.api.actions.connect import accounts_payload
from avito_sync.api.auth import User
from avito_sync.api.avito_errors import api_error_for
from avito_sync.api.context import ServiceContext
from avito_sync.api.errors import MESSAGES, ApiError, ErrorCode
from avito_sync.api.models import GetAccountsBody, GetItemsBody, ValidateItemBody
from avito_sync.avito.errors import AvitoError

ITEM_IN_USE_STATUS = 409


async def get_accounts(ctx: ServiceContext, user: User, _body: GetAccountsBody) -> AccountsAnswer:
    return {"success": True, "accounts": await accounts_payload(ctx, user.id)}


async def account_of(ctx: ServiceContext, user: User, account_id: Any) -> store.OwnedAccount:
    async with ctx.pool.connection() as conn:
        account = await store.owned_account(conn, user.id, account_id)
    if account is None:
        raise ApiError(ErrorCode.NOT_OWNER)
    if account.status != "active":
        raise ApiError(ErrorCode.RECONNECT_REQUIRED)
    return account


def _item_view(row: store.Row) -> ItemView:
    return {
        "id": int(row["id"]),
        "title": row.get("title"),
        "status": row.get("status"),
        "url": row.get("url"),
    }


async def get_items(ctx: ServiceContext, user: User, body: GetItemsBody) -> ItemsAnswer:
    account = await account_of(ctx, user, body.account_id)
    # Without items:info (the deployed app never asks for it) Avito would answer 403: only the
    # listings the service already checked are known; the host types the listing id.
    readable = ITEMS_SCOPE in _scopes(account.scope)
    if not body.refresh or not readable:
        async with ctx.pool.connection() as conn:
            cached = await store.cached_items(conn, account.id)
        if cached or not readable:
            return {"success": True, "cached": True, "items": [_item_view(r) for r in cached]}
    try:
        items = await ctx.avito.list_items(ctx.tokens(account.id))
    except AvitoError as error:
        raise api_error_for(error) from error
    rows = [item.model_dump(mode="json", exclude_none=True) for item in items]
    async with ctx.pool.connection() as conn, conn.transaction():
        await store.cache_items(conn, account.id, rows)
    return {"success": True, "cached": False, "items": [_item_view(r) for r in rows]}


def item_in_use_response() -> JSONResponse:
    """The exact 409 body of the historical contract (docs/app-contract.md §3.4)."""
    return JSONResponse(
        {"available": False, "error": MESSAGES[ErrorCode.ITEM_IN_USE]},
        status_code=ITEM_IN_USE_STATUS,
    )


ITEMS_SCOPE = "items:info"


@dataclass(frozen=True)
class CheckedItem:
    """A listing Avito confirmed as the account's; extras only when the token may read them."""

    status: str | None = None
    url: str | None = None


async def check_item_on_avito(
    ctx: ServiceContext, account: store.OwnedAccount, item_id: int
) -> CheckedItem:
    """The listing as Avito sees it; an error when it is missing or not the account's.

    Ownership is proven with the short-term-rent scopes the deployed app requests (a bookings
    read); the items API (`items:info`) only adds the listing's status and URL when granted.
    """
    auth = ctx.tokens(account.id)
    user_id = int(account.avito_user_id)
    try:
        if not await ctx.avito.owns_listing(auth, user_id, item_id):
            raise ApiError(ErrorCode.ITEM_FORBIDDEN)
        if ITEMS_SCOPE not in _scopes(account.scope):
            return CheckedItem()
        info = await ctx.avito.get_item_info(auth, user_id, item_id)
    except AvitoError as error:
        raise api_error_for(error) from error
    return CheckedItem(status=info.status, url=info.url)


def _scopes(scope: str | None) -> set[str]:
    return {s.strip() for s in (scope or "").replace(" ", ",").split(",") if s.strip()}


async def validate_item(
    ctx: ServiceContext, user: User, body: ValidateItemBody
) -> ValidateItemAnswer | JSONResponse:
    account = await account_of(ctx, user, body.account_id)
    async with ctx.pool.connection() as conn:
        if body.property_id is not None and (
            await store.owned_property(conn, user.id, body.property_id) is None
        ):
            raise ApiError(ErrorCode.NOT_OWNER)
    # Ownership first: "in use" is never answered for a listing the caller cannot prove is
    # theirs, so validate-item is no oracle for other hosts' connections.
    info = await check_item_on_avito(ctx, account, body.item_id)
    async with ctx.pool.connection() as conn:
        if await store.item_held_elsewhere(conn, body.item_id, body.property_id):
            return item_in_use_response()
    return {
        "success": True,
        "available": True,
        "item": {"id": body.item_id, "status": info.status, "url": info.url},
    }

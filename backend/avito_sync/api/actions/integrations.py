"""Connecting a property to a listing, its markup, its syncs, its status, disconnecting."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Literal, cast, get_args

import psycopg

from avito_sync.api import store
from avito_sync.api.actions.answers import (
    DisconnectAnswer,
    MarkupAnswer,
    MarkupView,
    OptionalMarkupView,
    SaveIntegrationAnswer,
    StatusAnswer,
    StatusView,
)
from avito_sync.api.actions.listings import account_of, check_item_on_avito
from avito_sync.api.auth import User
from avito_sync.api.avito_errors import api_error_for
from avito_sync.api.context import ServiceContext
from avito_sync.api.errors import ApiError, ErrorCode
from avito_sync.api.models import (
    DisconnectBody,
    SaveIntegrationBody,
    StatusBody,
    SyncBody,
    UpdateMarkupBody,
)
from avito_sync.api.responses import IntegrationSyncAnswer
from avito_sync.avito.errors import AvitoError, ConflictError
from avito_sync.core.clock import iso_or_none
from avito_sync.sync import queue
from avito_sync.sync.markup import Markup as TypedMarkup


async def integration_of(
    ctx: ServiceContext,
    user_id: uuid.UUID,
    integration_id: uuid.UUID | None,
    property_id: uuid.UUID | None,
) -> store.OwnedIntegration:
    async with ctx.pool.connection() as conn:
        row = await store.owned_integration(
            conn, user_id, integration_id=integration_id, property_id=property_id
        )
        if row is not None:
            return row
        # Tell "not yours" apart from "yours but not connected" without leaking other rows.
        if property_id is not None and await store.owned_property(conn, user_id, property_id):
            raise ApiError(ErrorCode.INTEGRATION_NOT_FOUND)
        if integration_id is not None and await store.owned_integration(
            conn, user_id, integration_id=integration_id, property_id=None, active_only=False
        ):
            raise ApiError(ErrorCode.INTEGRATION_NOT_FOUND)
    raise ApiError(ErrorCode.NOT_OWNER)


async def save_integration(
    ctx: ServiceContext, user: User, body: SaveIntegrationBody
) -> SaveIntegrationAnswer:
    account = await account_of(ctx, user, body.account_id)
    async with ctx.pool.connection() as conn:
        if await store.owned_property(conn, user.id, body.property_id) is None:
            raise ApiError(ErrorCode.NOT_OWNER)
    info = await check_item_on_avito(ctx, account, body.item_id)  # ownership before "in use"
    async with ctx.pool.connection() as conn:
        if await store.item_held_elsewhere(conn, body.item_id, body.property_id):
            raise ApiError(ErrorCode.ITEM_IN_USE, available=False)
    try:
        async with ctx.pool.connection() as conn, conn.transaction():
            await store.remember_item(conn, account.id, body.item_id, info.status, info.url)
            integration_id = await store.upsert_integration(
                conn, body.property_id, account, body.item_id, body.markup
            )
            # A row paused earlier (a refused refresh) is the one this save resumes.
            await queue.enqueue(conn, integration_id, "initial", resume=True)
    except psycopg.errors.UniqueViolation as error:
        # Another save took the listing between our check and this write.
        raise ApiError(ErrorCode.ITEM_IN_USE, available=False) from error
    sync = await ctx.run_sync(integration_id, "initial")
    async with ctx.pool.connection() as conn:
        await queue.enqueue(conn, integration_id, "tick", resume=True)
    return {
        "success": True,
        "integration_id": str(integration_id),
        "sync": sync,
        "status": await status_payload(ctx, user.id, body.property_id),
    }


async def update_markup(ctx: ServiceContext, user: User, body: UpdateMarkupBody) -> MarkupAnswer:
    row = await integration_of(ctx, user.id, body.integration_id, body.property_id)
    async with ctx.pool.connection() as conn:
        await store.set_markup(conn, row.id, body.markup)
    return {
        "success": True,
        "integration_id": str(row.id),
        "markup": float(body.markup),
        **markup_view(body.markup),
    }


def markup_view(stored: Decimal) -> MarkupView:
    """The typed markup next to the app's signed column value."""
    markup = TypedMarkup.from_column(stored)
    return {"markup_type": markup.kind, "markup_value": float(markup.value)}


def _markup_keys(stored: Decimal | None) -> OptionalMarkupView:
    """The typed markup's keys, none when the row has no markup."""
    if stored is None:
        return {}
    view = markup_view(stored)
    return {"markup_type": view["markup_type"], "markup_value": view["markup_value"]}


async def close_calendar(ctx: ServiceContext, row: store.OwnedIntegration) -> None:
    """An empty intervals list closes the next year on Avito (docs/app-contract.md §3.3)."""
    if row.avito_account_id is None:
        raise ApiError(ErrorCode.RECONNECT_REQUIRED)
    if row.avito_item_id is None:  # an app-typed row without a listing: nothing to close
        raise ApiError(ErrorCode.ITEM_NOT_FOUND)
    try:
        await ctx.avito.post_intervals(ctx.tokens(row.avito_account_id), int(row.avito_item_id), [])
    except ConflictError as error:
        raise ApiError(ErrorCode.PAID_CONFLICT) from error
    except AvitoError as error:
        raise api_error_for(error) from error


async def disconnect(ctx: ServiceContext, user: User, body: DisconnectBody) -> DisconnectAnswer:
    row = await integration_of(ctx, user.id, body.integration_id, body.property_id)
    if body.close_calendar:
        await close_calendar(ctx, row)
    async with ctx.pool.connection() as conn, conn.transaction():
        await store.deactivate(conn, row.id)
        await store.record_action_run(
            conn, row, "disconnect", {"calendar_closed": body.close_calendar}
        )
    return {
        "success": True,
        "integration_id": str(row.id),
        "calendar_closed": body.close_calendar,
    }


async def sync(ctx: ServiceContext, user: User, body: SyncBody) -> IntegrationSyncAnswer:
    row = await integration_of(ctx, user.id, body.integration_id, body.property_id)
    trigger = "initial" if body.action == "initial-sync" else "manual"
    result = await ctx.run_sync(row.id, trigger)
    return {"integration_id": str(row.id), **result}


ConnectionState = Literal[
    "not_connected", "disconnected", "needs_reconnect", "error", "pending", "synced"
]
CONNECTION_STATES: tuple[ConnectionState, ...] = get_args(ConnectionState)


def badge(row: store.Row | None) -> ConnectionState:
    """The connection state, in the words of the status view: the database decides it
    (`public.avito_connection_state`, which the view calls too), so the two cannot drift.
    A property without an Avito integration is `not_connected` (the view has no row)."""
    if row is None:
        return "not_connected"
    state = row["connection_state"]
    if state not in CONNECTION_STATES:
        raise ValueError(f"unknown connection state {state!r}")
    return cast(ConnectionState, state)


async def status_payload(
    ctx: ServiceContext, owner: uuid.UUID, property_id: uuid.UUID
) -> StatusView:
    async with ctx.pool.connection() as conn:
        if await store.owned_property(conn, owner, property_id) is None:
            raise ApiError(ErrorCode.NOT_OWNER)
        row = await store.integration_status(conn, owner, property_id)
    state = badge(row)
    if row is None or state in ("not_connected", "disconnected"):
        return {"state": state, "connected": False}
    return {
        "state": state,
        "connected": True,
        "integration_id": str(row["integration_id"]),
        "account_id": str(row["account_id"]) if row["account_id"] else None,
        "account_name": row["account_name"],
        "avito_user_id": row["avito_user_id"],
        # The attached Avito account, so a host notices a foreign one (SECURITY.md).
        "account": {
            "id": str(row["account_id"]),
            "name": row["account_name"],
            "avito_user_id": row["avito_user_id"],
        }
        if row["account_id"]
        else None,
        "item_id": row["avito_item_id"],
        "markup": float(row["avito_markup"]) if row["avito_markup"] is not None else None,
        **_markup_keys(row["avito_markup"]),
        "last_sync_at": iso_or_none(row["last_sync_at"]),
        "next_sync_at": iso_or_none(row["next_sync_at"]),
        "token_expires_at": iso_or_none(row["token_expires_at"]),
        "needs_reconnect": state == "needs_reconnect",
        "last_error": row["last_error"] or row["queue_error"],
    }


async def status(ctx: ServiceContext, user: User, body: StatusBody) -> StatusAnswer:
    return {"success": True, **await status_payload(ctx, user.id, body.property_id)}

"""Account and item discovery: ``accounts/self``, the items list (25/min) and item info."""

from __future__ import annotations

import time
from collections import deque

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from avito_sync.local.sandbox.errors import error
from avito_sync.local.sandbox.gate import begin
from avito_sync.local.sandbox.models import Listing

router = APIRouter()

RATE_WINDOW_SECONDS = 60.0


@router.get("/core/v1/accounts/self")
async def accounts_self(request: Request) -> JSONResponse:
    call = await begin(request, "getUserInfoSelf")
    account = call.state.world.accounts.get(call.token.account_id)
    if account is None:
        raise error(call.family, 403, "Forbidden: account no longer exists")
    return JSONResponse(
        {
            "id": account.id,
            "name": account.name,
            "email": account.email,
            "phone": account.phone,
            "phones": [account.phone],
            "profile_url": account.profile_url,
        }
    )


def _resource(listing: Listing) -> dict[str, object]:
    return {
        "id": listing.id,
        "title": listing.title,
        "address": listing.address,
        "price": listing.price,
        "status": listing.status,
        "url": listing.url,
        "category": {"id": listing.category_id, "name": listing.category_name},
    }


@router.get("/core/v1/items")
async def items(request: Request) -> JSONResponse:
    """Paginated without a total; a per-token sliding window enforces the 25/min limit."""
    call = await begin(request, "getItemsInfo")
    limit = call.state.world.settings.items_rate_limit
    window = call.state.runtime.rate_windows.setdefault(call.token.token, deque())
    now = time.monotonic() + call.state.world.settings.clock_offset_seconds
    while window and window[0] <= now - RATE_WINDOW_SECONDS:
        window.popleft()
    if len(window) >= limit:
        headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0"}
        return JSONResponse({}, status_code=429, headers=headers)
    window.append(now)
    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(limit - len(window))}

    query = request.query_params
    per_page = int(query.get("per_page", "25"))
    page = int(query.get("page", "1"))
    if not 0 < per_page < 100:
        raise error(call.family, 400, "per_page must be greater than 0 and less than 100")
    if page < 1:
        raise error(call.family, 400, "page must be greater than 0")
    statuses = set(query.get("status", "active").split(","))
    category = query.get("category")
    listings = sorted(
        (
            listing
            for listing in call.state.world.listings.values()
            if listing.account_id == call.token.account_id
            and listing.status in statuses
            and (category is None or str(listing.category_id) == category)
        ),
        key=lambda listing: listing.id,
    )
    chunk = listings[(page - 1) * per_page : page * per_page]
    body = {"meta": {"page": page, "per_page": per_page}, "resources": list(map(_resource, chunk))}
    return JSONResponse(body, headers=headers)


@router.get("/core/v1/accounts/{user_id}/items/{item_id}/")
@router.get("/core/v1/accounts/{user_id}/items/{item_id}", include_in_schema=False)
async def item_info(request: Request, user_id: str, item_id: str) -> JSONResponse:
    """Someone else's item is 200 ``another_user`` and an unknown one 200 ``not_found``."""
    call = await begin(request, "getItemInfo")
    if int(user_id) != call.token.account_id:
        raise error(call.family, 403, "Forbidden: user_id does not match the token's account")
    listing = call.state.world.listings.get(int(item_id))
    if listing is None:
        return JSONResponse({"status": "not_found"})
    if listing.account_id != call.token.account_id:
        return JSONResponse({"status": "another_user"})
    return JSONResponse(
        {
            "status": listing.status,
            "url": listing.url,
            "start_time": listing.start_time.isoformat(),
            "finish_time": None,
            "autoload_item_id": None,
            "vas": [],
        }
    )

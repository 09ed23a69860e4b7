"""`GET /oauth/avito/callback`: Avito redirects the browser here; the exchange happens
server-side and the browser is sent on to the app with the outcome in the query.

There is no JWT on a browser redirect: the caller is the user the signed, single-use
state was issued to, which is exactly what the state's HMAC guarantees.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from avito_sync.api.actions.connect import checked_state, complete_exchange
from avito_sync.api.deps import Context
from avito_sync.api.errors import ApiError

router = APIRouter()


def _to_app(base: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in base else "?"
    return RedirectResponse(f"{base}{separator}{urlencode(params)}", status_code=303)


@router.get("/oauth/avito/callback", response_class=RedirectResponse, status_code=303)
async def avito_callback(
    context: Context,
    code: Annotated[str | None, Query(max_length=512)] = None,
    state: Annotated[str | None, Query(max_length=1024)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=1000)] = None,
) -> RedirectResponse:
    base = context.settings.app_redirect_url
    if error is not None or not code or not state:
        params = {"error": error or "invalid_request"}
        if error_description is not None or error is None:
            params["error_description"] = error_description or "code and state are required"
        return _to_app(base, params)
    try:
        verified = checked_state(context, state)
        connected = await complete_exchange(context, verified, code)
    except ApiError as failure:
        return _to_app(
            base, {"error": failure.code.value.lower(), "error_description": failure.message}
        )
    return _to_app(
        base,
        {
            "avito": "connected",
            "account_id": str(connected.account_id),
            "property_id": str(connected.property_id),
        },
    )

"""`GET /oauth/avito/callback`: Avito redirects the browser here, and it is sent straight on
to the app's callback page (`AVITO_SYNC_APP_REDIRECT_URL`) with `code` and `state` (or
`error` / `error_description`), exactly as Avito would have sent them to the app.

Nothing is exchanged here. A browser redirect carries no session, so completing the exchange
here would attach the Avito account to whichever user the state names, including when an
attacker's authorize link was opened by someone else (account-linking CSRF). The app's page
redeems the code with the signed-in user's JWT (`exchange-code`, or the legacy
`avito-oauth-callback`), and the state must belong to that user.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from avito_sync.api.deps import Context

router = APIRouter()

MAX_DESCRIPTION = 200
_ERROR_CODE = re.compile(r"[a-z0-9_.-]{1,64}")
# Control, format (bidi overrides, zero-width), private-use, surrogate and separator chars.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def clean_description(text: str) -> str:
    """Avito's `error_description` as the app may show it: printable characters only, no
    markup brackets, whitespace collapsed, at most MAX_DESCRIPTION characters."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    kept = " ".join(kept.replace("<", "").replace(">", "").split())
    if len(kept) > MAX_DESCRIPTION:
        kept = kept[: MAX_DESCRIPTION - 1].rstrip() + "…"
    return kept


def clean_error(error: str) -> str:
    """An OAuth error code (RFC 6749 §4.1.2.1) or `invalid_request` for anything else."""
    error = error.strip().lower()
    return error if _ERROR_CODE.fullmatch(error) else "invalid_request"


def forward_params(
    code: str | None, state: str | None, error: str | None, description: str | None
) -> dict[str, str]:
    """The query the app's callback page receives."""
    if error is None and code and state:
        return {"code": code, "state": state}
    params = {"error": clean_error(error) if error is not None else "invalid_request"}
    text = description if error is not None else "code and state are required"
    if text:
        params["error_description"] = clean_description(text)
    if state:
        params["state"] = state
    return params


def _to_app(base: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in base else "?"
    return RedirectResponse(f"{base}{separator}{urlencode(params)}", status_code=303)


@router.get("/oauth/avito/callback", response_class=RedirectResponse, status_code=303)
async def avito_callback(
    context: Context,
    code: Annotated[str | None, Query(max_length=512)] = None,
    state: Annotated[str | None, Query(max_length=1024)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=4000)] = None,
) -> RedirectResponse:
    return _to_app(
        context.settings.app_redirect_url, forward_params(code, state, error, error_description)
    )

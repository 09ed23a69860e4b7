"""Optional check that `/functions/v1/*` calls come through our Edge Function forwarders.

With `AVITO_SYNC_FORWARDER_SECRET` set, the forwarders send it as
`x-avito-sync-forwarder-secret` and any other caller of `/functions/v1/*` gets 401: only the
Supabase project's functions reach the app-facing routes. Unset, direct calls work (tests,
local tools). It sits inside the CORS middleware, so preflights never reach it.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from avito_sync.api.errors import ApiError, ErrorCode, error_response

SECRET_HEADER = "x-avito-sync-forwarder-secret"  # noqa: S105 - a header name
# On every answer of our forwarders (supabase/functions/_shared/forward.ts), never on the old
# functions': how a check tells which ones are deployed.
MARKER_HEADER = "x-avito-sync-forwarder"
GUARDED_PREFIX = "/functions/v1/"


class ForwarderSecretMiddleware:
    def __init__(self, app: ASGIApp, *, secret: str) -> None:
        self._app = app
        self._secret = secret.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(GUARDED_PREFIX):
            given = Headers(scope=scope).get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, self._secret):
                response = error_response(ApiError(ErrorCode.FORWARDER_SECRET_INVALID))
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)

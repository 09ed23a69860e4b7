"""CORS the way Supabase Edge Functions answer it, so the browser app needs no change.

Preflight gets 200 `ok` with the headers supabase-js sends; every response carries the
allowed origin, whether it succeeded or not (a CORS-blocked 401 would hide the status).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_HEADERS = (
    "authorization, x-client-info, apikey, content-type, x-retry-count, "
    "traceparent, tracestate, baggage"
)
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
MAX_AGE = "86400"


def allowed_origin(origin: str | None, allowed: Sequence[str]) -> str | None:
    """The value of Access-Control-Allow-Origin for this request, if any."""
    if "*" in allowed:
        return "*"
    if origin is not None and origin.rstrip("/") in allowed:
        return origin
    return None


class EdgeCorsMiddleware:
    def __init__(self, app: ASGIApp, *, origins: Sequence[str]) -> None:
        self._app = app
        self._origins = tuple(origins)

    def _cors_headers(self, origin: str | None) -> dict[str, str]:
        value = allowed_origin(origin, self._origins)
        if value is None:
            return {}
        headers = {"Access-Control-Allow-Origin": value}
        if value != "*":
            headers["Vary"] = "Origin"
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        cors = self._cors_headers(request_headers.get("origin"))
        if scope["method"] == "OPTIONS":
            headers = {
                **cors,
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": MAX_AGE,
                "Content-Type": "text/plain; charset=utf-8",
            }
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
                }
            )
            await send({"type": "http.response.body", "body": b"ok"})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and cors:
                response_headers = MutableHeaders(scope=message)
                for key, value in cors.items():
                    response_headers[key] = value
            await send(message)

        await self._app(scope, receive, send_with_cors)

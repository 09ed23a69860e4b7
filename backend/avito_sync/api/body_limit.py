"""A request-body limit enforced while the body streams in, before anything parses it.

The sync worker lives in the service process, so one unauthenticated 400 MB POST must not
be able to grow it: the body is read chunk by chunk up to the limit (a declared
Content-Length above it is refused without reading a byte), and only a body within the
limit reaches routing, authentication and JSON parsing. Every route is covered because
this runs as ASGI middleware, outside the application.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from avito_sync.api.errors import ApiError, ErrorCode

DEFAULT_MAX_BODY_BYTES = 64 * 1024


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self._app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if self._declared_length(scope) > self._max:
            await _refuse(send)
            return
        try:
            body, disconnected = await self._read(receive)
        except _TooLarge:
            await _refuse(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            if disconnected:
                return {"type": "http.disconnect"}
            return await receive()

        await self._app(scope, replay, send)

    def _declared_length(self, scope: Scope) -> int:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return self._max + 1  # unparseable: refuse rather than guess
        return 0

    async def _read(self, receive: Receive) -> tuple[bytes, bool]:
        """The whole body, or _TooLarge as soon as it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), True
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False


async def _refuse(send: Send) -> None:
    body = json.dumps(ApiError(ErrorCode.PAYLOAD_TOO_LARGE).body(), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

"""The sandbox ASGI app: emulated Avito (OAuth, token, API) plus the ``/_sandbox`` control API."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from avito_sync.core.logs import get_logger
from avito_sync.local.sandbox import (
    control_faults,
    control_messenger,
    control_routes,
    oauth,
    routes_core,
    routes_messenger,
    routes_str,
)
from avito_sync.local.sandbox.config import SandboxConfig
from avito_sync.local.sandbox.errors import ApiError
from avito_sync.local.sandbox.faults import LateFaults
from avito_sync.local.sandbox.schemas import RequestLogEntry
from avito_sync.local.sandbox.state import Runtime, SandboxState

CONTROL_PREFIX = "/_sandbox"


class RequestLog:
    """ASGI middleware: logs every non-control request and saves state after writes.

    Pure ASGI (not BaseHTTPMiddleware) so that injected hangs can see client disconnects.
    """

    def __init__(self, app: ASGIApp, state: SandboxState, *, echo: bool = False) -> None:
        self.app = app
        self.state = state
        self.echo = echo
        self.log = get_logger("avito_sync.local.sandbox")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        recorded = False
        # A request still hanging when the sandbox is reset logs into the discarded runtime,
        # never into the next test's log.
        runtime = self.state.runtime

        async def capture(message: Message) -> None:
            # Record before the client can see the answer, so a test reading the log right
            # after a response always finds its request there.
            nonlocal recorded
            if message["type"] == "http.response.start" and not recorded:
                recorded = True
                self._record(scope, int(message["status"]), runtime)
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not recorded:  # the app failed or the client left before any answer
                self._record(scope, 500, runtime)

    def _record(self, scope: Scope, status: int, runtime: Runtime) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        if method != "GET":
            self.state.save()
        if path.startswith(CONTROL_PREFIX) or self.state.world.settings.lean:
            return
        info: dict[str, Any] = scope.get("state") or {}
        entry = RequestLogEntry(
            seq=runtime.next_log_seq,
            at=self.state.now(),
            method=method,
            path=path,
            status=status,
            operation_id=info.get("operation_id"),
            fault=info.get("fault"),
            account_id=info.get("account_id"),
        )
        runtime.log.append(entry)
        runtime.next_log_seq += 1
        if self.echo:
            self.log.info("sandbox request", **entry.model_dump(exclude={"seq", "at"}))


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response


def create_app(config: SandboxConfig | None = None, *, log_requests: bool = False) -> FastAPI:
    """A fresh sandbox; state is loaded from ``config.state_file`` when that exists.

    ``log_requests`` writes one structured line per API request (path only, never secrets).
    """
    state = SandboxState(config or SandboxConfig())
    # Swagger UI's assets come from the fastapi-offline package: the docs work with no internet.
    app = FastAPIOffline(
        title="Avito sandbox",
        description="Emulates Avito's OAuth, token, STR and messenger API for development.",
        docs_url=f"{CONTROL_PREFIX}/docs",
        redoc_url=f"{CONTROL_PREFIX}/redoc",
        openapi_url=f"{CONTROL_PREFIX}/openapi.json",
        static_url=f"{CONTROL_PREFIX}/docs-assets",
        swagger_ui_oauth2_redirect_url=f"{CONTROL_PREFIX}/docs/oauth2-redirect",
    )
    app.state.sandbox = state
    app.add_exception_handler(ApiError, _api_error)
    for router in (
        oauth.router,
        routes_core.router,
        routes_str.router,
        routes_messenger.router,
        control_routes.router,
        control_faults.router,
        control_messenger.router,
    ):
        app.include_router(router)
    app.add_middleware(LateFaults)  # inner: RequestLog must see the replaced status
    app.add_middleware(RequestLog, state=state, echo=log_requests)
    return app

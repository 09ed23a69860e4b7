"""The FastAPI application: routers, middleware, error handlers, and the process lifespan
that opens the pool, the Avito client and the sync runtime (with its worker loop)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from avito_sync.api import (
    browser_callback,
    health,
    legacy,
    messenger,
    messenger_webhook,
    poll,
    telegram_webhook,
)
from avito_sync.api.actions import router as actions
from avito_sync.api.auth import JwtVerifier
from avito_sync.api.body_limit import BodyLimitMiddleware
from avito_sync.api.context import ServiceContext
from avito_sync.api.cors import EdgeCorsMiddleware
from avito_sync.api.errors import (
    ApiError,
    api_error_handler,
    http_error_handler,
    unexpected_error_handler,
    validation_error_handler,
)
from avito_sync.api.forwarder_gate import ForwarderSecretMiddleware
from avito_sync.api.jwks import JwksCache
from avito_sync.api.metrics import CountingTransport, MetricsMiddleware, ServiceMetrics
from avito_sync.api.responses import SyncAnswer, document_real_errors
from avito_sync.api.settings import ServiceSettings
from avito_sync.api.sync_result import sync_response
from avito_sync.api.user_limits import UserLimits
from avito_sync.avito.client import AvitoClient
from avito_sync.avito.settings import AvitoSettings
from avito_sync.messenger import runtime as messenger_runtime
from avito_sync.messenger.settings import load_messenger_settings
from avito_sync.notify.channel_settings import load_channel_settings
from avito_sync.notify.kit import open_kit
from avito_sync.sync.runtime import SyncRuntime
from avito_sync.sync.settings import SyncSettings


def build_app(settings: ServiceSettings, metrics: ServiceMetrics, **fastapi: Any) -> FastAPI:
    """Routes and middleware; `app.state.context` is set by the lifespan (or a test)."""
    if settings.docs:  # opt-in (AVITO_SYNC_DOCS); assets served from the package, no CDN
        make_app: Callable[..., FastAPI] = FastAPIOffline
    else:  # not published in production
        make_app = FastAPI
        fastapi = {"docs_url": None, "redoc_url": None, "openapi_url": None, **fastapi}
    app = make_app(
        title="avito-sync",
        summary="Avito connect flow, sync and status for the property-management app",
        version="1",
        **fastapi,
    )
    app.include_router(actions.router)
    app.include_router(legacy.router)
    app.include_router(messenger.router)
    app.include_router(messenger_webhook.router)
    app.include_router(browser_callback.router)
    app.include_router(health.router)
    app.include_router(poll.router)
    app.include_router(telegram_webhook.router)
    document_real_errors(app)
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
    if settings.forwarder_secret is not None:
        app.add_middleware(
            ForwarderSecretMiddleware, secret=settings.forwarder_secret.get_secret_value()
        )
    # Outside the secret check: a refused body is still counted and still gets CORS headers.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(EdgeCorsMiddleware, origins=settings.cors_origins)
    return app


def counted_avito_client(settings: AvitoSettings, metrics: ServiceMetrics) -> AvitoClient:
    """The process's Avito client, with every request counted for /metrics."""
    transport = CountingTransport(metrics, max_connections=settings.max_connections)
    return AvitoClient(settings, transport=transport)


@asynccontextmanager
async def service_context(
    settings: ServiceSettings,
    runtime: SyncRuntime,
    metrics: ServiceMetrics,
) -> AsyncIterator[ServiceContext]:
    """The per-process context on top of an open sync runtime (closed by the caller)."""
    async with (
        httpx.AsyncClient(trust_env=False) as http,
        open_kit(load_channel_settings()) as channels,
    ):
        jwks = JwksCache(settings.effective_jwks_url, http, ttl_seconds=settings.jwks_cache_seconds)

        async def run_sync(integration_id: uuid.UUID, trigger: str) -> SyncAnswer:
            result = await runtime.engine.sync_integration(
                integration_id, trigger="initial" if trigger == "initial" else "manual"
            )
            if result.ran:
                metrics.syncs.labels(trigger, result.status).inc()
            return sync_response(result)

        yield ServiceContext(
            settings=settings,
            pool=runtime.pool,
            verifier=JwtVerifier(
                jwks=jwks,
                issuer=settings.effective_issuer,
                hs256_secret=(
                    settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
                ),
            ),
            avito=runtime.client,
            tokens=runtime.tokens.provider,
            run_sync=run_sync,
            metrics=metrics,
            limits=UserLimits(settings.user_limits),
            channels=channels,
        )


def create_app(
    settings: ServiceSettings,
    avito_settings: AvitoSettings,
    sync_settings: SyncSettings,
    *,
    run_worker: bool,
) -> FastAPI:
    """The app `avito-sync serve` runs: its lifespan owns every connection it opens."""
    metrics = ServiceMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The client is closed even when the runtime cannot open (database unreachable).
        async with counted_avito_client(avito_settings, metrics) as client:
            runtime = await SyncRuntime.open(sync_settings, avito_settings, client=client)
            worker_task: asyncio.Task[None] | None = None
            messenger_task: asyncio.Task[None] | None = None
            try:
                async with service_context(settings, runtime, metrics) as context:
                    app.state.context = context
                    if sync_settings.poll_secret is not None:
                        app.state.poll_gate = poll.PollGate(
                            runtime.worker.run_once, sync_settings.poll_secret.get_secret_value()
                        )
                    if run_worker:
                        worker_task = asyncio.create_task(runtime.worker.run_forever())
                        messenger_task = asyncio.create_task(
                            messenger_runtime.run_forever(context, load_messenger_settings())
                        )
                    yield
            finally:
                runtime.worker.stop()
                if messenger_task is not None:
                    messenger_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await messenger_task
                if worker_task is not None:
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker_task
                gate = getattr(app.state, "poll_gate", None)
                if gate is not None:
                    await gate.aclose()
                await runtime.aclose()

    return build_app(settings, metrics, lifespan=lifespan)

"""Prometheus metrics of the service, in a registry of its own (one per app instance).

Request counts and latencies are observed by middleware; syncs and Avito calls are
counted where they happen; queue lag is read from the database at scrape time so it is
true even when another process does the work.
"""

from __future__ import annotations

import re
import time

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "avito_sync_http_requests",
            "HTTP requests handled, by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "avito_sync_http_request_duration_seconds",
            "HTTP request latency, by route.",
            ["method", "route"],
            registry=self.registry,
        )
        self.syncs = Counter(
            "avito_sync_syncs",
            "Syncs run by this process, by trigger and outcome.",
            ["trigger", "outcome"],
            registry=self.registry,
        )
        self.avito_calls = Counter(
            "avito_sync_avito_calls",
            "HTTP requests this process sent to Avito, by endpoint and status ('error': none).",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.recent_runs = Gauge(
            "avito_sync_runs_last_hour",
            "Syncs finished in the last hour by any process, by outcome (from avito_sync_runs).",
            ["outcome"],
            registry=self.registry,
        )
        self.queue_lag = Gauge(
            "avito_sync_queue_lag_seconds",
            "Age of the most overdue pending queue row (0 when nothing is overdue).",
            registry=self.registry,
        )
        self.queue_due = Gauge(
            "avito_sync_queue_due_rows",
            "Pending queue rows that are due now.",
            registry=self.registry,
        )


_ID = re.compile(r"/[0-9]+(?=/|$)")


def endpoint_label(request: httpx.Request) -> str:
    """`POST /realty/v1/items/{id}/base`: ids folded so the label set stays small."""
    return f"{request.method} {_ID.sub('/{id}', request.url.path)}"


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts every request the Avito client sends, retries included, by status."""

    def __init__(self, metrics: ServiceMetrics, *, max_connections: int) -> None:
        self._inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=max_connections))
        self._metrics = metrics

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        status = "error"
        try:
            response = await self._inner.handle_async_request(request)
            status = str(response.status_code)
            return response
        finally:
            self._metrics.avito_calls.labels(endpoint_label(request), status).inc()

    async def aclose(self) -> None:
        await self._inner.aclose()


# Any token is a valid HTTP method; a label per invented method would grow without bound.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(scope: Scope) -> str:
    method = str(scope["method"]).upper()
    return method if method in METHODS else "OTHER"


def route_label(scope: Scope) -> str:
    """The route template, not the raw path, so ids never explode label cardinality."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: ServiceMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observe_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, observe_status)
        finally:
            route = route_label(scope)
            method = method_label(scope)
            self._metrics.requests.labels(method, route, str(status)).inc()
            self._metrics.latency.labels(method, route).observe(time.perf_counter() - started)

"""Issue #10, items 4 and 9: unbounded bodies read before authentication, missing per-user
limits, public API docs, Avito's error text reflected into the app URL, and a redaction rule
that hid `error_code` from the logs."""

from __future__ import annotations

import io
import json
import signal
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import structlog

from avito_sync.core.logs import configure_logging, get_logger
from tests.api.conftest import ENDPOINT, Service
from tests.api.jwt_tools import JwksServer
from tests.api.process import serve_env, start_service
from tests.fixtures.sandbox import Sandbox

CHUNK = 1024 * 1024
ATTACK_BYTES = 400 * CHUNK


class CountingBody:
    """A 400 MB request body streamed in 1 MB chunks, counting what the server pulled."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < ATTACK_BYTES:
            self.sent += CHUNK
            yield b"{" + b" " * (CHUNK - 1)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", ENDPOINT),
        ("POST", "/functions/v1/avito_sync"),
        ("POST", "/functions/v1/avito-oauth-callback"),
        ("POST", "/v1/poll"),
        ("GET", "/oauth/avito/callback"),
        ("PUT", "/no/such/route"),
    ],
)
async def test_unauthenticated_huge_body_is_refused_while_streaming(
    service: Service, method: str, path: str
) -> None:
    body = CountingBody()
    answer = await service.http.request(method, path, content=body)
    assert answer.status_code == 413  # not 401: refused before authentication
    assert answer.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert body.sent <= 2 * CHUNK, f"the server read {body.sent} bytes"


async def test_a_body_within_the_limit_still_reaches_the_action(service: Service) -> None:
    host = service.user()
    prop = service.property(host)
    padded = {"action": "progress-load", "property_id": str(prop), "pad": "x" * 60_000}
    answer = await service.http.post(ENDPOINT, json=padded, headers=service.headers(host))
    assert answer.status_code == 200
    assert answer.json()["success"] is True


@pytest.fixture(scope="module")
def production_service(
    database_url: str, jwks_server: JwksServer, sandbox_server: Any, sandbox_control: Any
) -> Iterator[str]:
    """`avito-sync serve` as deployed: default settings (no docs), over real HTTP."""
    config = sandbox_server.config
    sandbox = Sandbox(
        sandbox_server.base_url,
        sandbox_control,
        config.client_id,
        config.client_secret,
        config.redirect_uri,
        0,
        (0, 0),
    )
    process, base = start_service(serve_env(database_url, jwks_server, sandbox), "--no-worker")
    try:
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)


def test_declared_400_mb_body_is_refused_before_it_is_sent(production_service: str) -> None:
    port = int(urlsplit(production_service).port or 0)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /functions/v1/avito-sync HTTP/1.1\r\nHost: service\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {ATTACK_BYTES}\r\n\r\n".encode()
            + b"{"
        )
        reply = sock.recv(4096).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413"), reply


def test_docs_and_schema_are_off_by_default(production_service: str) -> None:
    with httpx.Client(base_url=production_service, trust_env=False) as http:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert http.get(path).status_code == 404, path
        assert http.get("/healthz").status_code == 200


async def test_oauth_url_is_limited_per_user(service: Service) -> None:
    host, neighbour = service.user(), service.user()
    prop = service.property(host)
    answers = [await service.act(host, "oauth-url", property_id=str(prop)) for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [200] * 10
    assert answers[10].status_code == 429
    assert answers[10].json()["code"] == "RATE_LIMITED"
    assert int(answers[10].headers["Retry-After"]) >= 1
    states = service.db.execute(
        "select count(*) as n from public.avito_oauth_states where owner_id = %s", (host,)
    ).fetchone()
    assert states == {"n": 10}
    other = await service.act(neighbour, "oauth-url", property_id=str(service.property(neighbour)))
    assert other.status_code == 200


async def test_sync_is_limited_per_user_on_both_function_names(service: Service) -> None:
    host = service.user()
    ref = {"property_id": str(uuid.uuid4())}
    codes = [(await service.act(host, "sync", **ref)).status_code for _ in range(20)]
    assert 429 not in codes
    limited = await service.act(host, "initial-sync", **ref)
    assert limited.status_code == 429
    legacy = await service.http.post(
        "/functions/v1/avito_sync", json={"action": "sync", **ref}, headers=service.headers(host)
    )
    assert legacy.status_code == 429
    assert "Retry-After" in legacy.headers


async def test_progress_save_is_limited_per_user(service: Service) -> None:
    host = service.user()
    prop = str(service.property(host))
    body = {"property_id": prop, "progress": {"step": 1}}
    codes = [(await service.act(host, "progress-save", **body)).status_code for _ in range(61)]
    assert codes[:60] == [200] * 60
    assert codes[60] == 429


async def test_avitos_error_description_is_capped_and_sanitised(service: Service) -> None:
    hostile = "Отказ\u202e\u200b<script>alert(1)</script>\r\nLocation: x\x00" + "я" * 1000
    answer = await service.http.get(
        "/oauth/avito/callback",
        params={"error": "access_denied", "error_description": hostile, "state": "s"},
    )
    assert answer.status_code == 303
    forwarded = parse_qs(urlsplit(answer.headers["location"]).query)
    assert forwarded["error"] == ["access_denied"]
    [text] = forwarded["error_description"]
    assert len(text) <= 200
    assert text.startswith("Отказscriptalert(1)/script Location: x")
    assert not any(ch in text for ch in "\u202e\u200b\r\n\x00<>")
    weird = await service.http.get(
        "/oauth/avito/callback", params={"error": "<b>x</b>\n", "error_description": "d"}
    )
    assert parse_qs(urlsplit(weird.headers["location"]).query)["error"] == ["invalid_request"]


def test_error_code_is_logged_and_oauth_codes_are_not() -> None:
    buffer = io.StringIO()
    configure_logging(json=True)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=buffer))
    try:
        get_logger("test").info(
            "sync_finished",
            error_code="avito_rate_limit",
            code="oauth-code-1",
            auth_code="oauth-code-2",
            authorization_code="oauth-code-3",
        )
    finally:
        structlog.reset_defaults()
    [entry] = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert entry["error_code"] == "avito_rate_limit"
    assert entry["code"] == entry["auth_code"] == entry["authorization_code"] == "[redacted]"

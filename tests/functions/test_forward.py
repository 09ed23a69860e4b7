"""The Edge Function forwarders under real Deno, behind the local gateway, in front of a small
HTTP server that answers as told by the query and echoes what it received."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from avito_sync.api.forwarder_gate import MARKER_HEADER, SECRET_HEADER
from tests.support.functions import Gateway, running_gateway
from tests.support.net import free_port, serving

FUNCTIONS = ["avito_sync", "avito-oauth-callback", "avito-close-availability", "avito-sync"]
FUNCTIONS += ["avito-messenger"]
SECRET = "forwarder-secret-" + "f" * 32
MAX_BODY = 2048
CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-headers": (
        "authorization, x-client-info, apikey, content-type, x-retry-count, traceparent, "
        "tracestate, baggage"
    ),
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
}


@dataclass
class Upstream:
    url: str
    seen: list[str] = field(default_factory=list)

    def calls(self) -> int:
        return len(self.seen)


def echo_handler(upstream: list[str]) -> type[BaseHTTPRequestHandler]:
    class Echo(BaseHTTPRequestHandler):
        """Answers `?status=&type=&sleep=&retry_after=` with JSON (indent=1, raw UTF-8) of what
        it received, so a test can tell the exact bytes were passed on."""

        def _answer(self) -> None:
            upstream.append(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            time.sleep(float(query.get("sleep", 0)))
            echoed = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode(),
                "note": "ответ сервиса",
            }
            payload = json.dumps(echoed, indent=1, ensure_ascii=False).encode()
            self.send_response(int(query.get("status", 200)))
            self.send_header("Content-Type", query.get("type", "application/json"))
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Set-Cookie", "upstream=1")
            if "retry_after" in query:
                self.send_header("Retry-After", query["retry_after"])
                self.send_header("WWW-Authenticate", "Bearer")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *_args: Any) -> None:
            pass

    return Echo


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    seen: list[str] = []
    with serving(echo_handler(seen)) as url:
        yield Upstream(url, seen)


@pytest.fixture(scope="module")
def gateway(upstream: Upstream) -> Iterator[Gateway]:
    env = {
        "AVITO_SYNC_SERVICE_URL": upstream.url + "/",
        "AVITO_SYNC_FORWARDER_SECRET": SECRET,
        "AVITO_SYNC_FORWARDER_TIMEOUT_SECONDS": "0.5",
        "AVITO_SYNC_FORWARDER_MAX_BODY_BYTES": str(MAX_BODY),
    }
    with running_gateway(env) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=10) as client:
        yield client


def assert_forwarder_error(answer: httpx.Response, status: int, code: str) -> None:
    """JSON in the service's error shape, with CORS and the forwarder marker."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["success"] is False
    assert body["code"] == code
    assert body["error"] == body["message"]
    assert any("а" <= ch <= "я" for ch in body["error"].lower())  # Russian text
    assert answer.headers[MARKER_HEADER] == "1"
    for name, value in CORS.items():
        assert answer.headers[name] == value


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_call_and_the_answer_pass_unchanged(
    gateway: Gateway, http: httpx.Client, name: str
) -> None:
    sent = '{"action":"sync","integration_id":"9b2c…","текст":"да"}'.encode()
    answer = http.post(
        gateway.function(name) + "?status=201&retry_after=7",
        content=sent,
        headers={
            "Authorization": "Bearer user.jwt.token",
            "apikey": "sb_publishable_key",
            "x-client-info": "supabase-js-web/2.90.1",
            "Content-Type": "application/json",
            "x-request-id": "req-42",
            "Cookie": "session=secret",
            "Origin": "https://app.roomi.pro",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    assert answer.status_code == 201
    echoed = answer.json()
    # The exact bytes of the service's answer, not a re-serialisation.
    assert answer.content == json.dumps(echoed, indent=1, ensure_ascii=False).encode()
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["retry-after"] == "7"
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.headers["x-request-id"] == "req-42"
    assert answer.headers[MARKER_HEADER] == "1"
    assert "set-cookie" not in answer.headers
    for header, value in CORS.items():
        assert answer.headers[header] == value

    assert echoed["method"] == "POST"
    assert echoed["path"] == f"/functions/v1/{name}?status=201&retry_after=7"
    assert echoed["body"].encode() == sent
    seen = echoed["headers"]
    assert seen["authorization"] == "Bearer user.jwt.token"
    assert seen["apikey"] == "sb_publishable_key"
    assert seen["x-client-info"] == "supabase-js-web/2.90.1"
    assert seen["content-type"] == "application/json"
    assert seen["x-request-id"] == "req-42"
    assert seen[SECRET_HEADER] == SECRET
    for dropped in ("cookie", "origin", "x-forwarded-for"):
        assert dropped not in seen


def test_get_and_sub_paths_reach_the_functions_route(gateway: Gateway, http: httpx.Client) -> None:
    answer = http.get(gateway.function("avito-sync") + "/extra/part?q=1")
    assert answer.status_code == 200
    assert answer.json()["method"] == "GET"
    assert answer.json()["path"] == "/functions/v1/avito-sync/extra/part?q=1"


@pytest.mark.parametrize("given", [None, "two words", "x" * 201])
def test_a_request_id_is_made_when_missing_or_unusable(
    gateway: Gateway, http: httpx.Client, given: str | None
) -> None:
    headers = {} if given is None else {"x-request-id": given}
    answer = http.post(gateway.function("avito_sync"), json={}, headers=headers)
    made = answer.headers["x-request-id"]
    assert uuid.UUID(made).version == 4
    assert answer.json()["headers"]["x-request-id"] == made


def test_preflight_is_answered_as_supabase_functions_do(
    gateway: Gateway, upstream: Upstream, http: httpx.Client
) -> None:
    before = upstream.calls()
    answer = http.options(
        gateway.function("avito-oauth-callback"),
        headers={
            "Origin": "https://app.roomi.pro",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, x-client-info, apikey, content-type",
        },
    )
    assert answer.status_code == 200
    assert answer.text == "ok"
    for name, value in CORS.items():
        assert answer.headers[name] == value
    assert answer.headers[MARKER_HEADER] == "1"
    assert upstream.calls() == before


def test_the_services_own_errors_pass_unchanged(gateway: Gateway, http: httpx.Client) -> None:
    answer = http.post(gateway.function("avito-sync") + "?status=503", json={})
    assert answer.status_code == 503
    assert answer.json()["note"] == "ответ сервиса"


@pytest.mark.parametrize("status", [200, 502])
def test_a_non_json_answer_never_reaches_the_app(
    gateway: Gateway, http: httpx.Client, status: int
) -> None:
    answer = http.post(gateway.function("avito_sync") + f"?status={status}&type=text/html", json={})
    assert_forwarder_error(answer, 502, "SERVICE_BAD_ANSWER")


def test_a_slow_service_gives_json_504(gateway: Gateway, http: httpx.Client) -> None:
    answer = http.post(gateway.function("avito_sync") + "?sleep=2", json={})
    assert_forwarder_error(answer, 504, "SERVICE_TIMEOUT")


def test_bodies_over_the_limit_get_413_and_never_reach_the_service(
    gateway: Gateway, upstream: Upstream, http: httpx.Client
) -> None:
    before = upstream.calls()
    declared = http.post(gateway.function("avito-sync"), content=b"x" * (MAX_BODY + 1))
    assert_forwarder_error(declared, 413, "PAYLOAD_TOO_LARGE")

    def chunks() -> Iterator[bytes]:  # no Content-Length: only counting while reading tells
        for _ in range(MAX_BODY // 512 + 1):
            yield b"y" * 512

    streamed = http.post(gateway.function("avito-sync"), content=chunks())
    assert "content-length" not in streamed.request.headers
    assert_forwarder_error(streamed, 413, "PAYLOAD_TOO_LARGE")
    assert upstream.calls() == before

    at_limit = http.post(gateway.function("avito-sync"), content=b"z" * MAX_BODY)
    assert at_limit.status_code == 200
    assert len(at_limit.json()["body"]) == MAX_BODY


def test_without_a_secret_none_is_sent(upstream: Upstream, http: httpx.Client) -> None:
    with running_gateway({"AVITO_SYNC_SERVICE_URL": upstream.url}) as gateway:
        answer = http.post(gateway.function("avito-sync"), json={})
    assert answer.status_code == 200
    assert SECRET_HEADER not in answer.json()["headers"]


def test_a_service_that_is_down_gives_json_502(http: httpx.Client) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with running_gateway({"AVITO_SYNC_SERVICE_URL": closed}) as gateway:
        answer = http.post(gateway.function("avito_sync"), json={"action": "sync"})
    assert_forwarder_error(answer, 502, "SERVICE_UNREACHABLE")


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"AVITO_SYNC_SERVICE_URL": "ftp://service.example"},
        {
            "AVITO_SYNC_SERVICE_URL": "http://127.0.0.1:9",
            "AVITO_SYNC_FORWARDER_TIMEOUT_SECONDS": "150",
        },
    ],
    ids=["missing-url", "bad-url", "timeout-too-long"],
)
def test_a_misconfigured_forwarder_says_so_in_json_500(
    http: httpx.Client, env: dict[str, str]
) -> None:
    with running_gateway(env) as gateway:
        answer = http.post(gateway.function("avito-sync"), json={})
        preflight = http.options(gateway.function("avito-sync"))
    output = gateway.output
    assert_forwarder_error(answer, 500, "FORWARDER_NOT_CONFIGURED")
    assert preflight.status_code == 200  # the browser still sees the 500, not a CORS failure
    assert "forwarder_not_configured" in output
    assert "ftp://" not in output  # the variable is named, its value never logged

"""The pg_net stand-in really delivers requests, only after commit, and records the replies."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.core.loopback import is_loopback_url
from tests.fixtures.db import Conn, ScratchDatabases, as_anon, connect, running_net_dispatcher
from tests.support.net import serving


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """A local HTTP server that records every request and answers 201 with a JSON body."""

    url: str
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    holder: dict[str, Recorder] = {}

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            rec = holder["r"]
            if self.path.startswith("/slow"):
                rec.release.wait(10)
            rec.requests.append(Received(self.command, self.path, dict(self.headers), body))
            payload = json.dumps({"ok": True, "path": self.path}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(Handler) as base_url:
        holder["r"] = Recorder(url=base_url)
        try:
            yield holder["r"]
        finally:
            holder["r"].release.set()


def wait_for_response(conn: Conn, request_id: int, deadline_s: float = 20) -> dict[str, Any]:
    """Poll net._http_response until the dispatcher has recorded the reply (bounded wait)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        row = conn.execute(
            "select * from net._http_response where id = %s", (request_id,)
        ).fetchone()
        if row is not None:
            return row
        time.sleep(0.05)
    raise AssertionError(f"no response recorded for request {request_id}")


@pytest.fixture(scope="module")
def served_url(scratch_databases: ScratchDatabases) -> Iterator[str]:
    """One database with a dispatcher for the whole module (starting one costs seconds)."""
    url = scratch_databases.make(local_layer=True)
    with running_net_dispatcher(url):
        yield url


@pytest.fixture
def net_url(scratch_database: Any) -> str:
    return str(scratch_database(local_layer=True))


def test_post_is_delivered_after_commit(served_url: str, recorder: Recorder) -> None:
    with connect(served_url) as conn:
        with conn.transaction():
            request_id = conn.execute(
                "select net.http_post(%s, %s::jsonb, %s::jsonb, %s::jsonb) as id",
                (
                    recorder.url + "/hook",
                    json.dumps({"booking": 7, "name": "Иван"}),
                    json.dumps({"q": "a b&c"}),
                    json.dumps({"Content-Type": "application/json", "Authorization": "Bearer t"}),
                ),
            ).fetchone()["id"]  # type: ignore[index]
        reply = wait_for_response(conn, request_id)
        queued = conn.execute(
            "select count(*) as n from net.http_request_queue where id = %s", (request_id,)
        ).fetchone()
    assert len(recorder.requests) == 1
    got = recorder.requests[0]
    assert (got.method, got.path) == ("POST", "/hook?q=a%20b%26c")
    assert json.loads(got.body) == {"booking": 7, "name": "Иван"}
    assert got.headers["Authorization"] == "Bearer t"
    assert got.headers["Content-Type"] == "application/json"
    assert reply["status_code"] == 201
    assert reply["timed_out"] is False
    assert reply["content_type"] == "application/json"
    assert json.loads(reply["content"]) == {"ok": True, "path": "/hook?q=a%20b%26c"}
    assert queued == {"n": 0}


def test_rolled_back_request_is_never_sent(served_url: str, recorder: Recorder) -> None:
    with connect(served_url) as conn:
        conn.execute("begin")
        conn.execute("select net.http_post(%s)", (recorder.url + "/rolled-back",))
        conn.execute("rollback")
        marker = conn.execute(
            "select net.http_get(%s) as id", (recorder.url + "/marker",)
        ).fetchone()["id"]  # type: ignore[index]
        wait_for_response(conn, marker)
    assert [r.path for r in recorder.requests] == ["/marker"]


def test_requests_left_before_start_are_drained(net_url: str, recorder: Recorder) -> None:
    with connect(net_url) as conn:
        first = conn.execute(
            "select net.http_delete(%s) as id", (recorder.url + "/left",)
        ).fetchone()["id"]  # type: ignore[index]
        assert recorder.requests == []
        with running_net_dispatcher(net_url):
            reply = wait_for_response(conn, first)
    assert reply["status_code"] == 201
    assert [(r.method, r.path) for r in recorder.requests] == [("DELETE", "/left")]


def test_dispatcher_survives_losing_its_connections(served_url: str, recorder: Recorder) -> None:
    with connect(served_url) as conn:
        killed = conn.execute(
            "select count(pg_terminate_backend(pid)) as n from pg_stat_activity"
            " where application_name = 'avito-sync net-dispatch' and datname = current_database()"
        ).fetchone()
        assert killed == {"n": 2}
        request_id = conn.execute(
            "select net.http_get(%s) as id", (recorder.url + "/after-reconnect",)
        ).fetchone()["id"]  # type: ignore[index]
        reply = wait_for_response(conn, request_id)
    assert reply["status_code"] == 201
    assert [r.path for r in recorder.requests] == ["/after-reconnect"]


def test_timeout_is_recorded(served_url: str, recorder: Recorder) -> None:
    with connect(served_url) as conn:
        request_id = conn.execute(
            "select net.http_get(%s, timeout_milliseconds => 200) as id", (recorder.url + "/slow",)
        ).fetchone()["id"]  # type: ignore[index]
        reply = wait_for_response(conn, request_id)
        recorder.release.set()
    assert reply["timed_out"] is True
    assert reply["status_code"] is None


def test_non_loopback_destination_is_refused_without_sending(served_url: str) -> None:
    with connect(served_url) as conn:
        request_id = conn.execute(
            "select net.http_post('http://192.0.2.10/never') as id"
        ).fetchone()["id"]  # type: ignore[index]
        reply = wait_for_response(conn, request_id)
    assert reply["status_code"] is None
    assert "loopback" in reply["error_msg"]


def test_any_role_may_queue_but_not_read_the_queue(net_url: str) -> None:
    with connect(net_url) as conn:
        with as_anon(conn):
            request_id = conn.execute("select net.http_get('http://127.0.0.1:9/') as id").fetchone()
            with pytest.raises(Exception, match="permission denied"), conn.transaction():
                conn.execute("select * from net.http_request_queue")
        assert request_id is not None


def test_post_rejects_non_json_content_type(net_url: str) -> None:
    with connect(net_url) as conn, pytest.raises(Exception, match="Content-Type"):
        conn.execute(
            "select net.http_post('http://127.0.0.1/', headers => %s::jsonb)",
            (json.dumps({"Content-Type": "text/plain"}),),
        )


def test_signatures_match_pg_net(net_url: str) -> None:
    with connect(net_url) as conn:
        rows = {
            r["name"]: r["args"]
            for r in conn.execute(
                "select p.proname as name, pg_get_function_arguments(p.oid) as args from pg_proc p"
                " where p.pronamespace = 'net'::regnamespace and p.proname like 'http\\_%'"
            )
        }
    assert rows == {
        "http_get": "url text, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT "
        "'{}'::jsonb, timeout_milliseconds integer DEFAULT 5000",
        "http_post": "url text, body jsonb DEFAULT '{}'::jsonb, params jsonb DEFAULT "
        "'{}'::jsonb, headers jsonb DEFAULT '{\"Content-Type\": \"application/json\"}'::jsonb, "
        "timeout_milliseconds integer DEFAULT 5000",
        "http_delete": "url text, params jsonb DEFAULT '{}'::jsonb, headers jsonb DEFAULT "
        "'{}'::jsonb, timeout_milliseconds integer DEFAULT 5000, body jsonb DEFAULT NULL::jsonb",
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000/x", True),
        ("http://127.5.6.7/", True),
        ("https://localhost/tick", True),
        ("http://[::1]:80/", True),
        ("http://10.0.0.1/", False),
        ("http://example.com/", False),
        ("http://localhost.example.com/", False),
        ("ftp://127.0.0.1/", False),
        ("not a url", False),
        ("http://[::1/", False),
    ],
)
def test_loopback_check(url: str, expected: bool) -> None:
    assert is_loopback_url(url) is expected


@given(st.ip_addresses())
def test_loopback_check_agrees_with_ipaddress(address: Any) -> None:
    host = f"[{address}]" if address.version == 6 else str(address)
    assert is_loopback_url(f"http://{host}/p") is address.is_loopback

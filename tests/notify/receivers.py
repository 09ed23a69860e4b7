"""Real HTTP receivers on 127.0.0.1 for the notifier's channels: a fake Telegram Bot API and
a webhook endpoint. Each answers from a script of status codes and records every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from tests.support.net import answer as respond
from tests.support.net import serving


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """`statuses` are answered in order, then `default_status` forever."""

    kind: str
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else self.default_status

    def record(self, item: Received) -> None:
        with self.lock:
            self.requests.append(item)

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.requests)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.record(Received(self.path, dict(self.headers.items()), body))
            status = receiver.next_status()
            if receiver.kind == "telegram":
                answer: dict[str, Any] = (
                    {"ok": True, "result": {"message_id": len(receiver.requests)}}
                    if status == 200
                    else {"ok": False, "error_code": status, "description": "scripted failure"}
                )
                if status == 429:
                    answer["parameters"] = {"retry_after": 0}
            else:
                answer = {"received": status == 200}
            respond(self, status, json.dumps(answer).encode())

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running(receiver: Receiver) -> Iterator[Receiver]:
    with serving(_handler(receiver)) as base_url:
        receiver.port = urlsplit(base_url).port or 0
        yield receiver

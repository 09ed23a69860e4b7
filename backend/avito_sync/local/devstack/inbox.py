"""The dev inbox: a loopback webhook receiver that prints each notification it gets.

It checks the signature with the dev webhook secret (as a real receiver must), so what it
prints is exactly what a host's webhook would have accepted. `GET /notifications` lists the
latest accepted ones (for `avito-sync demo`).
"""

from __future__ import annotations

import hmac
import json
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from avito_sync.local.devstack.http_thread import ThreadedHttp
from avito_sync.notify.channels.webhook import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)

PATH = "/notifications"
MAX_BODY = 1_000_000
KEPT = 100


class Inbox(ThreadedHttp):
    """The inbox's server (see `ThreadedHttp` for its life cycle)."""

    def __init__(self, host: str, port: int, secret: str, emit: Callable[[str], None]) -> None:
        self._secret = secret
        self._emit = emit
        self.received: deque[dict[str, object]] = deque(maxlen=KEPT)
        super().__init__(host, port, self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != PATH:
                    self.send_error(404)
                    return
                body = json.dumps(list(inbox.received), ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if self.path != PATH or not 0 < length <= MAX_BODY:
                    self.send_error(404 if self.path != PATH else 400)
                    return
                body = self.rfile.read(length)
                status = inbox.receive(
                    body,
                    self.headers.get(TIMESTAMP_HEADER, ""),
                    self.headers.get(SIGNATURE_HEADER, ""),
                    self.headers.get(EVENT_HEADER, "?"),
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def receive(self, body: bytes, timestamp: str, signature: str, event: str) -> int:
        if not timestamp.isdigit() or not hmac.compare_digest(
            sign(self._secret, int(timestamp), body), signature
        ):
            self._emit(f"rejected a {event} delivery: bad signature")
            return 401
        try:
            text = str(json.loads(body).get("message", {}).get("text", ""))
        except (ValueError, AttributeError):
            text = ""
        summary = " | ".join(line.strip() for line in text.splitlines() if line.strip())
        self.received.append({"event": event, "text": text, "received_at": time.time()})
        self._emit(f"{event}: {summary}" if summary else event)
        return 204

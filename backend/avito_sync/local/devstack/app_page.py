"""The dev stand-in for the app's `/auth/avito-callback` page (docs/app-contract.md §4.3).

Avito redirects the browser here with `code` and `state` (or `error`); the page completes the
connect the way the deployed app does, with the user's session: `avito-oauth-callback` with
`{code, state, redirect_uri}`, then the account's listings (`get-items`) and a button per
listing (`save-integration`). The session is a dev JWT of the demo host minted per page load
with the dev stack's own secret, so this server exists only in the dev stack, on loopback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from avito_sync.local.devstack.config import APP_CALLBACK_PATH
from avito_sync.local.devstack.http_thread import ThreadedHttp

PAGE = Path(__file__).with_name("app_page.html")
DEFAULT_MARKUP = 15


@dataclass(frozen=True)
class PageConfig:
    """What the page needs: where the functions are, the redirect URI it reports, a session."""

    functions_url: str
    redirect_uri: str
    property_id: str
    session: Callable[[], str]

    def render(self, template: str) -> str:
        data = {
            "functionsUrl": self.functions_url,
            "redirectUri": self.redirect_uri,
            "propertyId": self.property_id,
            "markup": DEFAULT_MARKUP,
            "token": self.session(),
        }
        # `</` inside a <script> element would end it early.
        return template.replace("__CONFIG__", json.dumps(data).replace("</", "<\\/"))


class AppPage(ThreadedHttp):
    """The callback page's server (see `ThreadedHttp` for its life cycle)."""

    def __init__(self, host: str, port: int, config: PageConfig) -> None:
        self._config = config
        self._template = PAGE.read_text(encoding="utf-8")
        super().__init__(host, port, self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/favicon.ico":
                    self.send_response(204)
                    self.end_headers()
                    return
                if urlsplit(self.path).path not in ("/", APP_CALLBACK_PATH):
                    self.send_error(404)
                    return
                body = page._config.render(page._template).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")  # it carries a session token
                self.send_header("Referrer-Policy", "no-referrer")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

"""Run the sandbox in a background thread of the current process (tests, benchmarks)."""

from __future__ import annotations

from avito_sync.local.sandbox.app import create_app
from avito_sync.local.sandbox.config import SandboxConfig
from avito_sync.local.thread_server import ThreadServer


class SandboxServer(ThreadServer):
    """A real uvicorn server on 127.0.0.1 and a free port, in a daemon thread.

    ``with SandboxServer() as server: server.base_url``; the socket is bound before the thread
    starts, so the port can't be taken in between.
    """

    def __init__(self, config: SandboxConfig | None = None, host: str = "127.0.0.1") -> None:
        self.config = config or SandboxConfig()
        self.app = create_app(self.config)
        super().__init__(self.app, host, name="sandbox server")

"""Run the sandbox in a background thread of the current process (tests, benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from avito_sync.sandbox.app import create_app
from avito_sync.sandbox.config import SandboxConfig

STARTUP_TIMEOUT_SECONDS = 15.0


class SandboxServer:
    """A real uvicorn server on 127.0.0.1 and a free port, in a daemon thread.

    ``with SandboxServer() as server: server.base_url``; the socket is bound before the thread
    starts, so the port can't be taken in between.
    """

    def __init__(self, config: SandboxConfig | None = None, host: str = "127.0.0.1") -> None:
        self.config = config or SandboxConfig()
        self.app = create_app(self.config)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=1,
                lifespan="off",
            )
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("sandbox server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

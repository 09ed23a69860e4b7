"""`avito-sync serve` as a real process on a free loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.api.conftest import STATE_SECRET
from tests.api.jwt_tools import JwksServer
from tests.fixtures.sandbox import Sandbox
from tests.support.net import free_port

SERVE = [sys.executable, "-m", "avito_sync", "serve"]


def serve_env(database_url: str, jwks: JwksServer, sandbox: Sandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AVITO_", "SUPABASE_"))}
    env.update(
        DATABASE_URL=database_url,
        SUPABASE_URL=jwks.base_url,
        AVITO_SYNC_STATE_SECRET=STATE_SECRET,
        AVITO_CLIENT_ID=sandbox.client_id,
        AVITO_CLIENT_SECRET=sandbox.client_secret,
        AVITO_REDIRECT_URI=sandbox.redirect_uri,
        AVITO_API_BASE_URL=sandbox.base_url,
        AVITO_OAUTH_BASE_URL=sandbox.base_url,
        AVITO_SYNC_LOG_LEVEL="INFO",
    )
    return env


def start_service(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], str]:
    """Start the service and wait (at most a minute) until /healthz answers."""
    port = free_port()
    process = subprocess.Popen(
        [*SERVE, "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=base, trust_env=False) as http:
        while True:
            try:
                if http.get("/healthz").status_code == 200:
                    return process, base
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _, stderr = process.communicate()
                raise AssertionError(f"service did not come up: {stderr}")
            time.sleep(0.2)

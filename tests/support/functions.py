"""The Edge Function forwarders under the pinned Deno, behind the local gateway
(supabase/functions/_local/gateway.ts), as a real process on a free loopback port."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from avito_sync.local.devstack.functions import READY_LINE, gateway_command, gateway_env
from tests.support.net import free_port
from tests.support.processes import OutputReader, stop_process

READY_WITHIN_SECONDS = 30


class Gateway:
    """A running gateway: `url` is what supabase-js takes as SUPABASE_URL."""

    def __init__(self, env: Mapping[str, str]) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AVITO_", "SUPABASE_"))}
        self.process = subprocess.Popen(
            gateway_command(port),
            env=gateway_env({**base, **env}),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = OutputReader(self.process, READY_LINE, keep=200)

    @property
    def output(self) -> str:
        return self._reader.output

    def wait_ready(self) -> None:
        if not self._reader.ready.wait(READY_WITHIN_SECONDS):
            stop_process(self.process, kill=True)
            raise AssertionError(f"the functions gateway did not come up:\n{self.output}")

    def stop(self) -> None:
        """Stop Deno and take in the last of its output."""
        stop_process(self.process)
        self._reader.join(timeout=5)

    def function(self, name: str) -> str:
        return f"{self.url}/functions/v1/{name}"


@contextmanager
def running_gateway(env: Mapping[str, str]) -> Iterator[Gateway]:
    """The gateway with `env` as the functions' secrets; stopped on exit."""
    gateway = Gateway(env)
    try:
        gateway.wait_ready()
        yield gateway
    finally:
        gateway.stop()

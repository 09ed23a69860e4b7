"""Run `avito-sync realtime-local` as a real process (so a test can kill and restart it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.support.net import free_port
from tests.support.processes import stop_process


def start_standin(database_url: str, port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "avito_sync",
            "realtime-local",
            "--port",
            str(port),
            "--database-url",
            database_url,
            "--poll-seconds",
            "0.05",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    output = []
    for line in proc.stderr:
        output.append(line)
        if "realtime-local ready on" in line:
            break
    else:
        proc.wait()
        raise RuntimeError(f"realtime-local exited {proc.returncode}: {''.join(output)}")
    stderr = proc.stderr

    def forward() -> None:  # keeps the pipe drained; shows up in a failing test's output
        for line in stderr:
            sys.stderr.write("STANDIN " + line)

    threading.Thread(target=forward, daemon=True).start()
    return proc


@asynccontextmanager
async def standin(
    database_url: str, port: int | None = None
) -> AsyncIterator[tuple[subprocess.Popen[str], int]]:
    """Stopping happens in a thread: a graceful close needs the client (on this loop) to answer."""
    port = port or free_port()
    proc = await asyncio.to_thread(start_standin, database_url, port)
    try:
        yield proc, port
    finally:
        await asyncio.to_thread(stop_process, proc)

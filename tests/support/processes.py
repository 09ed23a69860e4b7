"""Stopping child processes the tests start, so that none outlives its test."""

from __future__ import annotations

import subprocess


def stop_process(proc: subprocess.Popen[str], *, kill: bool = False, timeout: float = 10) -> None:
    """SIGKILL (a crash) or SIGTERM; a process that ignores SIGTERM is killed, and the test
    fails with `TimeoutExpired`."""
    if proc.poll() is None:
        if kill:
            proc.kill()
        else:
            proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
        raise

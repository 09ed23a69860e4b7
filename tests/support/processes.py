"""Child processes the tests start: their output read as it comes, and stopping them so that
none outlives its test."""

from __future__ import annotations

import subprocess
import threading
from collections import deque


class OutputReader:
    """Reads a child's output (stdout, with stderr folded in) in a thread as it comes; `ready` is
    set at the first line containing `marker`. `keep` bounds the lines kept (None: all)."""

    def __init__(self, proc: subprocess.Popen[str], marker: str, keep: int | None = None) -> None:
        self.lines: deque[str] = deque(maxlen=keep)
        self.ready = threading.Event()
        self._proc = proc
        self._marker = marker
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self.lines.append(line)
            if self._marker in line:
                self.ready.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def join(self, timeout: float) -> None:
        """Wait for the end of the output (the child has exited)."""
        self._thread.join(timeout=timeout)


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

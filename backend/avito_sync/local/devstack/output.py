"""One terminal for many processes: each line prefixed with its source, JSON logs made short."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from typing import TextIO

_COLORS = ("36", "35", "33", "32", "34", "31", "96", "95")
_SKIP = {"event", "level", "timestamp", "logger"}


def compact(line: str) -> str:
    """A structlog JSON line as `level event key=value ...`; anything else unchanged."""
    if not line.startswith("{"):
        return line
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict) or "event" not in record:
        return line
    fields = " ".join(f"{k}={v}" for k, v in record.items() if k not in _SKIP)
    level = str(record.get("level", "info"))
    return f"{level:<7} {record['event']}" + (f"  {fields}" if fields else "")


class Output:
    """Thread-safe prefixed printing (the inbox answers on its own thread)."""

    def __init__(self, stream: TextIO | None = None, *, width: int = 9) -> None:
        self._stream: TextIO | None = stream or sys.stdout
        self._color = sys.stdout.isatty() if stream is None else stream.isatty()
        self._width = width
        self._lock = threading.Lock()
        self._colors: dict[str, str] = {}

    def _prefix(self, name: str) -> str:
        label = f"{name:<{self._width}}|"
        if not self._color:
            return label
        color = self._colors.setdefault(name, _COLORS[len(self._colors) % len(_COLORS)])
        return f"\x1b[{color}m{label}\x1b[0m"

    def _write(self, text: str) -> None:
        """Write, or go quiet for good when the reader is gone (`| tee` ended by Ctrl-C):
        stopping the stack must never depend on stdout."""
        with self._lock:
            if self._stream is None:
                return
            try:
                self._stream.write(text)
                self._stream.flush()
            except (OSError, ValueError):
                if self._stream is sys.stdout:  # nor the interpreter's last flush at exit
                    with contextlib.suppress(OSError, ValueError):
                        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                self._stream = None

    def line(self, name: str, text: str) -> None:
        self._write(f"{self._prefix(name)} {compact(text.rstrip())}\n")

    def block(self, text: str) -> None:
        self._write(text.rstrip() + "\n")

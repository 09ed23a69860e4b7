"""One terminal for many processes: each line prefixed with its source, JSON logs made short."""

from __future__ import annotations

import json
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
        self._stream = stream or sys.stdout
        self._color = self._stream.isatty()
        self._width = width
        self._lock = threading.Lock()
        self._colors: dict[str, str] = {}

    def _prefix(self, name: str) -> str:
        label = f"{name:<{self._width}}|"
        if not self._color:
            return label
        color = self._colors.setdefault(name, _COLORS[len(self._colors) % len(_COLORS)])
        return f"\x1b[{color}m{label}\x1b[0m"

    def line(self, name: str, text: str) -> None:
        with self._lock:
            self._stream.write(f"{self._prefix(name)} {compact(text.rstrip())}\n")
            self._stream.flush()

    def block(self, text: str) -> None:
        with self._lock:
            self._stream.write(text.rstrip() + "\n")
            self._stream.flush()

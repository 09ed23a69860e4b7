"""Graceful stop for long-running commands (worker, notifier, stand-ins, net dispatcher)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable


def on_stop_signals(callback: Callable[[], object]) -> None:
    """Call `callback` in the running loop on SIGINT or SIGTERM (where the platform allows)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, callback)

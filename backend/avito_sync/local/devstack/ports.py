"""Loopback ports of the dev stack: free before we start, and served by our own child after.

An answer on a port proves nothing by itself (another service may answer `/readyz` too), so a
child counts as ready only when the listening socket on its port is one of its own file
descriptors (Linux `/proc`).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Mapping
from pathlib import Path

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp


def is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could bind the port now (SO_REUSEADDR, as uvicorn and Postgres do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def taken(ports: Mapping[str, int]) -> list[str]:
    """One line per port already in use, naming the variable that moves it."""
    return [
        f"port {port} ({name}) is already in use: stop what listens there or set {name}"
        for name, port in ports.items()
        if not is_free(port)
    ]


def parse_listeners(table: str, port: int) -> set[str]:
    """Socket inodes listening on `port` in a /proc/net/tcp{,6} table."""
    inodes = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        local, state, inode = fields[1], fields[3], fields[9]
        if state == _LISTEN and local.rsplit(":", 1)[-1] == f"{port:04X}":
            inodes.add(inode)
    return inodes


def listener_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            inodes |= parse_listeners(Path(table).read_text(), port)
    return inodes


def owns_listener(pid: int, port: int) -> bool:
    """Whether process `pid` holds the socket listening on `port`."""
    wanted = {f"socket:[{inode}]" for inode in listener_inodes(port)}
    if not wanted:
        return False
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        entries = list(fd_dir.iterdir())
    except OSError:
        return False
    for entry in entries:
        with contextlib.suppress(OSError):
            if os.readlink(entry) in wanted:
                return True
    return False

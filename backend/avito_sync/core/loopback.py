"""Whether a host or URL stays on this machine: local-only parts (the net dispatcher, the
Realtime stand-in, plain-http webhooks) refuse anything else."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback address (IPv6 with or without brackets)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """True for http(s) URLs whose host is localhost or a loopback address."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host) and is_loopback_host(host or "")

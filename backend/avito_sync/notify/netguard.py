"""Outbound URLs chosen by hosts (webhooks, push endpoints) must never reach our own network.

Three steps, each closing a known bypass (issue #10.5):
1. `check_url` (pure): https only (plain http only for loopback hosts an operator allows in
   dev), no credentials, and a canonical host: a dotted-quad IPv4 with no leading zeros, a
   bracketed IPv6, or a DNS name of at least two labels without a trailing dot. Every other
   numeric form (`2130706433`, `0`, `127.1`, `0x7f000001`, `0177.0.0.1`) is refused, because
   resolvers and HTTP stacks read them as addresses while naive checks read them as names.
2. `resolve` at send time: every address the name resolves to must be global; a name that
   resolves to loopback, private, link-local (metadata) or reserved space is refused.
3. `pinned` request: the connection goes to the address that was checked (no second lookup, so
   DNS rebinding cannot swap it), with the original Host header and TLS SNI / certificate
   verification against the original name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

MAX_URL_CHARS = 2000
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrlError(Exception):
    """The URL may not be called. `reason` is ours, short and safe to show and store."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable  # only "does not resolve" may be a passing DNS failure


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # lower-case name or address literal without brackets
    port: int
    dev: bool  # an operator-allowed loopback host: no global-address rule


def _address(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_global(address: IpAddress) -> bool:
    """Global unicast only; an IPv4-mapped IPv6 address is judged by its IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def canonical_host(host: str) -> str:
    """The host if it is canonical (see module doc); raises `UnsafeUrlError` otherwise."""
    if not host or not host.isascii():
        raise UnsafeUrlError("host must be an ASCII name or address")
    host = host.lower()
    if host.startswith("[") and host.endswith("]"):
        inner = host[1:-1]
        if "%" in inner or not isinstance(_address(inner), ipaddress.IPv6Address):
            raise UnsafeUrlError("malformed IPv6 address")
        return inner
    if host.endswith("."):
        raise UnsafeUrlError("host must not end with a dot")
    labels = host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        # The WHATWG URL standard reads a host whose last label is a number as IPv4; accept
        # only the one canonical spelling of it.
        address = _address(host)
        if len(labels) != 4 or not isinstance(address, ipaddress.IPv4Address):
            raise UnsafeUrlError("numeric host must be a dotted-quad IPv4 address")
        if str(address) != host:
            raise UnsafeUrlError("numeric host must be a dotted-quad IPv4 address")
        return host
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UnsafeUrlError("malformed host name")
    if len(labels) < 2 or host.endswith(_LOCAL_SUFFIXES):
        raise UnsafeUrlError("local host names are not allowed")
    return host


def check_url(url: str, http_hosts: frozenset[str]) -> Target:
    """Syntax and policy checks that need no network (used when a channel is added, too)."""
    if len(url) > MAX_URL_CHARS or any(c.isspace() or ord(c) < 32 for c in url):
        raise UnsafeUrlError("malformed url")
    try:
        parts = urlsplit(url)
        port = parts.port
        raw_host = parts.netloc.rpartition("@")[2]
    except ValueError:
        raise UnsafeUrlError("malformed url") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeUrlError("url must not contain credentials")
    if raw_host.startswith("["):
        raw_host = raw_host[: raw_host.find("]") + 1]
    elif ":" in raw_host:
        raw_host = raw_host.rpartition(":")[0]
    dev = raw_host.lower() in http_hosts
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not dev):
        raise UnsafeUrlError("only https urls are allowed")
    if port == 0:
        raise UnsafeUrlError("malformed url")
    host = raw_host.lower().strip("[]") if dev else canonical_host(raw_host)
    if not dev:
        address = _address(host)
        if address is not None and not is_global(address):
            raise UnsafeUrlError("local and private addresses are not allowed")
    default = 443 if parts.scheme == "https" else 80
    return Target(url, parts.scheme, host, port or default, dev)


async def resolve(target: Target) -> list[IpAddress]:
    """Every address of the target; refused unless each is global (dev hosts: loopback)."""
    literal = _address(target.host)
    if literal is not None:
        addresses: list[IpAddress] = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.host, target.port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError):
            raise UnsafeUrlError("host does not resolve", retryable=True) from None
        addresses = []
        for info in infos:
            address = _address(str(info[4][0]).split("%")[0])
            if address is not None and address not in addresses:
                addresses.append(address)
        if not addresses:
            raise UnsafeUrlError("host does not resolve")
    allowed = (lambda a: a.is_loopback) if target.dev else is_global
    if not all(allowed(a) for a in addresses):
        raise UnsafeUrlError("host resolves to a local or private address")
    return addresses


def pinned(
    client: httpx.AsyncClient,
    target: Target,
    address: IpAddress,
    *,
    content: bytes,
    headers: dict[str, str],
) -> httpx.Request:
    """A POST to `address` that still speaks to `target.host` (Host header, SNI, cert check)."""
    parts = urlsplit(target.url)
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{target.port}"
    url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    default = 443 if target.scheme == "https" else 80
    name = f"[{target.host}]" if ":" in target.host else target.host
    host_header = name if target.port == default else f"{name}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return client.build_request(
        "POST",
        url,
        content=content,
        headers={**headers, "Host": host_header},
        extensions=extensions,
    )


def guarded_client(timeout: float) -> httpx.AsyncClient:
    """No connection reuse (a pooled connection is keyed by address, not by the name it was
    verified for), no redirects, no proxies from the environment."""
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


async def post(
    client: httpx.AsyncClient,
    url: str,
    http_hosts: frozenset[str],
    *,
    content: bytes,
    headers: dict[str, str],
) -> httpx.Response:
    """Check, resolve, pin, send. Raises `UnsafeUrlError` before any connection is made."""
    target = check_url(url, http_hosts)
    addresses = await resolve(target)
    request = pinned(client, target, addresses[0], content=content, headers=headers)
    return await client.send(request, follow_redirects=False)

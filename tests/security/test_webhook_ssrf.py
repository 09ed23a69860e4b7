"""Issue #10.5 replayed: webhook URLs that reached loopback. Each attack is aimed at a real
listener on 127.0.0.1 that counts connections; the fix holds when nothing connects.

Names are resolved by the event loop's resolver; the DNS answers an attacker controls are
replayed by giving that resolver the attacker's answers (there is no DNS server offline).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from avito_sync.notify import netguard
from avito_sync.notify.channels.base import DeliveryError, Message
from avito_sync.notify.channels.webhook import WebhookSender
from avito_sync.notify.outbox import Delivery
from avito_sync.notify.render import Rendered
from tests.support.net import serving


@dataclass
class Listener:
    """Counts TCP connections (and the TLS server name, when speaking TLS) on one address."""

    host: str = "127.0.0.1"
    tls: ssl.SSLContext | None = None
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    port: int = 0

    @contextmanager
    def serve(self, port: int = 0) -> Iterator[Listener]:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen()
        sock.settimeout(0.2)
        self.port = sock.getsockname()[1]
        stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                try:
                    conn, _ = sock.accept()
                except TimeoutError:
                    continue
                self.connections += 1
                conn.settimeout(2)
                try:
                    if self.tls is not None:
                        with self.tls.wrap_socket(conn, server_side=True):
                            pass
                    else:
                        data = conn.recv(65536)
                        self.requests.append(data)
                        conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                except (OSError, ssl.SSLError):
                    pass
                finally:
                    conn.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=5)
            sock.close()


@pytest.fixture
def loopback() -> Iterator[Listener]:
    with Listener().serve() as listener:
        yield listener


class Store:
    async def webhook_secret(self, channel_id: uuid.UUID) -> str | None:
        return "s" * 40

    async def push_subscription(self, channel_id: uuid.UUID) -> None:
        return None

    async def drop_push_subscription(self, subscription_id: uuid.UUID) -> None:
        return None


def message(url: str) -> Message:
    delivery = Delivery(
        delivery_id=1,
        attempt=1,
        event_id=1,
        event_kind="booking_created",
        event_payload={},
        event_created_at=dt.datetime.now(dt.UTC),
        property_id=None,
        property_name=None,
        integration_id=None,
        booking_id=None,
        channel_id=uuid.uuid4(),
        channel_kind="webhook",
        channel_config={"url": url},
        details={},
    )
    return Message(delivery, Rendered("t", ("x",)))


async def send(url: str, hosts: frozenset[str] = frozenset(), seconds: float = 2.0) -> None:
    async with netguard.guarded_client(seconds) as client:
        await WebhookSender(client, Store(), hosts).send(message(url))


class Resolver:
    """The attacker's DNS: answers in turn (the last one repeats), counting questions."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.questions: list[str] = []

    async def __call__(self, host: Any, port: Any, **_: Any) -> list[Any]:
        self.questions.append(str(host))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port) if ":" not in a else (a, port, 0, 0),
            )
            for a in answer
        ]


@pytest.fixture
async def dns(monkeypatch: pytest.MonkeyPatch) -> Any:
    loop = asyncio.get_running_loop()

    def install(resolver: Resolver) -> Resolver:
        monkeypatch.setattr(loop, "getaddrinfo", resolver)
        return resolver

    return install


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",
        "0",
        "127.1",
        "0x7f000001",
        "0177.0.0.1",
        "127.0.0.1",
        "localhost",
        "localhost.",
    ],
)
async def test_numeric_and_local_hosts_never_connect(loopback: Listener, host: str) -> None:
    with pytest.raises(DeliveryError) as refused:
        await send(f"https://{host}:{loopback.port}/hook")
    assert not refused.value.retryable
    assert loopback.connections == 0


@pytest.mark.parametrize(
    "answer",
    [["127.0.0.1"], ["10.0.0.7"], ["169.254.169.254"], ["93.184.216.34", "127.0.0.1"], ["::1"]],
)
async def test_a_name_resolving_to_any_inside_address_never_connects(
    loopback: Listener, dns: Any, answer: list[str]
) -> None:
    resolver = dns(Resolver(answer))
    with pytest.raises(DeliveryError, match="resolves to a local or private address"):
        await send(f"https://hooks.attacker.example:{loopback.port}/hook")
    assert resolver.questions == ["hooks.attacker.example"]
    assert loopback.connections == 0


async def test_dns_rebinding_cannot_swap_the_checked_address(loopback: Listener, dns: Any) -> None:
    """First answer public, every later one loopback: only one question is asked and the
    connection goes to the public address (unreachable here), never to the loopback one."""
    resolver = dns(Resolver(["93.184.216.34"], ["127.0.0.1"]))
    with pytest.raises(DeliveryError) as failed:
        await send(f"https://rebind.attacker.example:{loopback.port}/hook", seconds=1.0)
    assert failed.value.reason.startswith("webhook: ")
    assert resolver.questions == ["rebind.attacker.example"]
    assert loopback.connections == 0


async def test_the_connection_goes_to_the_checked_address_with_the_original_host(
    dns: Any,
) -> None:
    """Dev hosts skip the global rule, which lets the pinning itself be watched: the resolver
    answers 127.0.0.1 first and 127.0.0.2 afterwards; only 127.0.0.1 is ever contacted."""
    with Listener("127.0.0.1").serve() as checked:
        swapped = Listener("127.0.0.2")
        with swapped.serve(checked.port):
            dns(Resolver(["127.0.0.1"], ["127.0.0.2"]))
            await send(f"http://devhooks.test:{checked.port}/hook", frozenset({"devhooks.test"}))
        assert swapped.connections == 0
    assert checked.connections == 1
    request = checked.requests[0].decode("latin-1")
    assert request.startswith("POST /hook HTTP/1.1")
    assert f"\r\nhost: devhooks.test:{checked.port}\r\n" in request.lower()


def _self_signed(tmp: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "c.pem", tmp / "k.pem")
    return context


async def test_tls_speaks_the_original_name_and_still_verifies_the_certificate(
    dns: Any, tmp_path: Path
) -> None:
    context = _self_signed(tmp_path)
    listener = Listener(tls=context)
    context.sni_callback = lambda _sock, name, _ctx: listener.server_names.append(name)
    with listener.serve() as server:
        dns(Resolver(["127.0.0.1"]))
        with pytest.raises(DeliveryError, match="webhook: ConnectError"):
            await send(f"https://hooks.dev.test:{server.port}/hook", frozenset({"hooks.dev.test"}))
    assert listener.server_names == ["hooks.dev.test"]


async def test_redirects_are_never_followed() -> None:
    with Listener().serve() as inner:
        location = f"http://127.0.0.1:{inner.port}/inside"

        class Redirect(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(307)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        with serving(Redirect) as front, pytest.raises(DeliveryError, match="HTTP 307"):
            await send(f"{front}/hook", frozenset({"127.0.0.1"}))
    assert inner.connections == 0

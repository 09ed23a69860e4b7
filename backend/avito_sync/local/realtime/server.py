"""The websocket side of the stand-in: Phoenix channels over websockets, one hub for changes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from avito_sync.core.logs import get_logger
from avito_sync.core.loopback import is_loopback_host
from avito_sync.local.realtime import protocol
from avito_sync.local.realtime.decoding import LogicalFeed
from avito_sync.local.realtime.protocol import Binding, ProtocolError

log = get_logger(__name__)

VSN = "1.0.0"
OUTBOX_LIMIT = 10_000


class _Client:
    """One websocket: its joined topics and an outgoing queue, so a slow client never stalls
    the feed (a client that falls too far behind is disconnected)."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.topics: dict[str, list[Binding]] = {}
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(OUTBOX_LIMIT)
        # Held so the task is not garbage-collected mid-close; one close per client.
        self.closing: asyncio.Task[None] | None = None

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.outbox.put_nowait(message)
        except asyncio.QueueFull:
            if self.closing is None:
                log.warning("realtime_local_client_too_slow")
                self.closing = asyncio.get_running_loop().create_task(
                    self.ws.close(1011, "too slow")
                )

    async def write(self) -> None:
        while True:
            message = await self.outbox.get()
            await self.ws.send(json.dumps(message, default=str))


class RealtimeLocal:
    def __init__(self, feed: LogicalFeed) -> None:
        self._feed = feed
        self._clients: set[_Client] = set()
        self.bound_port = 0

    async def publish(self, data: dict[str, Any]) -> None:
        for client in list(self._clients):
            for topic, bindings in client.topics.items():
                ids = [b.id for b in bindings if b.matches(data)]
                if ids:
                    client.send(protocol.changes(topic, ids, data))

    def _check_request(self, _conn: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if not parts.path.endswith("/websocket"):
            return _conn.respond(HTTPStatus.NOT_FOUND, "not found\n")
        vsn = parse_qs(parts.query).get("vsn", [VSN])[0]
        if vsn != VSN:
            return _conn.respond(HTTPStatus.BAD_REQUEST, f"unsupported vsn {vsn}\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        client = _Client(ws)
        self._clients.add(client)
        writer = asyncio.create_task(client.write())
        try:
            async for raw in ws:
                self._on_message(client, raw)
        except ConnectionClosed:
            pass
        finally:
            self._clients.discard(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    def _on_message(self, client: _Client, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
            event, topic = message["event"], message["topic"]
            ref, payload = message.get("ref"), message.get("payload") or {}
        except (ValueError, KeyError, TypeError):
            log.warning("realtime_local_bad_frame")
            return
        if not isinstance(payload, Mapping):
            payload = {}
        if topic == "phoenix" and event == "heartbeat":
            client.send(protocol.reply("phoenix", ref, {}))
        elif event == "phx_join":
            self._join(client, topic, ref, payload)
        elif event == "phx_leave":
            client.topics.pop(topic, None)
            client.send(protocol.reply(topic, ref, {}))
            client.send(protocol.frame("phx_close", topic, {}, ref))
        elif event == "access_token":
            return
        else:
            reason = f"{event} is not supported by realtime-local"
            client.send(protocol.reply(topic, ref, {"reason": reason}, ok=False))

    def _join(
        self, client: _Client, topic: str, ref: str | None, payload: Mapping[str, Any]
    ) -> None:
        try:
            bindings = protocol.parse_bindings(payload)
        except ProtocolError as exc:
            client.send(protocol.reply(topic, ref, {"reason": str(exc)}, ok=False))
            return
        client.topics[topic] = bindings
        client.send(protocol.join_reply(topic, ref, bindings))
        if bindings:
            client.send(protocol.subscribed(topic))
        log.info("realtime_local_joined", topic=topic, bindings=len(bindings))

    async def serve(self, host: str, port: int) -> Server:
        """Start listening (the feed must be started separately); returns the server."""
        if not is_loopback_host(host):
            raise ValueError(f"realtime-local listens on loopback only, not {host!r}")
        return await serve(self._handle, host, port, process_request=self._check_request)

    async def run(self, host: str, port: int, ready: asyncio.Event | None = None) -> None:
        feed = asyncio.create_task(self._feed.run(self.publish))
        try:
            await self._feed.ready.wait()
            server = await self.serve(host, port)
            async with server:
                self.bound_port = int(next(iter(server.sockets)).getsockname()[1])
                log.info("realtime_local_ready", url=f"ws://{host}:{self.bound_port}/realtime/v1")
                if ready is not None:
                    ready.set()
                await server.serve_forever()
        finally:
            feed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feed

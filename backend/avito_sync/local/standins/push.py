"""LOCAL ONLY: a Web Push service stand-in that checks and decrypts what it receives.

- `POST /_push/subscriptions` creates a browser-side subscription: a fresh P-256 key pair and
  auth secret; answers `{"id", "endpoint", "keys": {"p256dh", "auth"}}` as a browser's
  `PushSubscription.toJSON()` would (the app stores exactly these in `push_subscriptions`).
- `POST /push/{id}` is the endpoint: it requires `Content-Encoding: aes128gcm`, a VAPID
  `Authorization: vapid t=<JWT>, k=<key>` whose ES256 signature verifies with `k`, `aud` equal
  to this origin and `exp` in the future, and a body that decrypts (RFC 8291) with the
  subscription's keys; then 201. Unknown or gone subscriptions get 404 / 410.
- `POST /_push/subscriptions/{id}/gone` makes its endpoint answer 410 from then on.
- `GET /_push/subscriptions/{id}/messages`, `GET /_push/messages`: decrypted payloads.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscription:
    id: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    gone: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                Encoding.X962, PublicFormat.UncompressedPoint
            )
        )


@dataclass
class PushState:
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _vapid_ok(header: str, origin: str) -> bool:
    """`vapid t=<jwt>, k=<base64url P-256 point>` with a valid ES256 signature for `origin`."""
    if not header.lower().startswith("vapid "):
        return False
    parts = dict(item.strip().split("=", 1) for item in header[6:].split(",") if "=" in item)
    token, key = parts.get("t"), parts.get("k")
    if not token or not key:
        return False
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        claims = jwt.decode(token, public, algorithms=["ES256"], audience=origin)
    except (ValueError, jwt.PyJWTError):
        return False
    return isinstance(claims.get("sub"), str) and claims["exp"] > time.time()


def create_app(
    state: PushState,
    base_url: Callable[[], str],
    on_message: Callable[[dict[str, Any]], None] | None = None,
) -> Starlette:
    async def subscribe(_request: Request) -> JSONResponse:
        sub = Subscription(
            uuid.uuid4().hex, ec.generate_private_key(ec.SECP256R1()), uuid.uuid4().bytes
        )
        with state.lock:
            state.subscriptions[sub.id] = sub
        return JSONResponse(
            {
                "id": sub.id,
                "endpoint": f"{base_url()}/push/{sub.id}",
                "keys": {"p256dh": sub.p256dh, "auth": b64url(sub.auth)},
            },
            status_code=201,
        )

    async def push(request: Request) -> Response:
        with state.lock:
            sub = state.subscriptions.get(request.path_params["id"])
        if sub is None:
            return Response(status_code=404)
        if sub.gone:
            return Response(status_code=410)
        if request.headers.get("content-encoding") != "aes128gcm":
            return Response("content-encoding must be aes128gcm", status_code=415)
        if not _vapid_ok(request.headers.get("authorization", ""), base_url()):
            return Response("bad VAPID authorization", status_code=401)
        if not request.headers.get("ttl", "").isdigit():
            return Response("TTL header required", status_code=400)
        try:
            plain = http_ece.decrypt(
                await request.body(),
                private_key=sub.private_key,
                auth_secret=sub.auth,
                version="aes128gcm",
            )
            message = json.loads(plain)
        except Exception:
            return Response("cannot decrypt", status_code=400)
        with state.lock:
            sub.messages.append(message)
        if on_message is not None:
            on_message(message)
        return Response(status_code=201)

    async def gone(request: Request) -> JSONResponse:
        with state.lock:
            sub = state.subscriptions.get(request.path_params["id"])
            if sub is None:
                return JSONResponse({"error": "unknown subscription"}, status_code=404)
            sub.gone = True
        return JSONResponse({"ok": True})

    async def messages(request: Request) -> JSONResponse:
        with state.lock:
            sub = state.subscriptions.get(request.path_params["id"])
            return JSONResponse([] if sub is None else list(sub.messages))

    async def all_messages(_request: Request) -> JSONResponse:
        with state.lock:
            return JSONResponse([m for s in state.subscriptions.values() for m in s.messages])

    return Starlette(
        routes=[
            Route("/_push/subscriptions", subscribe, methods=["POST"]),
            Route("/_push/subscriptions/{id}/gone", gone, methods=["POST"]),
            Route("/_push/subscriptions/{id}/messages", messages, methods=["GET"]),
            Route("/_push/messages", all_messages, methods=["GET"]),
            Route("/push/{id}", push, methods=["POST"]),
        ]
    )

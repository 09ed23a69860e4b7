"""Signing keys and a JWKS served by a real local HTTP server, as Supabase Auth would."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.support.net import serving

ISSUER_PATH = "/auth/v1"
HS_SECRET = "legacy-jwt-secret-with-at-least-32-characters!!"


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any

    def public_jwk(self) -> dict[str, Any]:
        algo = jwt.algorithms.ECAlgorithm if self.alg == "ES256" else jwt.algorithms.RSAAlgorithm
        jwk: dict[str, Any] = json.loads(algo.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}


def new_es256(kid: str | None = None) -> SigningKey:
    return SigningKey(kid or uuid.uuid4().hex, "ES256", ec.generate_private_key(ec.SECP256R1()))


def new_rs256(kid: str | None = None) -> SigningKey:
    return SigningKey(kid or uuid.uuid4().hex, "RS256", rsa.generate_private_key(65537, 2048))


@dataclass
class JwksServer:
    base_url: str
    keys: list[SigningKey] = field(default_factory=list)
    hits: int = 0

    @property
    def issuer(self) -> str:
        return self.base_url + ISSUER_PATH

    @property
    def jwks_url(self) -> str:
        return self.base_url + ISSUER_PATH + "/.well-known/jwks.json"


@contextmanager
def serve_jwks(keys: list[SigningKey]) -> Iterator[JwksServer]:
    state = JwksServer(base_url="", keys=list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != ISSUER_PATH + "/.well-known/jwks.json":
                self.send_error(404)
                return
            state.hits += 1
            body = json.dumps({"keys": [k.public_jwk() for k in state.keys]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as base_url:
        state.base_url = base_url
        yield state


def claims(issuer: str, user_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": issuer,
        "aud": "authenticated",
        "sub": str(user_id),
        "role": "authenticated",
        "email": "host@example.com",
        "iat": now,
        "exp": now + 3600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: SigningKey, payload: dict[str, Any], **header: Any) -> str:
    return jwt.encode(payload, key.private, algorithm=key.alg, headers={"kid": key.kid, **header})


def sign_hs256(payload: dict[str, Any], secret: str = HS_SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")

"""JWT verification against a JWKS served over real HTTP: every way a token can be wrong."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from avito_sync.api.auth import JwtVerifier, bearer_token
from avito_sync.api.errors import ApiError, ErrorCode
from avito_sync.api.jwks import JwksCache
from tests.api.jwt_tools import (
    HS_SECRET,
    JwksServer,
    SigningKey,
    claims,
    new_es256,
    new_rs256,
    serve_jwks,
    sign,
    sign_hs256,
)
from tests.support.net import serving

USER = uuid.UUID("6f1c1c2e-8d43-4a53-9d0a-1f3c2b8e9a01")


@pytest.fixture(scope="module")
def es_key() -> SigningKey:
    return new_es256()


@pytest.fixture(scope="module")
def rs_key() -> SigningKey:
    return new_rs256()


@pytest.fixture
def jwks(es_key: SigningKey, rs_key: SigningKey) -> Iterator[JwksServer]:
    with serve_jwks([es_key, rs_key]) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def verifier(server: JwksServer, http: httpx.AsyncClient, secret: str | None = None) -> JwtVerifier:
    return JwtVerifier(
        jwks=JwksCache(server.jwks_url, http, ttl_seconds=600, refetch_cooldown_seconds=30),
        issuer=server.issuer,
        hs256_secret=secret,
    )


async def rejected(v: JwtVerifier, token: str) -> ErrorCode:
    with pytest.raises(ApiError) as caught:
        await v.verify(token)
    return caught.value.code


def unsigned(header: dict[str, object], payload: dict[str, object]) -> str:
    part = [
        base64.urlsafe_b64encode(json.dumps(x).encode()).rstrip(b"=").decode()
        for x in (header, payload)
    ]
    return f"{part[0]}.{part[1]}."


async def test_es256_and_rs256_tokens_from_jwks_are_accepted(
    jwks: JwksServer, http: httpx.AsyncClient, es_key: SigningKey, rs_key: SigningKey
) -> None:
    v = verifier(jwks, http)
    for key in (es_key, rs_key):
        user = await v.verify(sign(key, claims(jwks.issuer, USER)))
        assert user.id == USER
        assert user.email == "host@example.com"
    assert jwks.hits == 1  # cached after the first fetch


async def test_legacy_hs256_only_with_the_configured_secret(
    jwks: JwksServer, http: httpx.AsyncClient
) -> None:
    token = sign_hs256(claims(jwks.issuer, USER))
    assert (await verifier(jwks, http, HS_SECRET).verify(token)).id == USER
    assert await rejected(verifier(jwks, http, None), token) == ErrorCode.INVALID_TOKEN
    other = "another-secret-that-is-long-enough-for-hs256!!"
    assert await rejected(verifier(jwks, http, other), token) == ErrorCode.INVALID_TOKEN


@pytest.mark.parametrize(
    ("override", "why"),
    [
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"aud": "anon"}, "wrong audience"),
        ({"aud": None}, "no audience"),
        ({"iss": "https://evil.example/auth/v1"}, "wrong issuer"),
        ({"exp": None}, "no expiry"),
        ({"sub": "not-a-uuid"}, "subject is not a user id"),
        ({"sub": None}, "no subject"),
    ],
)
async def test_bad_claims_are_invalid_tokens(
    jwks: JwksServer,
    http: httpx.AsyncClient,
    es_key: SigningKey,
    override: dict[str, object],
    why: str,
) -> None:
    token = sign(es_key, claims(jwks.issuer, USER, **override))
    assert await rejected(verifier(jwks, http), token) == ErrorCode.INVALID_TOKEN, why


async def test_non_authenticated_role_is_forbidden(
    jwks: JwksServer, http: httpx.AsyncClient, es_key: SigningKey
) -> None:
    for role in ("anon", "service_role", None):
        token = sign(es_key, claims(jwks.issuer, USER, role=role))
        assert await rejected(verifier(jwks, http), token) == ErrorCode.FORBIDDEN_ROLE


async def test_alg_none_is_rejected(
    jwks: JwksServer, http: httpx.AsyncClient, es_key: SigningKey
) -> None:
    payload = claims(jwks.issuer, USER)
    for alg in ("none", "None", "NONE"):
        token = unsigned({"alg": alg, "typ": "JWT", "kid": es_key.kid}, payload)
        assert await rejected(verifier(jwks, http, HS_SECRET), token) == ErrorCode.INVALID_TOKEN


async def test_hs256_signed_with_the_public_key_is_rejected(
    jwks: JwksServer, http: httpx.AsyncClient, rs_key: SigningKey
) -> None:
    """Key confusion: the attacker uses the published RSA key as an HMAC secret."""
    pem = rs_key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    payload = claims(jwks.issuer, USER)
    header = {"alg": "HS256", "typ": "JWT", "kid": rs_key.kid}
    signing_input = ".".join(
        base64.urlsafe_b64encode(json.dumps(x).encode()).rstrip(b"=").decode()
        for x in (header, payload)
    )
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert await rejected(verifier(jwks, http, None), token) == ErrorCode.INVALID_TOKEN
    assert await rejected(verifier(jwks, http, HS_SECRET), token) == ErrorCode.INVALID_TOKEN


async def test_header_alg_must_match_the_key(
    jwks: JwksServer, http: httpx.AsyncClient, es_key: SigningKey, rs_key: SigningKey
) -> None:
    # An RS256 token that claims the ES256 key's kid.
    token = jwt.encode(
        claims(jwks.issuer, USER), rs_key.private, algorithm="RS256", headers={"kid": es_key.kid}
    )
    assert await rejected(verifier(jwks, http), token) == ErrorCode.INVALID_TOKEN


async def test_wrong_signature_is_rejected(
    jwks: JwksServer, http: httpx.AsyncClient, es_key: SigningKey
) -> None:
    impostor = new_es256(kid=es_key.kid)
    token = sign(impostor, claims(jwks.issuer, USER))
    assert await rejected(verifier(jwks, http), token) == ErrorCode.INVALID_TOKEN
    good = sign(es_key, claims(jwks.issuer, USER))
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    assert await rejected(verifier(jwks, http), tampered) == ErrorCode.INVALID_TOKEN


async def test_unknown_kid_refetches_the_jwks_once(
    jwks: JwksServer, http: httpx.AsyncClient, es_key: SigningKey
) -> None:
    v = verifier(jwks, http)
    await v.verify(sign(es_key, claims(jwks.issuer, USER)))
    assert jwks.hits == 1
    rotated = new_es256()
    jwks.keys.append(rotated)  # the project rotates its signing key
    assert (await v.verify(sign(rotated, claims(jwks.issuer, USER)))).id == USER
    assert jwks.hits == 2
    # Random kids cannot force a fetch per request: one refetch per cooldown.
    for _ in range(3):
        stranger = new_es256()
        assert await rejected(v, sign(stranger, claims(jwks.issuer, USER))) == (
            ErrorCode.INVALID_TOKEN
        )
    assert jwks.hits == 2


async def test_garbage_and_missing_kid_are_invalid(
    jwks: JwksServer, http: httpx.AsyncClient, es_key: SigningKey
) -> None:
    v = verifier(jwks, http)
    assert await rejected(v, "not.a.jwt") == ErrorCode.INVALID_TOKEN
    assert await rejected(v, "garbage") == ErrorCode.INVALID_TOKEN
    no_kid = jwt.encode(claims(jwks.issuer, USER), es_key.private, algorithm="ES256")
    assert await rejected(v, no_kid) == ErrorCode.INVALID_TOKEN


async def test_unreachable_jwks_means_invalid_token_not_a_crash(
    http: httpx.AsyncClient, es_key: SigningKey
) -> None:
    with serve_jwks([es_key]) as gone:
        url, issuer = gone.jwks_url, gone.issuer
    v = JwtVerifier(jwks=JwksCache(url, http), issuer=issuer, hs256_secret=None)
    assert await rejected(v, sign(es_key, claims(issuer, USER))) == ErrorCode.INVALID_TOKEN


@pytest.mark.parametrize("document", [{"keys": 5}, {"keys": "abc"}, [1, 2], "keys"])
async def test_a_malformed_key_set_means_invalid_token_not_a_crash(
    http: httpx.AsyncClient, es_key: SigningKey, document: object
) -> None:
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as base_url:
        issuer = base_url + "/auth/v1"
        v = JwtVerifier(jwks=JwksCache(base_url + "/jwks", http), issuer=issuer, hs256_secret=None)
        assert await rejected(v, sign(es_key, claims(issuer, USER))) == ErrorCode.INVALID_TOKEN


def test_bearer_header_parsing() -> None:
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("bearer  abc") == "abc"
    for bad in (None, "", "Basic abc", "Bearer", "Bearer   "):
        with pytest.raises(ApiError) as caught:
            bearer_token(bad)
        assert caught.value.code == ErrorCode.AUTH_REQUIRED

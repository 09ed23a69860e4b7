"""Verification of the Supabase user JWT on every user-facing endpoint.

The algorithm comes from the key, never from the token header: an asymmetric key found
by `kid` verifies only with its own algorithm, and HS256 is accepted only when the
legacy shared secret is configured. That rules out `alg: none` and key confusion.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from avito_sync.api.errors import ApiError, ErrorCode
from avito_sync.api.jwks import JwksCache, JwksUnavailableError
from avito_sync.core.logs import get_logger

log = get_logger(__name__)

AUDIENCE = "authenticated"
REQUIRED_CLAIMS = ["exp", "sub", "aud", "iss"]


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str | None


class JwtVerifier:
    def __init__(
        self, *, jwks: JwksCache, issuer: str, hs256_secret: str | None, leeway: int = 10
    ) -> None:
        self._jwks = jwks
        self._issuer = issuer
        self._secret = hs256_secret
        self._leeway = leeway

    async def verify(self, token: str) -> User:
        claims = await self._claims(token)
        if claims.get("role") != AUDIENCE:
            raise ApiError(ErrorCode.FORBIDDEN_ROLE)
        try:
            user_id = uuid.UUID(str(claims["sub"]))
        except ValueError as error:
            raise ApiError(ErrorCode.INVALID_TOKEN) from error
        email = claims.get("email")
        return User(id=user_id, email=email if isinstance(email, str) else None)

    async def _claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise ApiError(ErrorCode.INVALID_TOKEN) from error
        key, algorithm = await self._key_for(header)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=AUDIENCE,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as error:
            log.info("jwt_rejected", reason=type(error).__name__)
            raise ApiError(ErrorCode.INVALID_TOKEN) from error
        return claims

    async def _key_for(self, header: dict[str, Any]) -> tuple[Any, str]:
        alg = header.get("alg")
        if alg == "HS256":
            if self._secret is None:
                raise ApiError(ErrorCode.INVALID_TOKEN)
            return self._secret, "HS256"
        kid = header.get("kid")
        if not isinstance(kid, str) or alg not in {"ES256", "RS256"}:
            raise ApiError(ErrorCode.INVALID_TOKEN)
        try:
            found = await self._jwks.key(kid)
        except JwksUnavailableError as error:
            raise ApiError(ErrorCode.INVALID_TOKEN) from error
        if found is None or found.algorithm_name != alg:
            raise ApiError(ErrorCode.INVALID_TOKEN)
        return found.key, found.algorithm_name


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise ApiError(ErrorCode.AUTH_REQUIRED)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(ErrorCode.AUTH_REQUIRED)
    return token.strip()

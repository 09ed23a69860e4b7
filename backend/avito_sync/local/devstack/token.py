"""Dev user JWTs, signed with the dev stack's own HS256 secret (never a deployment's)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping

import jwt

AUDIENCE = "authenticated"


def issuer(dev_env: Mapping[str, str]) -> str:
    """What the service expects: SUPABASE_JWT_ISSUER, else SUPABASE_URL + /auth/v1."""
    explicit = dev_env.get("SUPABASE_JWT_ISSUER", "").strip()
    return explicit or dev_env["SUPABASE_URL"].rstrip("/") + "/auth/v1"


def mint(
    dev_env: Mapping[str, str],
    user_id: uuid.UUID,
    *,
    email: str | None = None,
    ttl_seconds: int = 3600,
    now: float | None = None,
) -> str:
    """A token shaped like Supabase Auth's access token for an authenticated user."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, object] = {
        "iss": issuer(dev_env),
        "aud": AUDIENCE,
        "sub": str(user_id),
        "role": AUDIENCE,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "session_id": str(uuid.uuid4()),
    }
    if email:
        claims["email"] = email
    return jwt.encode(claims, dev_env["SUPABASE_JWT_SECRET"], algorithm="HS256")

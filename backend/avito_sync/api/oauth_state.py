"""Signed OAuth `state`: binds the Avito consent to one user, one property and one hour.

The token is `base64url(payload).base64url(HMAC-SHA256(payload))`. The signature stops
forgery and tampering; the database row keyed by the nonce's hash makes it single-use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

STATE_TTL = timedelta(hours=1)


class StateError(Exception):
    """The state is malformed, forged, expired or not the caller's."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" | "expired" | "wrong_user"


@dataclass(frozen=True)
class OAuthState:
    nonce: str
    user_id: uuid.UUID
    property_id: uuid.UUID
    expires_at: datetime

    @property
    def nonce_hash(self) -> str:
        return nonce_hash(self.nonce)


def nonce_hash(nonce: str) -> str:
    """What the database stores: the nonce itself never lands in a table."""
    return hashlib.sha256(nonce.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()


def issue_state(
    secret: str, user_id: uuid.UUID, property_id: uuid.UUID, now: datetime
) -> tuple[str, OAuthState]:
    state = OAuthState(
        nonce=secrets.token_urlsafe(24),
        user_id=user_id,
        property_id=property_id,
        expires_at=(now + STATE_TTL).replace(microsecond=0),
    )
    payload = json.dumps(
        {
            "n": state.nonce,
            "u": str(user_id),
            "p": str(property_id),
            "e": int(state.expires_at.timestamp()),
        },
        separators=(",", ":"),
    ).encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}", state


def verify_state(secret: str, token: str, now: datetime) -> OAuthState:
    """Check signature and expiry; the caller still checks the user and single use."""
    try:
        encoded_payload, encoded_mac = token.split(".")
        payload = _unb64(encoded_payload)
        mac = _unb64(encoded_mac)
    except ValueError as error:
        raise StateError("invalid") from error
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise StateError("invalid")
    try:
        data = json.loads(payload)
        state = OAuthState(
            nonce=str(data["n"]),
            user_id=uuid.UUID(str(data["u"])),
            property_id=uuid.UUID(str(data["p"])),
            expires_at=datetime.fromtimestamp(int(data["e"]), tz=UTC),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise StateError("invalid") from error
    if state.expires_at <= now:
        raise StateError("expired")
    return state

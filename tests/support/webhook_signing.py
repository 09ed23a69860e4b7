"""A receiver's check of the notifier's webhook signature: HMAC-SHA256 of "<timestamp>." and
the body, hex, as `sha256=<hex>` in X-Avito-Sync-Signature. Written out from the documented
scheme rather than with the service's `sign`, so that a change there is caught."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Protocol

SIGNATURE_HEADER = "X-Avito-Sync-Signature"
TIMESTAMP_HEADER = "X-Avito-Sync-Timestamp"


class SignedRequest(Protocol):
    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def body(self) -> bytes: ...


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value a sender holding `secret` puts on `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verifies(secret: str, request: SignedRequest) -> bool:
    """Whether `secret` verifies the request's signature, as the host's receiver checks it."""
    expected = signature(secret, request.headers[TIMESTAMP_HEADER], request.body)
    return hmac.compare_digest(request.headers[SIGNATURE_HEADER], expected)

"""Webhook channel: POST a signed JSON document to the URL in the channel's config.

Signature: `X-Avito-Sync-Signature: sha256=<hex>` where hex is HMAC-SHA256 with the
deployment's secret (env `AVITO_SYNC_NOTIFY_WEBHOOK_SECRET`) over `<timestamp>.<body>`, and
`X-Avito-Sync-Timestamp` is that Unix timestamp, so a receiver can reject replays. Delivery is
at least once: `X-Avito-Sync-Delivery` lets a receiver drop duplicates. Only https URLs are
called, except plain http on the loopback hosts an operator allows for development; local and
private addresses are refused (the URL is the host's choice). Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from avito_sync.notify.channels.base import DeliveryError, Message, retry_after_header

SIGNATURE_HEADER = "X-Avito-Sync-Signature"
TIMESTAMP_HEADER = "X-Avito-Sync-Timestamp"
DELIVERY_HEADER = "X-Avito-Sync-Delivery"
EVENT_HEADER = "X-Avito-Sync-Event"

# Payload fields a receiver may see: ids, dates and statuses (never guest details).
PUBLIC_FIELDS = (
    "avito_booking_id",
    "check_in",
    "check_out",
    "status",
    "avito_status",
    "previous_avito_status",
    "conflicting_booking_ids",
    "avito_account_id",
    "integration_ids",
    "attempts",
)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def checked_url(config: Mapping[str, Any], http_hosts: frozenset[str]) -> str:
    """The channel's URL if we may call it; otherwise a permanent delivery error."""
    url = config.get("url")
    if not isinstance(url, str) or len(url) > 2000:
        raise DeliveryError("webhook: config has no url", retryable=False)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port
    except ValueError:
        raise DeliveryError("webhook: malformed url", retryable=False) from None
    if not host or parts.username is not None or parts.password is not None:
        raise DeliveryError("webhook: url needs a host and no credentials", retryable=False)
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and host not in http_hosts):
        raise DeliveryError("webhook: only https urls are allowed", retryable=False)
    if host not in http_hosts and _internal(host):
        # A host picks the URL: without this the notifier would post into our own network.
        raise DeliveryError("webhook: local and private addresses are not allowed", retryable=False)
    return url


def _internal(host: str) -> bool:
    """Loopback, private, link-local and similar addresses, and local-only names. Names that
    resolve to such addresses are not caught here (that needs the resolver)."""
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_global
    except ValueError:
        return False


def document(message: Message) -> dict[str, Any]:
    d = message.delivery
    return {
        "delivery_id": d.delivery_id,
        "event_id": d.event_id,
        "kind": d.event_kind,
        "created_at": d.event_created_at.isoformat(),
        "property_id": None if d.property_id is None else str(d.property_id),
        "property_name": d.property_name,
        "integration_id": None if d.integration_id is None else str(d.integration_id),
        "booking_id": None if d.booking_id is None else str(d.booking_id),
        "data": {k: d.event_payload[k] for k in PUBLIC_FIELDS if k in d.event_payload},
        "text": message.text,
    }


class WebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        secret: SecretStr | None,
        http_hosts: frozenset[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._secret = secret
        self._http_hosts = http_hosts
        self._clock = clock

    async def send(self, message: Message) -> None:
        url = checked_url(message.delivery.channel_config, self._http_hosts)
        if self._secret is None:
            raise DeliveryError(
                "webhook: AVITO_SYNC_NOTIFY_WEBHOOK_SECRET is not set", retryable=True
            )
        body = json.dumps(document(message), ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json",
            EVENT_HEADER: message.delivery.event_kind,
            DELIVERY_HEADER: str(message.delivery.delivery_id),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret.get_secret_value(), timestamp, body),
        }
        try:
            response = await self._client.post(
                url, content=body, headers=headers, follow_redirects=False
            )
        except httpx.TimeoutException:
            raise DeliveryError("webhook: timeout", retryable=True) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}", retryable=True) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        # 410 Gone is the receiver saying "stop"; anything else may recover.
        raise DeliveryError(
            f"webhook: HTTP {status}",
            retryable=status != 410,
            retry_after=retry_after_header(response.headers.get("retry-after")),
        )

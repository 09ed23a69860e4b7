"""Webhook channel: POST a signed, versioned JSON document to the URL in the channel's config.

Body (version 1, `application/json`, UTF-8):
    {"version": 1, "event_id", "delivery_id", "kind", "created_at",
     "property": {"id", "name"}, "integration_id", "booking_id",
     "data": {...ids, dates, statuses, guest name and count, total...},
     "message": {"title", "text", "link"}}
Headers: `X-Avito-Sync-Version: 1`, `X-Avito-Sync-Event` (kind), `X-Avito-Sync-Event-Id` (same
on every retry: the idempotence key), `X-Avito-Sync-Delivery`, `X-Avito-Sync-Timestamp` (Unix
seconds) and `X-Avito-Sync-Signature: sha256=<hex>`, HMAC-SHA256 with the channel's own secret
(created in Vault when the channel is added, shown once, rotatable) over `<timestamp>.<body>`.
A receiver checks the signature and rejects old timestamps. Delivery is at least once.

The URL is a host's choice, so every send goes through `netguard` (canonical host, every
resolved address global, connect to the checked address, no redirects).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from avito_sync.notify.channels.base import (
    ChannelData,
    DeliveryError,
    Message,
    guarded_post,
    retry_after_header,
)

VERSION = 1
SIGNATURE_HEADER = "X-Avito-Sync-Signature"
TIMESTAMP_HEADER = "X-Avito-Sync-Timestamp"
DELIVERY_HEADER = "X-Avito-Sync-Delivery"
EVENT_HEADER = "X-Avito-Sync-Event"
EVENT_ID_HEADER = "X-Avito-Sync-Event-Id"
VERSION_HEADER = "X-Avito-Sync-Version"

# Payload and detail fields a receiver may see (never guest phone or e-mail).
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
    "failing_since",
    "failing_minutes",
    "expires_at",
    "count",
    "item_id",
    "account_id",
)
DETAIL_FIELDS = ("guest_name", "guests_count", "total_price", "currency", "avito_item_id")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def config_url(config: Mapping[str, Any]) -> str:
    url = config.get("url")
    if not isinstance(url, str):
        raise DeliveryError("webhook: config has no url", retryable=False)
    return url


def document(message: Message) -> dict[str, Any]:
    d = message.delivery
    data = {k: d.event_payload[k] for k in PUBLIC_FIELDS if k in d.event_payload}
    data.update({k: d.details[k] for k in DETAIL_FIELDS if d.details.get(k) is not None})
    return {
        "version": VERSION,
        "event_id": d.event_id,
        "delivery_id": d.delivery_id,
        "kind": d.event_kind,
        "created_at": d.event_created_at.isoformat(),
        "property": (
            None if d.property_id is None else {"id": str(d.property_id), "name": d.property_name}
        ),
        "integration_id": None if d.integration_id is None else str(d.integration_id),
        "booking_id": None if d.booking_id is None else str(d.booking_id),
        "data": json.loads(json.dumps(data, default=str)),
        "message": {
            "title": message.rendered.title,
            "text": message.text,
            "link": message.rendered.link,
        },
    }


class WebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        channels: ChannelData,
        http_hosts: frozenset[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._channels = channels
        self._http_hosts = http_hosts
        self._clock = clock

    async def send(self, message: Message) -> None:
        delivery = message.delivery
        url = config_url(delivery.channel_config)
        secret = await self._channels.webhook_secret(delivery.channel_id)
        if not secret:
            raise DeliveryError("webhook: channel has no signing secret", retryable=False)
        body = json.dumps(document(message), ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"avito-sync-webhook/{VERSION}",
            VERSION_HEADER: str(VERSION),
            EVENT_HEADER: delivery.event_kind,
            EVENT_ID_HEADER: str(delivery.event_id),
            DELIVERY_HEADER: str(delivery.delivery_id),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        response = await guarded_post(
            "webhook", self._client, url, self._http_hosts, content=body, headers=headers
        )
        status = response.status_code
        if 200 <= status < 300:
            return
        # 410 Gone is the receiver saying "stop"; anything else may recover.
        raise DeliveryError(
            f"webhook: HTTP {status}",
            retryable=status != 410,
            retry_after=retry_after_header(response.headers.get("retry-after")),
        )

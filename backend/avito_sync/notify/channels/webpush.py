"""Web Push channel: an RFC 8291 (aes128gcm) encrypted message with a VAPID signature (RFC
8292) to the push service endpoint of one of the app's `push_subscriptions`.

Encryption and VAPID signing are pywebpush's and py_vapid's; the request itself goes through
`netguard` like a webhook, because the endpoint is written by the app's client and therefore
chosen by a host. A 404 or 410 means the browser dropped the subscription: it is deleted (its
channel goes with it) and the delivery is not retried.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from avito_sync.notify import netguard
from avito_sync.notify.channels.base import (
    ChannelData,
    DeliveryError,
    Message,
    PushSubscription,
    guarded_post,
    retry_after_header,
)

TTL_SECONDS = 24 * 3600
MAX_PAYLOAD_BYTES = 3000  # push services accept 4 KiB of ciphertext


def payload(message: Message) -> bytes:
    """What the app's service worker shows: title, body, link, and a tag per event."""
    body = "\n".join(message.rendered.lines)
    doc: dict[str, Any] = {
        "title": message.rendered.title,
        "body": body,
        "url": message.rendered.link,
        "tag": f"avito-sync-{message.delivery.event_id}",
        "kind": message.delivery.event_kind,
    }
    data = json.dumps(doc, ensure_ascii=False).encode()
    while len(data) > MAX_PAYLOAD_BYTES and doc["body"]:
        doc["body"] = doc["body"][: len(doc["body"]) // 2] + "…"
        data = json.dumps(doc, ensure_ascii=False).encode()
    return data


def encrypt(subscription: PushSubscription, data: bytes) -> bytes:
    from pywebpush import WebPusher, WebPushException  # noqa: PLC0415 - heavy, only when used

    try:
        pusher = WebPusher(
            {
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            }
        )
        body: bytes = pusher.encode(data, content_encoding="aes128gcm")["body"]
    except (WebPushException, ValueError, TypeError):
        raise DeliveryError("web_push: invalid subscription keys", retryable=False) from None
    return body


def vapid_headers(
    private_key: SecretStr, subject: str, endpoint: str, now: float
) -> dict[str, str]:
    from py_vapid import Vapid  # noqa: PLC0415 - heavy, only when used

    parts = urlsplit(endpoint)
    claims: dict[str, str | int] = {
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int(now) + 12 * 3600,
        "sub": subject,
    }
    signer = Vapid.from_string(private_key=private_key.get_secret_value())
    headers: dict[str, str] = signer.sign(claims)
    return headers


class WebPushSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        channels: ChannelData,
        *,
        private_key: SecretStr | None,
        subject: str | None,
        http_hosts: frozenset[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._channels = channels
        self._private_key = private_key
        self._subject = subject
        self._http_hosts = http_hosts
        self._clock = clock

    async def send(self, message: Message) -> None:
        if self._private_key is None or not self._subject:
            raise DeliveryError("web_push: VAPID keys are not configured", retryable=True)
        subscription = await self._channels.push_subscription(message.delivery.channel_id)
        if subscription is None:
            raise DeliveryError("web_push: subscription is gone", retryable=False)
        await self.push(subscription, payload(message))

    async def push(self, subscription: PushSubscription, data: bytes) -> None:
        """Encrypt `data` for one subscription and post it (the messenger poller pushes to
        the app's subscriptions directly, as the old poller did)."""
        if self._private_key is None or not self._subject:
            raise DeliveryError("web_push: VAPID keys are not configured", retryable=True)
        try:
            netguard.check_url(subscription.endpoint, self._http_hosts)
        except netguard.UnsafeUrlError as exc:
            raise DeliveryError(f"web_push: {exc.reason}", retryable=False) from None
        body = encrypt(subscription, data)
        headers = {
            **vapid_headers(self._private_key, self._subject, subscription.endpoint, self._clock()),
            "Content-Type": "application/octet-stream",
            "Content-Encoding": "aes128gcm",
            "TTL": str(TTL_SECONDS),
            "Urgency": "high",
        }
        response = await guarded_post(
            "web_push",
            self._client,
            subscription.endpoint,
            self._http_hosts,
            content=body,
            headers=headers,
        )
        status = response.status_code
        if 200 <= status < 300:
            return
        if status in (404, 410):
            await self._channels.drop_push_subscription(subscription.id)
            raise DeliveryError(f"web_push: HTTP {status}, subscription dropped", retryable=False)
        raise DeliveryError(
            f"web_push: HTTP {status}",
            retryable=status == 429 or status >= 500,
            retry_after=retry_after_header(response.headers.get("retry-after")),
        )

"""What every channel shares: the sender interface, the one error type it raises and the
guarded POST to a URL a host chose.

A `DeliveryError` carries a short reason written by us (HTTP status, error class name), never
an exception's text: httpx messages include the request URL, and the Telegram URL holds the
bot token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import httpx

from avito_sync.notify import netguard
from avito_sync.notify.outbox import Delivery
from avito_sync.notify.render import Rendered


class DeliveryError(Exception):
    """An attempt failed. `retryable` False gives up at once (e.g. the chat does not exist)."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class Message:
    delivery: Delivery
    rendered: Rendered

    @property
    def text(self) -> str:
        return self.rendered.text


@dataclass(frozen=True)
class PushSubscription:
    id: UUID
    endpoint: str
    p256dh: str
    auth: str


class ChannelData(Protocol):
    """What senders read besides the delivery: secrets and subscriptions (service role)."""

    async def webhook_secret(self, channel_id: UUID) -> str | None: ...

    async def push_subscription(self, channel_id: UUID) -> PushSubscription | None: ...

    async def drop_push_subscription(self, subscription_id: UUID) -> None: ...


class Sender(Protocol):
    async def send(self, message: Message) -> None:
        """Deliver or raise `DeliveryError`."""
        ...


def retry_after_header(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form only), bounded to a day."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return min(max(seconds, 0.0), 86400.0)


async def guarded_post(
    channel: str,
    client: httpx.AsyncClient,
    url: str,
    http_hosts: frozenset[str],
    *,
    content: bytes,
    headers: dict[str, str],
) -> httpx.Response:
    """POST to a URL a host chose (a webhook, a Web Push endpoint) through `netguard`; a refusal
    or a network failure is a `DeliveryError` named after `channel`."""
    try:
        return await netguard.post(client, url, http_hosts, content=content, headers=headers)
    except netguard.UnsafeUrlError as exc:
        # Refused addresses are final for this delivery (the next event checks again); a
        # name that did not resolve may be a passing DNS failure.
        raise DeliveryError(f"{channel}: {exc.reason}", retryable=exc.retryable) from None
    except httpx.TimeoutException:
        raise DeliveryError(f"{channel}: timeout", retryable=True) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise DeliveryError(f"{channel}: {type(exc).__name__}", retryable=True) from None

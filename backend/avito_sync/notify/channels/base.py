"""What every channel shares: the sender interface and the one error type it raises.

A `DeliveryError` carries a short reason written by us (HTTP status, error class name), never
an exception's text: httpx messages include the request URL, and the Telegram URL holds the
bot token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from avito_sync.notify.outbox import Delivery


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
    text: str


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

"""The one wall clock: timezone-aware UTC, injected wherever a test needs to move time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso_or_none(value: dt.datetime | None) -> str | None:
    """How answers carry an optional timestamp: ISO 8601 or null."""
    return value.isoformat() if value is not None else None

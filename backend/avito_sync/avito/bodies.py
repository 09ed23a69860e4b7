"""Request bodies, forms and query strings exactly as Avito's specs define them (pure).

Kept apart from the client so the contract tests can check every shape against the specs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from avito_sync.avito.models import (
    INT64_MAX,
    BaseParams,
    CalendarBooking,
    Interval,
    ItemStatus,
    PriceItem,
)

JsonBody = dict[str, Any]


def check_id(name: str, value: int) -> int:
    """Path and body ids are int64 >= 1 (never strings: Avito rejects string ids)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT64_MAX:
        raise ValueError(f"{name} must be an int64 >= 1")
    return value


def authorization_code_form(
    client_id: str, client_secret: str, code: str, redirect_uri: str | None
) -> dict[str, str]:
    # redirect_uri is not in the spec but tolerated, and RFC 6749 wants it when the
    # authorize request carried one.
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
    }
    if redirect_uri:
        form["redirect_uri"] = redirect_uri
    return form


def refresh_form(client_id: str, client_secret: str, refresh_token: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
    }


def client_credentials_form(client_id: str, client_secret: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
    }


def items_query(page: int, per_page: int, status: Sequence[ItemStatus]) -> dict[str, str]:
    # A bare "active" would otherwise be joined letter by letter.
    statuses: Sequence[str] = (status,) if isinstance(status, str) else status
    if not statuses:
        raise ValueError("at least one item status is required")
    return {"page": str(page), "per_page": str(per_page), "status": ",".join(statuses)}


def bookings_query(date_start: date, date_end: date, *, with_unpaid: bool) -> dict[str, str]:
    """No `skip_error`: it turns 403/404 into an empty list that looks like "no bookings"."""
    if date_end < date_start:
        raise ValueError("date_end must not be before date_start")
    return {
        "date_start": date_start.isoformat(),
        "date_end": date_end.isoformat(),
        "with_unpaid": "true" if with_unpaid else "false",
    }


def core_bookings_body(bookings: Sequence[CalendarBooking], source: str | None) -> JsonBody:
    return {"bookings": [b.to_body() for b in bookings], "source": source}


def prices_body(prices: Sequence[PriceItem]) -> JsonBody:
    return {"prices": [p.to_body() for p in prices]}


def intervals_body(item_id: int, intervals: Sequence[Interval], source: str | None) -> JsonBody:
    return {
        "item_id": check_id("item_id", item_id),
        "intervals": [i.to_body() for i in intervals],
        "source": source,
    }


def base_params_body(params: BaseParams) -> JsonBody:
    return params.to_body()

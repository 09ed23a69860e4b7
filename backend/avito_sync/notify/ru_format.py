"""Russian wording for notification values: plurals, dates, stays, money, statuses.

Pure and defensive: a missing or malformed value becomes a dash or None, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

DASH = "—"


AVITO_STATUS_RU: Mapping[str, str] = {
    "pending": "ожидает подтверждения",
    "active": "подтверждена",
    "canceled": "отменена",
    "cancelled": "отменена",
    "overbook": "овербукинг",
    "vanished": "исчезла из Avito",
}


MOSCOW = ZoneInfo("Europe/Moscow")


CURRENCY_SIGN: Mapping[str, str] = {"RUB": "₽", "USD": "$", "EUR": "€"}


BOOKING_STATUS_RU: Mapping[str, str] = {
    "confirmed": "подтверждена",
    "paid": "оплачена",
    "pending": "ожидает подтверждения",
    "cancelled": "отменена",
}


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form for `n` (1 ночь, 2 ночи, 5 ночей, 11 ночей, 21 ночь)."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def format_date(value: Any) -> str:
    day = parse_date(value)
    return day.strftime("%d.%m.%Y") if day else DASH


def stay_line(payload: Mapping[str, Any]) -> str:
    """'Заезд 12.06.2026, выезд 15.06.2026 (3 ночи)'; check-out is exclusive."""
    check_in, check_out = parse_date(payload.get("check_in")), parse_date(payload.get("check_out"))
    arrive, leave = format_date(payload.get("check_in")), format_date(payload.get("check_out"))
    line = f"Заезд {arrive}, выезд {leave}"
    if check_in and check_out and check_out > check_in:
        nights = (check_out - check_in).days
        line += f" ({nights} {plural_ru(nights, 'ночь', 'ночи', 'ночей')})"
    return line


def avito_status_ru(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return DASH
    return AVITO_STATUS_RU.get(value.lower(), value)


def clip_text(value: Any, limit: int = 120) -> str:
    if value is None or isinstance(value, dict | list):
        return DASH
    text = " ".join(str(value).split())
    return text[:limit] if text else DASH


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def money(amount: Any, currency: Any) -> str | None:
    """'12 500 ₽' (whole units, thin grouping); None when the amount is unusable."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0:
        return None
    whole = f"{value.quantize(Decimal(1)):,}".replace(",", "\u00a0")
    code = currency.upper() if isinstance(currency, str) and currency.strip() else "RUB"
    return f"{whole} {CURRENCY_SIGN.get(code, clip_text(code, 8))}"


def minutes_ru(value: Any) -> str | None:
    minutes = as_int(value)
    if minutes is None:
        return None
    if minutes >= 120:
        hours = minutes // 60
        return f"{hours} {plural_ru(hours, 'час', 'часа', 'часов')}"
    return f"{minutes} {plural_ru(minutes, 'минуту', 'минуты', 'минут')}"

"""Russian message text for each outbox event kind: pure functions of the event and context.

Events carry ids, dates and statuses only (never guest contacts), and the renderer reads
nothing else, so no message can carry a guest's phone or e-mail. Payloads come from the
database and are rendered defensively: a missing or malformed field becomes a dash, never an
exception, because a notification with a gap beats no notification.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from avito_sync.logs import scrub_text

DASH = "—"
MAX_ERROR_CHARS = 200

AVITO_STATUS_RU: Mapping[str, str] = {
    "pending": "ожидает подтверждения",
    "active": "подтверждена",
    "canceled": "отменена",
    "cancelled": "отменена",
    "overbook": "овербукинг",
    "vanished": "исчезла из Avito",
}


@dataclass(frozen=True)
class EventView:
    """What a message may show: the event and the property's display name."""

    kind: str
    payload: Mapping[str, Any]
    property_name: str | None = None


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form for `n` (1 ночь, 2 ночи, 5 ночей, 11 ночей, 21 ночь)."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def format_date(value: Any) -> str:
    day = _date(value)
    return day.strftime("%d.%m.%Y") if day else DASH


def stay_line(payload: Mapping[str, Any]) -> str:
    """'Заезд 12.06.2026, выезд 15.06.2026 (3 ночи)'; check-out is exclusive."""
    check_in, check_out = _date(payload.get("check_in")), _date(payload.get("check_out"))
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


def _text(value: Any, limit: int = 120) -> str:
    if value is None or isinstance(value, dict | list):
        return DASH
    text = " ".join(str(value).split())
    return text[:limit] if text else DASH


def _property_line(view: EventView) -> str:
    return f"Объект: {_text(view.property_name)}"


def _booking_ref(payload: Mapping[str, Any]) -> str:
    return f"Бронь Avito № {_text(payload.get('avito_booking_id'), 40)}"


def _booking_created(view: EventView) -> str:
    lines = ["🏠 Новое бронирование с Avito", _property_line(view), stay_line(view.payload)]
    if view.payload.get("avito_status") == "pending":
        lines.append("Ожидает вашего подтверждения на Avito.")
    lines.append(_booking_ref(view.payload))
    return "\n".join(lines)


def _booking_cancelled(view: EventView) -> str:
    return "\n".join(
        [
            "❌ Бронирование с Avito отменено",
            _property_line(view),
            stay_line(view.payload),
            "Даты снова открыты для бронирования.",
            _booking_ref(view.payload),
        ]
    )


def _booking_conflict(view: EventView) -> str:
    others = view.payload.get("conflicting_booking_ids")
    count = len(others) if isinstance(others, list) else 0
    overlap = (
        f"Пересекается с {count} "
        f"{plural_ru(count, 'другой бронью', 'другими бронями', 'другими бронями')}."
        if count
        else "Пересекается с другой бронью."
    )
    return "\n".join(
        [
            "⚠️ Конфликт бронирований",
            _property_line(view),
            stay_line(view.payload),
            overlap,
            "Проверьте календарь и свяжитесь с гостем через Avito.",
            _booking_ref(view.payload),
        ]
    )


def _booking_status_changed(view: EventView) -> str:
    before = avito_status_ru(view.payload.get("previous_avito_status"))
    after = avito_status_ru(view.payload.get("avito_status"))
    return "\n".join(
        [
            "🔄 Статус брони на Avito изменился",
            _property_line(view),
            stay_line(view.payload),
            f"Было: {before}. Стало: {after}.",
            _booking_ref(view.payload),
        ]
    )


def _needs_reconnect(view: EventView) -> str:
    ids = view.payload.get("integration_ids")
    count = len(ids) if isinstance(ids, list) else 0
    lines = ["🔌 Нужно заново подключить аккаунт Avito", "Доступ к аккаунту отозван или истёк."]
    if count:
        objects = plural_ru(count, "объекта", "объектов", "объектов")
        lines.append(f"Синхронизация приостановлена для {count} {objects}.")
    else:
        lines.append("Синхронизация приостановлена.")
    lines.append("Откройте приложение и подключите Avito снова.")
    return "\n".join(lines)


def _sync_failing(view: EventView) -> str:
    attempts = view.payload.get("attempts")
    lines = ["⚠️ Синхронизация с Avito не работает", _property_line(view)]
    if isinstance(attempts, int) and not isinstance(attempts, bool) and attempts > 0:
        word = plural_ru(
            attempts,
            "попытка подряд завершилась",
            "попытки подряд завершились",
            "попыток подряд завершились",
        )
        lines.append(f"{attempts} {word} ошибкой.")
    error = view.payload.get("error")
    if isinstance(error, str) and error.strip():
        lines.append(f"Последняя ошибка: {scrub_text(_text(error, MAX_ERROR_CHARS))}")
    lines.append("Мы продолжаем попытки; цены и календарь на Avito могут быть неактуальны.")
    return "\n".join(lines)


RENDERERS: Mapping[str, Callable[[EventView], str]] = {
    "booking_created": _booking_created,
    "booking_cancelled": _booking_cancelled,
    "booking_conflict": _booking_conflict,
    "booking_status_changed": _booking_status_changed,
    "needs_reconnect": _needs_reconnect,
    "sync_failing": _sync_failing,
}


def render_message(view: EventView) -> str:
    """The message for an event; an unknown kind still says something happened."""
    renderer = RENDERERS.get(view.kind)
    if renderer is None:
        return "\n".join(["ℹ️ Событие Avito", _property_line(view), f"Тип: {_text(view.kind, 60)}"])
    return renderer(view)

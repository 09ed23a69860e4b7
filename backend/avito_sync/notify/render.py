"""Russian messages for each outbox event kind: pure functions of the event and context.

Events carry ids, dates and statuses; `details` adds the booking's guest name, guest count,
total and status and the Avito listing (never a guest's phone or e-mail, which the database
never hands over). Payloads are rendered defensively: a missing or malformed field becomes a
dash or is left out, never an exception, because a notification with a gap beats none.

A message is structured (`Rendered`: title, lines, link) so that each channel formats it its
own way: plain text (webhooks, push) or Telegram HTML, where every piece of data is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from avito_sync.core.logs import scrub_text
from avito_sync.notify.ru_format import (
    BOOKING_STATUS_RU,
    DASH,
    MOSCOW,
    as_int,
    avito_status_ru,
    clip_text,
    minutes_ru,
    money,
    plural_ru,
    stay_line,
)

MAX_ERROR_CHARS = 200


@dataclass(frozen=True)
class EventView:
    """What a message may show: the event, the property's display name, booking details
    (`avito_private.notify_event_details`) and the app's base URL for links."""

    kind: str
    payload: Mapping[str, Any]
    property_name: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    app_url: str | None = None
    property_id: str | None = None
    booking_id: str | None = None


@dataclass(frozen=True)
class Rendered:
    title: str
    lines: tuple[str, ...]
    link: str | None = None
    link_label: str = "Открыть в приложении"

    @property
    def text(self) -> str:
        """Plain text: title, lines, then the link on its own line."""
        parts = [self.title, *self.lines]
        if self.link:
            parts.append(f"{self.link_label}: {self.link}")
        return "\n".join(parts)

    def telegram_html(self) -> str:
        """Telegram `parse_mode=HTML`: the title in bold, every piece of text escaped."""
        parts = [f"<b>{html.escape(self.title, quote=False)}</b>"]
        parts += [html.escape(line, quote=False) for line in self.lines]
        if self.link:
            parts.append(
                f'<a href="{html.escape(self.link, quote=True)}">'
                f"{html.escape(self.link_label, quote=False)}</a>"
            )
        return "\n".join(parts)


def _property_line(view: EventView) -> str:
    return f"Объект: {clip_text(view.property_name)}"


def _booking_ref(payload: Mapping[str, Any]) -> str:
    return f"Бронь Avito № {clip_text(payload.get('avito_booking_id'), 40)}"


def app_link(view: EventView, **params: str | None) -> str | None:
    """A link into the app; the deployed app has one route, so context goes in the query."""
    if not view.app_url:
        return None
    query = {k: v for k, v in params.items() if v}
    return view.app_url.rstrip("/") + "/" + (f"?{urlencode(query)}" if query else "")


def _listing_line(view: EventView) -> str | None:
    item = as_int(view.details.get("avito_item_id"))
    return f"Объявление Avito № {item}" if item else None


def _guest_lines(view: EventView) -> list[str]:
    lines = []
    name = view.details.get("guest_name")
    guests = as_int(view.details.get("guests_count"))
    if isinstance(name, str) and name.strip():
        who = f"Гость: {clip_text(name, 80)}"
        if guests:
            who += f", {guests} {plural_ru(guests, 'гость', 'гостя', 'гостей')}"
        lines.append(who)
    elif guests:
        lines.append(f"Гостей: {guests}")
    total = money(view.details.get("total_price"), view.details.get("currency"))
    if total:
        lines.append(f"Сумма: {total}")
    return lines


def _booking_link(view: EventView) -> str | None:
    return app_link(view, property=view.property_id, booking=view.booking_id)


def _booking(view: EventView, title: str, *extra: str) -> Rendered:
    lines = [_property_line(view)]
    listing = _listing_line(view)
    if listing:
        lines.append(listing)
    lines.append(stay_line(view.payload))
    lines += _guest_lines(view)
    lines += [x for x in extra if x]
    lines.append(_booking_ref(view.payload))
    return Rendered(title, tuple(lines), _booking_link(view))


def _status_line(view: EventView) -> str:
    if view.payload.get("avito_status") == "pending":
        # Avito's API gives no deadline; the request lapses if the host does not answer.
        return (
            "Ожидает вашего подтверждения на Avito. Ответьте как можно скорее: "
            "без ответа запрос отменится."
        )
    status = view.details.get("booking_status") or view.payload.get("status")
    if isinstance(status, str) and status in BOOKING_STATUS_RU:
        return f"Статус: {BOOKING_STATUS_RU[status]}"
    return ""


def _booking_created(view: EventView) -> Rendered:
    return _booking(view, "🏠 Новое бронирование с Avito", _status_line(view))


def _booking_cancelled(view: EventView) -> Rendered:
    return _booking(
        view, "❌ Бронирование с Avito отменено", "Даты снова открыты для бронирования."
    )


def _booking_conflict(view: EventView) -> Rendered:
    others = view.payload.get("conflicting_booking_ids")
    count = len(others) if isinstance(others, list) else 0
    overlap = (
        f"Пересекается с {count} "
        f"{plural_ru(count, 'другой бронью', 'другими бронями', 'другими бронями')}."
        if count
        else "Пересекается с другой бронью."
    )
    return _booking(
        view,
        "⚠️ Конфликт бронирований",
        overlap,
        "Проверьте календарь и свяжитесь с гостем через Avito.",
    )


def _booking_status_changed(view: EventView) -> Rendered:
    before = avito_status_ru(view.payload.get("previous_avito_status"))
    after = avito_status_ru(view.payload.get("avito_status"))
    return _booking(view, "🔄 Статус брони на Avito изменился", f"Было: {before}. Стало: {after}.")


def _needs_reconnect(view: EventView) -> Rendered:
    ids = view.payload.get("integration_ids")
    count = len(ids) if isinstance(ids, list) else 0
    lines = ["Доступ к аккаунту отозван или истёк."]
    if view.property_name:
        lines.insert(0, _property_line(view))
    if count:
        objects = plural_ru(count, "объекта", "объектов", "объектов")
        lines.append(f"Синхронизация приостановлена для {count} {objects}.")
    else:
        lines.append("Синхронизация приостановлена.")
    lines.append("Откройте объект в приложении и подключите Avito снова.")
    return Rendered(
        "🔌 Нужно заново подключить аккаунт Avito",
        tuple(lines),
        app_link(view, property=view.property_id, avito="reconnect"),
        "Подключить заново",
    )


def _token_expiring(view: EventView) -> Rendered:
    expires = view.payload.get("expires_at")
    when = DASH
    if isinstance(expires, str):
        try:
            moment = datetime.fromisoformat(expires)
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            when = moment.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M") + " (МСК)"
    return Rendered(
        "⏳ Доступ к Avito скоро истечёт",
        (
            f"Доступ к аккаунту Avito действует до {when}, продлить его автоматически нельзя.",
            "Подключите Avito заново, чтобы синхронизация не остановилась.",
        ),
        app_link(view, property=view.property_id, avito="reconnect"),
        "Подключить заново",
    )


def _sync_failing(view: EventView) -> Rendered:
    lines = [_property_line(view)]
    listing = _listing_line(view)
    if listing:
        lines.append(listing)
    duration = minutes_ru(view.payload.get("failing_minutes"))
    attempts = as_int(view.payload.get("attempts"))
    if duration:
        lines.append(f"Синхронизация не проходит уже {duration}.")
    elif attempts and attempts > 0:
        word = plural_ru(
            attempts,
            "попытка подряд завершилась",
            "попытки подряд завершились",
            "попыток подряд завершились",
        )
        lines.append(f"{attempts} {word} ошибкой.")
    error = view.payload.get("error")
    if isinstance(error, str) and error.strip():
        lines.append(f"Последняя ошибка: {scrub_text(clip_text(error, MAX_ERROR_CHARS))}")
    lines.append("Мы продолжаем попытки; цены и календарь на Avito могут быть неактуальны.")
    lines.append("Когда синхронизация восстановится, мы сообщим.")
    return Rendered(
        "⚠️ Синхронизация с Avito не работает",
        tuple(lines),
        app_link(view, property=view.property_id),
    )


def _sync_recovered(view: EventView) -> Rendered:
    lines = [_property_line(view)]
    duration = minutes_ru(view.payload.get("failing_minutes"))
    lines.append(
        f"Синхронизация снова работает (перерыв {duration})."
        if duration
        else "Синхронизация снова работает."
    )
    return Rendered("✅ Синхронизация с Avito восстановлена", tuple(lines))


def _bookings_imported(view: EventView) -> Rendered:
    count = as_int(view.payload.get("count")) or 0
    listing = as_int(view.payload.get("item_id"))
    lines = [_property_line(view)]
    if listing:
        lines.append(f"Объявление Avito № {listing}")
    imported = plural_ru(
        count, "бронь импортирована", "брони импортировано", "броней импортировано"
    )
    lines.append(f"{count} {imported} из Avito." if count else "Броней на Avito не найдено.")
    lines.append("Дальше новые брони будут приходить отдельными уведомлениями.")
    return Rendered(
        "📥 Объявление подключено",
        tuple(lines),
        app_link(view, property=view.property_id or clip_text(view.payload.get("property_id"), 40)),
    )


def _new_message(view: EventView) -> Rendered:
    """A guest wrote in Avito's messenger (webhook or the reconciliation poll)."""
    payload = view.payload
    lines = [_property_line(view)]
    guest = payload.get("guest_name")
    lines.append(f"Гость: {clip_text(guest, 80)}")
    title = payload.get("item_title")
    item = as_int(payload.get("item_id"))
    if isinstance(title, str) and title.strip():
        lines.append(f"Объявление: {clip_text(title, 80)}" + (f" (№ {item})" if item else ""))
    elif item:
        lines.append(f"Объявление Avito № {item}")
    text = payload.get("text")
    lines.append(
        f"«{clip_text(text, 300)}»" if isinstance(text, str) and text.strip() else "Вложение"
    )
    unread = as_int(payload.get("unread_count"))
    if unread and unread > 1:
        lines.append(f"Непрочитанных в чате: {unread}")
    chat = payload.get("chat_id")
    link = app_link(view, tab="messages", chat=chat if isinstance(chat, str) else None)
    return Rendered("💬 Новое сообщение от гостя", tuple(lines), link, "Открыть чат")


def _channel_test(_view: EventView) -> Rendered:
    return Rendered(
        "🔔 Проверка уведомлений",
        ("Этот канал подключён: сюда будут приходить уведомления о бронях с Avito.",),
    )


RENDERERS: Mapping[str, Callable[[EventView], Rendered]] = {
    "booking_created": _booking_created,
    "booking_cancelled": _booking_cancelled,
    "booking_conflict": _booking_conflict,
    "booking_status_changed": _booking_status_changed,
    "needs_reconnect": _needs_reconnect,
    "token_expiring": _token_expiring,
    "sync_failing": _sync_failing,
    "sync_recovered": _sync_recovered,
    "bookings_imported": _bookings_imported,
    "new_message": _new_message,
    "channel_test": _channel_test,
}


def render(view: EventView) -> Rendered:
    """The message for an event; an unknown kind still says something happened."""
    renderer = RENDERERS.get(view.kind)
    if renderer is None:
        return Rendered(
            "ℹ️ Событие Avito", (_property_line(view), f"Тип: {clip_text(view.kind, 60)}")
        )
    return renderer(view)


def render_message(view: EventView) -> str:
    """Plain text of `render(view)`."""
    return render(view).text

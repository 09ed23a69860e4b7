"""Messages per event kind: Russian text from the payload and property name only."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.notify.render import RENDERERS, EventView, render_message
from avito_sync.notify.ru_format import plural_ru, stay_line

STAY = {"avito_booking_id": 4242, "check_in": "2026-12-10", "check_out": "2026-12-13"}


def render(kind: str, payload: dict[str, Any], name: str | None = "Студия у моря") -> str:
    return render_message(EventView(kind, payload, name))


def test_booking_created_names_property_dates_nights_and_booking() -> None:
    text = render("booking_created", {**STAY, "avito_status": "active"})
    assert text.splitlines()[0] == "🏠 Новое бронирование с Avito"
    assert "Объект: Студия у моря" in text
    assert "Заезд 10.12.2026, выезд 13.12.2026 (3 ночи)" in text
    assert "Бронь Avito № 4242" in text
    assert "подтверждения" not in text


def test_pending_booking_asks_the_host_to_confirm() -> None:
    text = render("booking_created", {**STAY, "avito_status": "pending"})
    assert "Ожидает вашего подтверждения на Avito." in text


def test_booking_cancelled() -> None:
    text = render("booking_cancelled", {**STAY, "avito_status": "canceled"})
    assert text.startswith("❌ Бронирование с Avito отменено")
    assert "Даты снова открыты" in text
    assert "Заезд 10.12.2026, выезд 13.12.2026 (3 ночи)" in text


def test_booking_conflict_counts_the_overlaps() -> None:
    text = render("booking_conflict", {**STAY, "conflicting_booking_ids": ["a", "b"]})
    assert text.startswith("⚠️ Конфликт бронирований")
    assert "Пересекается с 2 другими бронями." in text


def test_status_change_shows_before_and_after_in_russian() -> None:
    payload = {**STAY, "previous_avito_status": "pending", "avito_status": "active"}
    text = render("booking_status_changed", payload)
    assert "Было: ожидает подтверждения. Стало: подтверждена." in text
    vanished = render("booking_status_changed", {**payload, "avito_status": "vanished"})
    assert "Стало: исчезла из Avito." in vanished


def test_needs_reconnect_counts_paused_listings() -> None:
    text = render(
        "needs_reconnect", {"avito_account_id": "x", "integration_ids": ["a", "b", "c"]}, None
    )
    assert text.startswith("🔌 Нужно заново подключить аккаунт Avito")
    assert "Синхронизация приостановлена для 3 объектов." in text


def test_sync_failing_shows_attempts_and_a_scrubbed_error() -> None:
    payload = {"attempts": 5, "error": "HTTP 500 from Avito, Authorization: Bearer abc.def.ghi"}
    text = render("sync_failing", payload)
    assert "5 попыток подряд завершились ошибкой." in text
    assert "abc.def.ghi" not in text
    assert "Последняя ошибка: HTTP 500 from Avito" in text


@pytest.mark.parametrize("kind", sorted(RENDERERS))
def test_missing_or_malformed_fields_render_as_dashes(kind: str) -> None:
    text = render(
        kind,
        {
            "check_in": 17,
            "check_out": "not a date",
            "attempts": "many",
            "conflicting_booking_ids": "x",
            "integration_ids": None,
        },
        None,
    )
    assert "Объект: —" in text or kind in {"needs_reconnect", "token_expiring", "channel_test"}
    assert "Заезд —, выезд —" in text or not kind.startswith("booking_")


def test_unknown_kind_still_says_something() -> None:
    assert "Тип: brand_new_kind" in render("brand_new_kind", {})


@given(st.integers(min_value=0, max_value=10_000))
def test_plural_forms_follow_russian_rules(n: int) -> None:
    form = plural_ru(n, "ночь", "ночи", "ночей")
    last, last_two = n % 10, n % 100
    if 11 <= last_two <= 14:
        assert form == "ночей"
    elif last == 1:
        assert form == "ночь"
    elif last in (2, 3, 4):
        assert form == "ночи"
    else:
        assert form == "ночей"


@given(st.dates(date(2000, 1, 1), date(2100, 1, 1)), st.integers(min_value=1, max_value=400))
def test_nights_are_the_exclusive_checkout_difference(check_in: date, nights: int) -> None:
    check_out = check_in + timedelta(days=nights)
    line = stay_line({"check_in": check_in.isoformat(), "check_out": check_out.isoformat()})
    assert f"({nights} " in line
    assert check_in.strftime("%d.%m.%Y") in line


def test_checkout_before_checkin_shows_no_night_count() -> None:
    assert stay_line({"check_in": "2026-12-13", "check_out": "2026-12-10"}) == (
        "Заезд 13.12.2026, выезд 10.12.2026"
    )

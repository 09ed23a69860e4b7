"""Messages a host acts on: booking details, alerts with a link, summaries; Telegram HTML that
Telegram accepts whatever the names contain (checked by the Bot API stand-in's parser)."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st
from psycopg_pool import AsyncConnectionPool
from pydantic import SecretStr

from avito_sync.local.standins.telegram import EntityError, parse_html
from avito_sync.notify.channels.telegram import TelegramSender
from avito_sync.notify.notifier import LoopSettings, Notifier
from avito_sync.notify.outbox import Outbox
from avito_sync.notify.render import EventView, Rendered, render
from avito_sync.notify.retry import RetryPolicy
from avito_sync.notify.ru_format import money
from tests.fixtures.standins import BOT_TOKEN, TelegramStandin
from tests.notify.conftest import Conn, add_channel, emit, make_host

MARKUP_PROPERTY = '<b>Лофт</b> & "Ко" <script>alert(1)</script> 5 > 3'
MARKUP_GUEST = '</a><a href="https://evil.example">Клик</a> & <i>Гость</i>'


async def test_markup_in_names_reaches_telegram_as_literal_text(
    db: Conn,
    pool: AsyncConnectionPool[Any],
    http: httpx.AsyncClient,
    telegram_standin: TelegramStandin,
) -> None:
    host = make_host(db, name=MARKUP_PROPERTY)
    add_channel(db, host.owner_id, "telegram", {"chat_id": 4242})
    row = db.execute(
        "insert into public.bookings (property_id, guest_name, guests_count, total_price,"
        " currency, check_in, check_out, source, status) values (%s, %s, 3, 12500.00, 'RUB',"
        " '2026-12-10', '2026-12-13', 'avito', 'paid') returning id",
        (host.property_id, MARKUP_GUEST),
    ).fetchone()
    assert row is not None
    emit(db, host, booking_id=row["id"])
    notifier = Notifier(
        Outbox(pool),
        {"telegram": TelegramSender(http, telegram_standin.base_url, SecretStr(BOT_TOKEN))},
        RetryPolicy(1, 0.05, 0.1),
        LoopSettings(),
        app_url="https://app.example/",
    )

    assert await notifier.drain() == 1

    [sent] = telegram_standin.messages(4242)
    shown = sent["shown"]
    assert f"Объект: {MARKUP_PROPERTY}" in shown
    assert f"Гость: {' '.join(MARKUP_GUEST.split())}, 3 гостя" in shown
    assert "Сумма: 12\u00a0500 ₽" in shown
    assert "Статус: оплачена" in shown
    assert "Заезд 10.12.2026, выезд 13.12.2026 (3 ночи)" in shown
    assert '<a href="https://evil.example">' not in sent["text"]
    assert f"property={host.property_id}&amp;booking={row['id']}" in sent["text"]
    [delivery] = db.execute("select status from public.notification_deliveries").fetchall()
    assert delivery["status"] == "delivered"


@given(st.text(max_size=60), st.lists(st.text(max_size=40), max_size=4))
def test_telegram_html_always_parses_back_to_the_plain_text(title: str, lines: list[str]) -> None:
    rendered = Rendered(title or "x", tuple(lines), "https://app.example/?a=1&b=<2>")
    try:
        shown = parse_html(rendered.telegram_html())
    except EntityError as error:  # pragma: no cover - the assertion below explains
        raise AssertionError(f"Telegram would refuse: {error}") from None
    assert shown == "\n".join([rendered.title, *lines, rendered.link_label])


def test_bookings_imported_summary() -> None:
    view = EventView(
        "bookings_imported",
        {"count": 5, "item_id": 4012345678, "property_id": "p1", "integration_id": "i1"},
        "Студия",
        app_url="https://app.example",
    )
    text = render(view).text
    assert "5 броней импортировано из Avito." in text
    assert "Объявление Avito № 4012345678" in text
    assert render(view).link == "https://app.example/?property=p1"
    one = render(EventView("bookings_imported", {"count": 1}, "Студия")).text
    assert "1 бронь импортирована из Avito." in one


def test_token_expiring_and_needs_reconnect_link_to_reconnect() -> None:
    expiring = render(
        EventView(
            "token_expiring",
            {"account_id": "a", "expires_at": "2026-12-07T09:30:00+00:00"},
            app_url="https://app.example",
            property_id="p1",
        )
    )
    assert expiring.title == "⏳ Доступ к Avito скоро истечёт"
    assert "до 07.12.2026 12:30 (МСК)" in expiring.text
    assert expiring.link == "https://app.example/?property=p1&avito=reconnect"
    reconnect = render(
        EventView("needs_reconnect", {"integration_ids": ["a"]}, app_url="https://app.example")
    )
    assert reconnect.link_label == "Подключить заново"
    assert "Синхронизация приостановлена для 1 объекта." in reconnect.text


def test_sync_failing_and_recovered_say_how_long() -> None:
    failing = render(
        EventView("sync_failing", {"failing_minutes": 45, "error": "HTTP 502"}, "Лофт")
    ).text
    assert "Синхронизация не проходит уже 45 минут." in failing
    assert "Когда синхронизация восстановится, мы сообщим." in failing
    recovered = render(EventView("sync_recovered", {"failing_minutes": 150}, "Лофт")).text
    assert recovered.startswith("✅ Синхронизация с Avito восстановлена")
    assert "(перерыв 2 часа)" in recovered


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_money_is_whole_units_with_grouping(amount: Any) -> None:
    shown = money(amount, "RUB")
    assert shown is not None
    digits = shown.removesuffix(" ₽").replace("\u00a0", "")
    assert abs(int(digits) - amount) <= 1


def test_money_refuses_garbage() -> None:
    assert money("abc", "RUB") is None
    assert money(-5, "RUB") is None
    assert money(100, "USD") == "100 $"

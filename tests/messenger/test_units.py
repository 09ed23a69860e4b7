"""Pure parts of the messenger: reading Avito's chats, the message the host gets, the app's
messenger state, and the sandbox's webhook notification against messenger.json."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from avito_sync.api.messenger_consent import messenger_state
from avito_sync.local import avito_spec as specs
from avito_sync.local.sandbox.control_messenger import webhook_body
from avito_sync.local.sandbox.models import Chat, ChatMessage
from avito_sync.messenger.inbox import chat_view
from avito_sync.notify.render import EventView, render

HOST = 40_123_456


def avito_chat(**overrides: Any) -> dict[str, Any]:
    chat = {
        "id": "u2i-abc~def",
        "context": {"type": "item", "value": {"id": 4012345678, "title": "Студия у метро"}},
        "users": [{"id": HOST, "name": "Хозяин"}, {"id": 777, "name": "Мария"}],
        "unread_count": 2,
        "last_message": {
            "id": "m1",
            "author_id": 777,
            "content": {"text": "Есть полотенца?"},
            "created": 1_780_000_000,
            "direction": "in",
            "type": "text",
        },
    }
    return {**chat, **overrides}


def test_a_chat_is_read_as_the_app_reads_it() -> None:
    view = chat_view(avito_chat(), HOST)
    assert view is not None
    assert (view.chat_id, view.unread, view.item_id) == ("u2i-abc~def", 2, 4012345678)
    assert (view.guest_name, view.last_text, view.last_in) == ("Мария", "Есть полотенца?", True)
    own = avito_chat(last_message={"id": "m2", "author_id": HOST, "direction": "out"})
    assert chat_view(own, HOST).last_in is False  # type: ignore[union-attr]


@given(
    st.dictionaries(
        st.sampled_from(["id", "users", "context", "last_message", "unread_count", "updated"]),
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=5),
            st.lists(st.integers(), max_size=2),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        ),
    )
)
def test_any_answer_is_read_without_raising(chat: dict[str, Any]) -> None:
    view = chat_view(chat, HOST)
    assert view is None or view.unread >= 0


def test_the_message_names_guest_listing_text_and_links_the_chat() -> None:
    payload = {
        "chat_id": "u2i-abc~def",
        "guest_name": "Мария",
        "item_id": 4012345678,
        "item_title": "Студия у метро",
        "text": "Есть полотенца?",
        "unread_count": 2,
    }
    view = EventView("new_message", payload, "Квартира на Лесной", app_url="https://app.example")
    rendered = render(view)
    assert rendered.title == "💬 Новое сообщение от гостя"
    assert rendered.lines == (
        "Объект: Квартира на Лесной",
        "Гость: Мария",
        "Объявление: Студия у метро (№ 4012345678)",
        "«Есть полотенца?»",
        "Непрочитанных в чате: 2",
    )
    assert rendered.link == "https://app.example/?tab=messages&chat=u2i-abc~def"
    bare = render(EventView("new_message", {"text": None}))
    assert bare.lines == ("Объект: —", "Гость: —", "Вложение")
    assert "&lt;b&gt;" in render(EventView("new_message", {"text": "<b>"})).telegram_html()


def test_only_the_apps_messenger_state_takes_the_messenger_branch() -> None:
    data = {"type": "messenger_auth", "integration_id": None, "ts": 1, "nonce": "n"}
    encoded = base64.b64encode(json.dumps(data).encode()).decode()
    assert messenger_state(encoded) == data
    assert messenger_state(json.dumps(data)) == data
    property_state = base64.b64encode(b'{"property_id": "x", "timestamp": 1}').decode()
    assert messenger_state(property_state) is None
    assert messenger_state("a.b") is None


def test_the_sandbox_notification_matches_messenger_json() -> None:
    chat = Chat(
        id="u2i-1", account_id=HOST, item_id=4012345678, guest_id=777, guest_name="Мария", created=1
    )
    message = ChatMessage(id="m1", author_id=777, text="Привет", created=2)
    assert specs.validate_response("postWebhookV3", 201, webhook_body(chat, message)) == []

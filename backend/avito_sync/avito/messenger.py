"""Avito messenger calls (messenger.json) through the client's requester: rate limited,
refreshed on denial and mapped to typed errors like every other call.

Answers are returned as Avito's JSON (checked only for their outer type): the app reads
fields the spec does not list (`unread_count`), so the service passes them through.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.bodies import check_id
from avito_sync.avito.errors import MalformedResponseError
from avito_sync.avito.requester import Call, Requester
from avito_sync.avito.retry import RetryMode

MAX_TEXT = 1000  # sendMessageRequestBody.message.text maxLength


CHAT_ID = re.compile(r"[A-Za-z0-9_~.:=-]{1,200}")


def check_chat_id(chat_id: str) -> str:
    """Avito chat ids (`u2i-…~…`) go into the path as they are: nothing that could leave it."""
    if not isinstance(chat_id, str) or not CHAT_ID.fullmatch(chat_id):
        raise ValueError("chat_id is not a valid Avito chat id")
    return chat_id


class MessengerApi:
    def __init__(self, requests: Requester) -> None:
        self._requests = requests

    async def _json(self, call: Call, auth: TokenProvider, kind: type | tuple[type, ...]) -> Any:
        response = await self._requests.send(call, auth)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, kind):
            raise MalformedResponseError(
                "answer is not the JSON the spec describes",
                operation=call.operation,
                status=response.status_code,
            )
        return data

    async def get_chats(
        self,
        auth: TokenProvider,
        user_id: int,
        *,
        item_ids: Sequence[int] = (),
        limit: int | None = None,
        offset: int | None = None,
    ) -> dict[str, Any]:
        """`GET /messenger/v2/accounts/{user_id}/chats` (`{chats: [...]}`)."""
        params: dict[str, str] = {}
        if item_ids:
            params["item_ids"] = ",".join(str(check_id("item_id", i)) for i in item_ids)
        if limit is not None:
            params["limit"] = str(limit)
        if offset is not None:
            params["offset"] = str(offset)
        path = f"/messenger/v2/accounts/{check_id('user_id', user_id)}/chats"
        call = Call("getChatsV2", "GET", path, RetryMode.SAFE, params or None)
        result: dict[str, Any] = await self._json(call, auth, dict)
        return result

    async def get_messages(
        self,
        auth: TokenProvider,
        user_id: int,
        chat_id: str,
        *,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[Any] | dict[str, Any]:
        """`GET /messenger/v3/.../messages/`: a bare array per the spec (some answers wrap it)."""
        params: dict[str, str] = {}
        if limit is not None:
            params["limit"] = str(limit)
        if offset is not None:
            params["offset"] = str(offset)
        path = (
            f"/messenger/v3/accounts/{check_id('user_id', user_id)}"
            f"/chats/{check_chat_id(chat_id)}/messages/"
        )
        call = Call("getMessagesV3", "GET", path, RetryMode.SAFE, params or None)
        result: list[Any] | dict[str, Any] = await self._json(call, auth, (list, dict))
        return result

    async def send_message(
        self, auth: TokenProvider, user_id: int, chat_id: str, text: str
    ) -> dict[str, Any]:
        """Never retried in place: a lost answer may have sent the message already."""
        if not text or len(text) > MAX_TEXT:
            raise ValueError(f"text must be 1..{MAX_TEXT} characters")
        path = (
            f"/messenger/v1/accounts/{check_id('user_id', user_id)}"
            f"/chats/{check_chat_id(chat_id)}/messages"
        )
        body = {"message": {"text": text}, "type": "text"}
        call = Call("postSendMessage", "POST", path, RetryMode.NEVER, json=body)
        result: dict[str, Any] = await self._json(call, auth, dict)
        return result

    async def read_chat(self, auth: TokenProvider, user_id: int, chat_id: str) -> None:
        path = (
            f"/messenger/v1/accounts/{check_id('user_id', user_id)}"
            f"/chats/{check_chat_id(chat_id)}/read"
        )
        await self._requests.send(Call("chatRead", "POST", path, RetryMode.SAFE), auth)

    async def subscribe_webhook(self, auth: TokenProvider, url: str) -> None:
        """`POST /messenger/v3/webhook`: Avito posts the account's new messages to `url`."""
        body = {"url": url}
        call = Call("postWebhookV3", "POST", "/messenger/v3/webhook", RetryMode.SAFE, json=body)
        await self._requests.send(call, auth)

    async def unsubscribe_webhook(self, auth: TokenProvider, url: str) -> None:
        call = Call(
            "postWebhookUnsubscribe",
            "POST",
            "/messenger/v1/webhook/unsubscribe",
            RetryMode.SAFE,
            json={"url": url},
        )
        await self._requests.send(call, auth)

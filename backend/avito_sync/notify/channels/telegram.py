"""Telegram channel: Bot API `sendMessage` (HTML parse mode) to the chat in the channel's config.

The bot token belongs to the deployment (env `TELEGRAM_BOT_TOKEN`), never to a channel row,
and appears only in the request path; nothing here logs or stores the URL.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from avito_sync.notify.channels.base import DeliveryError, Message, retry_after_header


class TelegramConfig(BaseModel):
    """`config` of a telegram channel: a numeric chat id or a public @channel name."""

    model_config = ConfigDict(extra="ignore")

    chat_id: int | str = Field(union_mode="left_to_right")

    def target(self) -> int | str:
        if isinstance(self.chat_id, int):
            return self.chat_id
        value = self.chat_id.strip()
        if value.lstrip("-").isdigit():
            return int(value)
        if value.startswith("@") and 5 <= len(value) <= 33 and value[1:].replace("_", "").isalnum():
            return value
        raise ValueError("chat_id must be a number or an @channel name")


def parse_config(config: dict[str, Any]) -> int | str:
    try:
        return TelegramConfig.model_validate(config).target()
    except (ValidationError, ValueError):
        raise DeliveryError("telegram: invalid channel config", retryable=False) from None


class TelegramSender:
    def __init__(self, client: httpx.AsyncClient, api_url: str, token: SecretStr | None) -> None:
        self._client = client
        self._api_url = api_url.rstrip("/")
        self._token = token

    async def send(self, message: Message) -> None:
        chat_id = parse_config(message.delivery.channel_config)
        if self._token is None:
            raise DeliveryError("telegram: TELEGRAM_BOT_TOKEN is not set", retryable=True)
        await send_text(
            self._client, self._api_url, self._token, chat_id, message.rendered.telegram_html()
        )


async def send_text(
    client: httpx.AsyncClient, api_url: str, token: SecretStr, chat_id: int | str, html: str
) -> None:
    """One `sendMessage` in HTML parse mode (the caller escaped every piece of data)."""
    url = f"{api_url.rstrip('/')}/bot{token.get_secret_value()}/sendMessage"
    body = {
        "chat_id": chat_id,
        "text": html,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    try:
        response = await client.post(url, json=body)
    except httpx.TimeoutException:
        raise DeliveryError("telegram: timeout", retryable=True) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise DeliveryError(f"telegram: {type(exc).__name__}", retryable=True) from None
    _check(response)


def _check(response: httpx.Response) -> None:
    status = response.status_code
    try:
        answer = response.json()
    except ValueError:
        answer = None
    ok = isinstance(answer, dict) and answer.get("ok") is True
    if 200 <= status < 300 and ok:
        return
    if status == 429:
        params = answer.get("parameters") if isinstance(answer, dict) else None
        retry_after = params.get("retry_after") if isinstance(params, dict) else None
        wait = (
            float(retry_after)
            if isinstance(retry_after, int | float) and not isinstance(retry_after, bool)
            else retry_after_header(response.headers.get("retry-after"))
        )
        raise DeliveryError("telegram: HTTP 429", retryable=True, retry_after=wait)
    # 400 (chat not found, bad request) and 403 (bot blocked or kicked) will not get better by
    # retrying; 401/404 mean the deployment's token is wrong, which an operator can fix.
    raise DeliveryError(f"telegram: HTTP {status}", retryable=status not in (400, 403))

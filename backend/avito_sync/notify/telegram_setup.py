"""`avito-sync setup`: register the bot's webhook with Telegram when a bot token is configured,
so `/start <token>` from a deep link reaches `POST /telegram/webhook`."""

from __future__ import annotations

import httpx

from avito_sync.notify.channel_settings import ChannelSettings


class TelegramSetupError(Exception):
    """A message for the operator; never contains the token."""


async def register_webhook(settings: ChannelSettings, service_url: str) -> str | None:
    """The URL registered, or None when no bot token is configured."""
    token = settings.telegram_bot_token
    if token is None:
        return None
    if settings.telegram_webhook_secret is None:
        raise TelegramSetupError("TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_BOT_TOKEN")
    url = settings.telegram_webhook_url or f"{service_url.rstrip('/')}/telegram/webhook"
    api = f"{settings.telegram_api_url}/bot{token.get_secret_value()}/setWebhook"
    body = {
        "url": url,
        "secret_token": settings.telegram_webhook_secret.get_secret_value(),
        "allowed_updates": ["message"],
    }
    try:
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            response = await client.post(api, json=body)
    except httpx.HTTPError as exc:
        raise TelegramSetupError(f"Telegram setWebhook failed: {type(exc).__name__}") from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200 or not isinstance(answer, dict) or answer.get("ok") is not True:
        description = answer.get("description") if isinstance(answer, dict) else None
        raise TelegramSetupError(
            f"Telegram setWebhook failed: HTTP {response.status_code}"
            + (f" ({str(description)[:200]})" if description else "")
        )
    return url

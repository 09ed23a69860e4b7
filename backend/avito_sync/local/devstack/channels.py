"""Dev stack: the Telegram Bot API and Web Push stand-ins as children, and what the service
and the notifier need to reach them (bot username, API URL, webhook URL, VAPID subject).

The demo flow: `channel-telegram-link` gives a t.me link whose `start` token the developer
"types" into the stand-in (`POST <telegram>/_telegram/chats/<id>/send {"text": "/start …"}`);
the bot's answers and every notification then print as `telegram`, decrypted pushes as `push`.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from avito_sync.local.devstack.config import HOST, DevConfig
from avito_sync.local.devstack.processes import Supervisor

BOT_USERNAME = "avito_sync_dev_bot"
APP_URL = "http://127.0.0.1:5173"


def generated_secrets() -> dict[str, str]:
    """Dev-only secrets for `.local/dev.env`: a fake bot token, the webhook secret, a VAPID key."""
    key = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return {
        "TELEGRAM_BOT_TOKEN": "100000001:dev-" + secrets.token_urlsafe(30),
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "AVITO_SYNC_VAPID_PRIVATE_KEY": (
            base64.urlsafe_b64encode(key.to_bytes(32, "big")).rstrip(b"=").decode()
        ),
    }


def channel_env(config: DevConfig) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
        "AVITO_SYNC_TELEGRAM_API_URL": f"http://{HOST}:{config.telegram_port}",
        "AVITO_SYNC_TELEGRAM_WEBHOOK_URL": f"{config.api_url}/telegram/webhook",
        "AVITO_SYNC_VAPID_SUBJECT": "mailto:dev@avito-sync.local",
        "AVITO_SYNC_APP_URL": APP_URL,
    }


def starters(
    config: DevConfig, env: dict[str, str], supervisor: Supervisor
) -> list[Callable[[], Coroutine[Any, Any, object]]]:
    """The two stand-ins, started with the first phase (setup registers the bot's webhook)."""
    return [
        lambda: supervisor.start(
            "telegram",
            ["telegram-local", "--host", HOST, "--port", str(config.telegram_port)],
            env,
            ready_line="telegram-local ready on",
        ),
        lambda: supervisor.start(
            "push",
            ["push-local", "--host", HOST, "--port", str(config.push_port)],
            env,
            ready_line="push-local ready on",
        ),
    ]

"""`avito-sync telegram-local` and `avito-sync push-local`: LOCAL ONLY stand-ins (dev stack)."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer
import uvicorn

from avito_sync.local.standins import push, telegram

Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
Host = Annotated[str, typer.Option(help="Interface to bind (keep it on loopback).")]


def telegram_local_command(
    port: Port = 8792,
    host: Host = "127.0.0.1",
    username: Annotated[str, typer.Option(help="The bot's @username.")] = "avito_sync_dev_bot",
) -> None:
    """A Telegram Bot API stand-in; accepts only the bot token in TELEGRAM_BOT_TOKEN and prints
    every message the bot sends."""
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise typer.BadParameter("TELEGRAM_BOT_TOKEN must be set")

    def show(message: dict[str, Any]) -> None:
        typer.echo(f"bot -> chat {message['chat_id']}:\n{message['shown']}", err=False)

    app = telegram.create_app(telegram.TelegramState(token, username), show)
    typer.echo(f"telegram-local ready on http://{host}:{port} (bot @{username})")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def push_local_command(port: Port = 8793, host: Host = "127.0.0.1") -> None:
    """A Web Push service stand-in that verifies VAPID, decrypts and prints every push."""

    def show(message: dict[str, Any]) -> None:
        typer.echo("push (decrypted): " + json.dumps(message, ensure_ascii=False))

    base = f"http://{host}:{port}"
    app = push.create_app(push.PushState(), lambda: base, show)
    typer.echo(f"push-local ready on {base}")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)

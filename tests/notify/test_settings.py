"""Notifier settings: defaults, derived Realtime URL, refused values, secrets never shown."""

from __future__ import annotations

import os

import pytest

from avito_sync.notify.settings import NotifySettingsError, load_notify_settings

DB = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("AVITO_SYNC_", "SUPABASE_")) or name in (
            "DATABASE_URL",
            "TELEGRAM_BOT_TOKEN",
        ):
            monkeypatch.delenv(name)


def test_realtime_url_is_derived_from_the_supabase_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", DB)
    monkeypatch.setenv("SUPABASE_URL", "https://abc.supabase.co/")
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "service-role-key-value")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:bot-token-value")

    settings = load_notify_settings()

    assert settings.source == "realtime"
    assert settings.realtime_endpoint == "https://abc.supabase.co/realtime/v1"
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.webhook_http_hosts == frozenset()
    shown = repr(settings)
    assert "bot-token-value" not in shown
    assert "service-role-key-value" not in shown


def test_the_standin_url_overrides_and_blank_secrets_count_as_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", DB)
    monkeypatch.setenv("AVITO_SYNC_REALTIME_URL", "ws://127.0.0.1:54340/realtime/v1")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "  ")
    monkeypatch.setenv("AVITO_SYNC_NOTIFY_WEBHOOK_HTTP_HOSTS", "127.0.0.1, localhost,::1")

    settings = load_notify_settings()

    assert settings.realtime_endpoint == "ws://127.0.0.1:54340/realtime/v1"
    assert settings.telegram_bot_token is None
    assert settings.webhook_http_hosts == frozenset({"127.0.0.1", "localhost", "::1"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: must be a postgresql:// URL"),
        ("AVITO_SYNC_NOTIFY_WEBHOOK_HTTP_HOSTS", "10.0.0.5", "is not a loopback host"),
        ("AVITO_SYNC_TELEGRAM_API_URL", "api.telegram.org", "AVITO_SYNC_TELEGRAM_API_URL"),
        ("AVITO_SYNC_NOTIFY_BACKOFF_CAP_SECONDS", "1", "must be >= the base"),
        ("AVITO_SYNC_NOTIFY_SOURCE", "kafka", "AVITO_SYNC_NOTIFY_SOURCE"),
    ],
)
def test_bad_values_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", DB)
    monkeypatch.setenv("AVITO_SYNC_NOTIFY_SOURCE", "listen")
    monkeypatch.setenv(name, value)

    with pytest.raises(NotifySettingsError, match=message):
        load_notify_settings()

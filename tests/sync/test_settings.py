"""The worker's settings: the full-push period and errors that name the variable."""

from __future__ import annotations

import datetime as dt

import pytest

from avito_sync.sync.settings import SyncSettingsError, load_sync_settings

DB = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", DB)
    monkeypatch.delenv("AVITO_SYNC_FULL_PUSH_HOURS", raising=False)


def test_a_full_push_every_six_hours_by_default() -> None:
    assert load_sync_settings().full_push_every == dt.timedelta(hours=6)


def test_the_full_push_period_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AVITO_SYNC_FULL_PUSH_HOURS", "1.5")
    assert load_sync_settings().full_push_every == dt.timedelta(minutes=90)


@pytest.mark.parametrize("value", ["0", "-2", "soon"])
def test_a_bad_full_push_period_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("AVITO_SYNC_FULL_PUSH_HOURS", value)
    with pytest.raises(SyncSettingsError, match="AVITO_SYNC_FULL_PUSH_HOURS: "):
        load_sync_settings()


def test_a_missing_database_url_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(SyncSettingsError, match="DATABASE_URL: is required but not set"):
        load_sync_settings()

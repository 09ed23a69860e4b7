"""Environment configuration: defaults, parsing and errors that name the variable."""

from __future__ import annotations

import os

import pytest

from avito_sync.avito.settings import DEFAULT_SCOPES, AvitoSettingsError, load_avito_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("AVITO_"):
            monkeypatch.delenv(name)


def test_defaults_point_at_real_avito(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVITO_CLIENT_ID", "cid")
    monkeypatch.setenv("AVITO_CLIENT_SECRET", "csecret")
    settings = load_avito_settings()
    assert settings.api_base_url == "https://api.avito.ru"
    assert settings.oauth_base_url == "https://avito.ru"
    assert settings.scopes == DEFAULT_SCOPES
    assert settings.redirect_uri is None
    assert settings.client_secret.get_secret_value() == "csecret"
    assert "csecret" not in repr(settings)


def test_env_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVITO_CLIENT_ID", "cid")
    monkeypatch.setenv("AVITO_CLIENT_SECRET", "csecret")
    monkeypatch.setenv("AVITO_SCOPES", "user:read, items:info")
    monkeypatch.setenv("AVITO_API_BASE_URL", "http://127.0.0.1:8790/")
    monkeypatch.setenv("AVITO_REDIRECT_URI", "http://127.0.0.1:3000/avito/callback")
    monkeypatch.setenv("AVITO_ACCOUNT_RATE_PER_SECOND", "0.5")
    settings = load_avito_settings()
    assert settings.scopes == ("user:read", "items:info")
    assert settings.api_base_url == "http://127.0.0.1:8790"
    assert settings.redirect_uri == "http://127.0.0.1:3000/avito/callback"
    assert settings.account_rate_per_second == 0.5


def test_missing_credentials_name_the_variables() -> None:
    with pytest.raises(AvitoSettingsError) as info:
        load_avito_settings()
    assert "AVITO_CLIENT_ID" in str(info.value)
    assert "AVITO_CLIENT_SECRET" in str(info.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AVITO_API_BASE_URL", "ftp://api.avito.ru"),
        ("AVITO_OAUTH_BASE_URL", "avito.ru"),
        ("AVITO_REDIRECT_URI", "not a url"),
        ("AVITO_SCOPES", "user read"),
        ("AVITO_SCOPES", " , "),
        ("AVITO_MAX_ATTEMPTS", "0"),
        ("AVITO_ITEMS_RATE_PER_MINUTE", "30"),
        ("AVITO_ITEMS_PER_PAGE", "100"),
        ("AVITO_READ_TIMEOUT_SECONDS", "-1"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("AVITO_CLIENT_ID", "cid")
    monkeypatch.setenv("AVITO_CLIENT_SECRET", "csecret")
    monkeypatch.setenv(variable, value)
    with pytest.raises(AvitoSettingsError, match=variable):
        load_avito_settings()


def test_secret_never_appears_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVITO_CLIENT_ID", "")
    monkeypatch.setenv("AVITO_CLIENT_SECRET", "very-secret-value")
    monkeypatch.setenv("AVITO_MAX_ATTEMPTS", "very-secret-value")
    with pytest.raises(AvitoSettingsError) as info:
        load_avito_settings()
    assert "very-secret-value" not in str(info.value)
    assert "AVITO_CLIENT_ID" in str(info.value)

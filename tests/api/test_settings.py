"""The service refuses to start on a missing or malformed variable and names it."""

from __future__ import annotations

import pytest

from avito_sync.api.settings import ServiceSettingsError, load_service_settings

GOOD = {
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
    "SUPABASE_URL": "https://abc.supabase.co/",
    "AVITO_SYNC_STATE_SECRET": "s" * 40,
}
ALL = [
    *GOOD,
    "SUPABASE_JWKS_URL",
    "SUPABASE_JWT_ISSUER",
    "SUPABASE_JWT_SECRET",
    "AVITO_SYNC_CORS_ORIGINS",
    "AVITO_SYNC_APP_REDIRECT_URL",
    "AVITO_SYNC_RUN_WORKER",
    "AVITO_SYNC_LOG_LEVEL",
    "AVITO_SYNC_JWKS_CACHE_SECONDS",
    "AVITO_SYNC_ACCEPT_APP_STATE",
    "AVITO_SYNC_MIGRATIONS_DIR",
    "AVITO_SYNC_FORWARDER_SECRET",
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ALL:
        monkeypatch.delenv(name, raising=False)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_defaults_derive_from_the_supabase_url(env: pytest.MonkeyPatch) -> None:
    settings = load_service_settings()
    assert settings.effective_jwks_url == "https://abc.supabase.co/auth/v1/.well-known/jwks.json"
    assert settings.effective_issuer == "https://abc.supabase.co/auth/v1"
    assert settings.jwt_secret is None
    assert settings.cors_origins == ["*"]
    assert settings.run_worker is True
    assert settings.app_redirect_url == "https://app.roomi.pro/auth/avito-callback"
    assert settings.accept_app_state is True
    assert settings.migrations_dir is None
    assert settings.forwarder_secret is None


def test_explicit_values_are_parsed(env: pytest.MonkeyPatch) -> None:
    env.setenv("AVITO_SYNC_CORS_ORIGINS", "https://app.roomi.pro, http://localhost:5173/")
    env.setenv("AVITO_SYNC_RUN_WORKER", "false")
    env.setenv("SUPABASE_JWKS_URL", "http://127.0.0.1:9/jwks")
    env.setenv("SUPABASE_JWT_ISSUER", "http://127.0.0.1:9/auth/v1")
    settings = load_service_settings()
    assert settings.cors_origins == ["https://app.roomi.pro", "http://localhost:5173"]
    assert settings.run_worker is False
    assert settings.effective_jwks_url == "http://127.0.0.1:9/jwks"
    assert settings.effective_issuer == "http://127.0.0.1:9/auth/v1"


@pytest.mark.parametrize("name", list(GOOD))
def test_missing_required_variable_is_named(env: pytest.MonkeyPatch, name: str) -> None:
    env.delenv(name)
    with pytest.raises(ServiceSettingsError, match=f"{name}: is required"):
        load_service_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("SUPABASE_URL", "abc.supabase.co"),
        ("SUPABASE_JWKS_URL", "ftp://x/jwks"),
        ("SUPABASE_JWT_SECRET", "short"),
        ("AVITO_SYNC_STATE_SECRET", "too-short"),
        ("AVITO_SYNC_FORWARDER_SECRET", "too-short"),
        ("AVITO_SYNC_CORS_ORIGINS", "app.roomi.pro"),
        ("AVITO_SYNC_CORS_ORIGINS", " , "),
        ("AVITO_SYNC_APP_REDIRECT_URL", "/relative"),
        ("AVITO_SYNC_RUN_WORKER", "maybe"),
        ("AVITO_SYNC_LOG_LEVEL", "LOUD"),
        ("AVITO_SYNC_JWKS_CACHE_SECONDS", "1"),
        ("AVITO_SYNC_ACCEPT_APP_STATE", "perhaps"),
        ("AVITO_SYNC_MIGRATIONS_DIR", "/nonexistent/migrations"),
    ],
)
def test_malformed_variable_is_named(env: pytest.MonkeyPatch, name: str, value: str) -> None:
    env.setenv(name, value)
    with pytest.raises(ServiceSettingsError, match=f"^{name}: "):
        load_service_settings()


def test_secrets_reach_neither_the_repr_nor_the_error(env: pytest.MonkeyPatch) -> None:
    env.setenv("SUPABASE_JWT_SECRET", "j" * 40)
    env.setenv("AVITO_SYNC_FORWARDER_SECRET", "f" * 40)
    env.setenv("DATABASE_URL", "postgresql://app:db-password-1@127.0.0.1:5432/postgres")
    settings = load_service_settings()
    assert "db-password-1" not in repr(settings)
    assert settings.forwarder_secret is not None
    assert settings.forwarder_secret.get_secret_value() == "f" * 40
    assert "s" * 40 not in repr(settings)
    assert "j" * 40 not in repr(settings)
    assert "f" * 40 not in repr(settings)

    env.setenv("AVITO_SYNC_STATE_SECRET", "short-state-secret")
    with pytest.raises(ServiceSettingsError) as info:
        load_service_settings()
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    assert "short-state-secret" not in str(info.value)

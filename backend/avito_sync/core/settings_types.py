"""Field types the settings classes share: one rule, and one message, per kind of value.

Each is an `Annotated` type, so a settings field says what it holds (`HttpUrl`, `Secret32`)
instead of carrying its own validator. Secrets are `SecretStr`: a settings object printed or
logged shows `**********`, and code that needs the value asks for `.get_secret_value()`.
Optional variants treat an empty or blank variable as not set.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MIN_SECRET_LENGTH = 32


def blank_is_none(value: Any) -> Any:
    """An empty or blank variable (string or secret) counts as not set."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    return None if isinstance(text, str) and not text.strip() else value


def _url(value: str, schemes: tuple[str, ...], what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"must be an absolute {what} URL")
    return value


def http_url(value: str) -> str:
    return _url(value, ("http", "https"), "http(s)").rstrip("/")


def _ws_or_http_url(value: str) -> str:
    return _url(value, ("http", "https", "ws", "wss"), "http(s) or ws(s)").rstrip("/")


def _bare(value: str) -> str:
    parts = urlsplit(value)
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or fragment")
    return value


def _redirect_uri(value: str) -> str:
    return _bare(_url(value, ("http", "https"), "http(s)"))


def _postgres_url(value: str) -> str:
    if urlsplit(value).scheme not in {"postgres", "postgresql"}:
        raise ValueError("must be a postgresql:// URL")
    return value


def _secret32(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < MIN_SECRET_LENGTH:
        raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters")
    return value


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


# An absolute http(s) URL, without its trailing slash (a base the code appends paths to).
HttpUrl = Annotated[str, AfterValidator(http_url)]
OptionalHttpUrl = Annotated[HttpUrl | None, BeforeValidator(blank_is_none)]
# A base URL that must also carry no query or fragment (Avito's API and OAuth hosts).
BareHttpUrl = Annotated[str, AfterValidator(http_url), AfterValidator(_bare)]
# An OAuth redirect URI: compared byte for byte by the provider, so kept exactly as given.
RedirectUri = Annotated[str, AfterValidator(_redirect_uri)]
OptionalRedirectUri = Annotated[RedirectUri | None, BeforeValidator(blank_is_none)]
# A Realtime endpoint: the local stand-in speaks ws://, Supabase is reached over https://.
OptionalWsUrl = Annotated[
    Annotated[str, AfterValidator(_ws_or_http_url)] | None, BeforeValidator(blank_is_none)
]
# `DATABASE_URL`; it usually carries a password, so it stays out of the settings' repr.
PostgresUrl = Annotated[str, AfterValidator(_postgres_url), Field(repr=False)]
# A signing or shared secret: long enough that guessing it is hopeless.
Secret32 = Annotated[SecretStr, AfterValidator(_secret32)]
OptionalSecret32 = Annotated[Secret32 | None, BeforeValidator(blank_is_none)]
# Any other secret that may be unset (a bot token, a private key, a service key).
OptionalSecret = Annotated[SecretStr | None, BeforeValidator(blank_is_none)]
LogLevel = Annotated[str, AfterValidator(_log_level)]

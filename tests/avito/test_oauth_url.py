"""The authorize URL Avito expects: comma-joined scopes, state and redirect_uri passed through."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.avito.client import AvitoClient
from avito_sync.avito.oauth import build_authorize_url
from avito_sync.avito.settings import AvitoSettings


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_default_scopes_are_comma_separated() -> None:
    url = build_authorize_url(
        "https://avito.ru",
        client_id="cid",
        scopes=("user:read", "short_term_rent:read"),
        state="st-1",
        redirect_uri="https://app.example/cb?x=1",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "avito.ru", "/oauth")
    assert _query(url) == {
        "response_type": ["code"],
        "client_id": ["cid"],
        "scope": ["user:read,short_term_rent:read"],
        "state": ["st-1"],
        "redirect_uri": ["https://app.example/cb?x=1"],
    }
    assert "scope=user:read,short_term_rent:read" in url


@given(state=st.text(min_size=1, max_size=200))
def test_any_state_round_trips_unchanged(state: str) -> None:
    url = build_authorize_url(
        "http://127.0.0.1:8790/", client_id="c", scopes=("user:read",), state=state
    )
    assert url.startswith("http://127.0.0.1:8790/oauth?")
    assert _query(url)["state"] == [state]
    assert "redirect_uri" not in _query(url)


def test_state_and_scopes_are_required() -> None:
    with pytest.raises(ValueError, match="state"):
        build_authorize_url("https://avito.ru", client_id="c", scopes=("user:read",), state="")
    with pytest.raises(ValueError, match="scope"):
        build_authorize_url("https://avito.ru", client_id="c", scopes=(), state="s")


async def test_client_uses_settings_unless_overridden() -> None:
    settings = AvitoSettings(
        client_id="cid",
        client_secret="secret-xyz",
        redirect_uri="https://app.example/avito/callback",
        oauth_base_url="http://127.0.0.1:9999",
    )
    async with AvitoClient(settings) as client:
        default = _query(client.authorize_url("s"))
        custom = _query(
            client.authorize_url(
                "s", redirect_uri="https://other.example/cb", scopes=["items:info"]
            )
        )
    assert default["scope"] == ["user:read,short_term_rent:read,short_term_rent:write,items:info"]
    assert default["redirect_uri"] == ["https://app.example/avito/callback"]
    assert custom["scope"] == ["items:info"]
    assert custom["redirect_uri"] == ["https://other.example/cb"]
    assert "secret-xyz" not in client.authorize_url("s")

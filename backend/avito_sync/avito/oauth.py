"""Building Avito's authorize URL (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode


def build_authorize_url(
    oauth_base_url: str,
    *,
    client_id: str,
    scopes: Sequence[str],
    state: str,
    redirect_uri: str | None = None,
) -> str:
    """`{base}/oauth?response_type=code&client_id=..&scope=a,b&state=..[&redirect_uri=..]`.

    Avito joins scopes with commas, not spaces. `redirect_uri` is undocumented but tolerated;
    when sent it must equal the registered URI exactly.
    """
    if not state:
        raise ValueError("state must not be empty (it protects the callback against CSRF)")
    if not scopes:
        raise ValueError("at least one scope is required")
    params = {
        "response_type": "code",
        "client_id": client_id,
        "scope": ",".join(scopes),
        "state": state,
    }
    if redirect_uri:
        params["redirect_uri"] = redirect_uri
    return f"{oauth_base_url.rstrip('/')}/oauth?{urlencode(params, safe=',:')}"

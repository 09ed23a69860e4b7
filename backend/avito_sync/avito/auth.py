"""How account-scoped calls obtain access tokens.

The client never stores tokens: it asks a `TokenProvider` for one before a call and, when Avito
answers 401/403, once more with `force_refresh=True`. Providers own refreshing, its
single-flight locking and the persistence of rotated refresh tokens.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class TokenProvider(Protocol):
    @property
    def account_key(self) -> str:
        """Identifies the Avito account (rate limiting and logs); not a secret."""
        ...

    async def access_token(self, *, force_refresh: bool = False) -> str:
        """A usable access token. With `force_refresh`, a new one even if the current one
        looks valid; return the same token when no refresh is possible."""
        ...


class StaticToken:
    """A fixed access token (client_credentials scripts, tests). It cannot be refreshed, so
    a 401/403 with it raises `TokenExpiredError` at once."""

    def __init__(self, token: str, account_key: str) -> None:
        if not token:
            raise ValueError("token must not be empty")
        self._token = token
        self._account_key = account_key

    def __repr__(self) -> str:
        return f"StaticToken(account_key={self._account_key!r})"

    @property
    def account_key(self) -> str:
        return self._account_key

    async def access_token(self, *, force_refresh: bool = False) -> str:
        return self._token

"""A real refreshing TokenProvider for the integration tests (test helper).

Holds the tokens of one OAuth connection in memory and refreshes them through the client
under the test, as the sync engine's Vault-backed provider does with storage.
"""

from __future__ import annotations

import asyncio

from pydantic import SecretStr

from avito_sync.avito.client import AvitoClient
from avito_sync.avito.models import TokenResponse


class ConnectionTokens:
    def __init__(self, client: AvitoClient, token: TokenResponse, account_key: str) -> None:
        if token.refresh_token is None:
            raise ValueError("an OAuth connection needs a refresh token")
        self._client = client
        self._access = token.access_token
        self._refresh: SecretStr = token.refresh_token
        self._account_key = account_key
        self._lock = asyncio.Lock()
        self.refreshes = 0

    @property
    def account_key(self) -> str:
        return self._account_key

    @property
    def current_access_token(self) -> str:
        return self._access.get_secret_value()

    @property
    def current_refresh_token(self) -> str:
        return self._refresh.get_secret_value()

    async def access_token(self, *, force_refresh: bool = False) -> str:
        if force_refresh:
            async with self._lock:
                token = await self._client.refresh(self._refresh)
                self.refreshes += 1
                self._access = token.access_token
                self._refresh = token.refresh_token or self._refresh
        return self._access.get_secret_value()

"""The project's JSON Web Key Set, cached like Supabase's own edges cache it (~10 minutes).

An unknown `kid` triggers one refetch (keys rotate), but at most once per cooldown so
that tokens with random key ids cannot make us hammer the JWKS endpoint.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt

from avito_sync.core.logs import get_logger

log = get_logger(__name__)

ASYMMETRIC_ALGORITHMS = frozenset({"ES256", "RS256"})


class JwksUnavailableError(RuntimeError):
    """The key set could not be fetched or parsed."""


class JwksCache:
    def __init__(
        self,
        url: str,
        http: httpx.AsyncClient,
        *,
        ttl_seconds: float = 600.0,
        refetch_cooldown_seconds: float = 30.0,
    ) -> None:
        self._url = url
        self._http = http
        self._ttl = ttl_seconds
        self._cooldown = refetch_cooldown_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._last_forced: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The verification key for `kid`, or None when the project has no such key."""
        now = time.monotonic()
        if self._fetched_at is None or now - self._fetched_at > self._ttl:
            await self._refresh(expected_at=self._fetched_at)
        if kid in self._keys:
            return self._keys[kid]
        if self._last_forced is None or now - self._last_forced > self._cooldown:
            self._last_forced = now
            await self._refresh(expected_at=self._fetched_at)
        return self._keys.get(kid)

    async def _refresh(self, *, expected_at: float | None) -> None:
        async with self._lock:
            if self._fetched_at != expected_at:
                return  # another request refreshed while we waited
            self._keys = await self._fetch()
            self._fetched_at = time.monotonic()

    async def _fetch(self) -> dict[str, jwt.PyJWK]:
        try:
            response = await self._http.get(self._url, timeout=5.0)
            response.raise_for_status()
            document: Any = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("jwks_fetch_failed", error_type=type(error).__name__)
            raise JwksUnavailableError(str(error)) from error
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            log.warning("jwks_malformed")
            raise JwksUnavailableError("the key set has no list of keys")
        keys: dict[str, jwt.PyJWK] = {}
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                continue
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue
            if key.algorithm_name in ASYMMETRIC_ALGORITHMS:
                keys[entry["kid"]] = key
        return keys

"""Typed async client for Avito's OAuth, account, items and short-term-rent APIs."""

from avito_sync.avito.auth import StaticToken, TokenProvider
from avito_sync.avito.client import AvitoClient
from avito_sync.avito.settings import AvitoSettings, load_avito_settings
from avito_sync.avito.stats import CallStats, track_calls

__all__ = [
    "AvitoClient",
    "AvitoSettings",
    "CallStats",
    "StaticToken",
    "TokenProvider",
    "load_avito_settings",
    "track_calls",
]

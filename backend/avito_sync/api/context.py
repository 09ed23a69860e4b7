"""What every request handler needs, built once per process by the app's lifespan."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import AsyncConnectionPool

from avito_sync.api.auth import JwtVerifier
from avito_sync.api.metrics import ServiceMetrics
from avito_sync.api.responses import SyncAnswer
from avito_sync.api.settings import ServiceSettings
from avito_sync.api.user_limits import DEFAULT_LIMITS, UserLimits, parse_limits
from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.client import AvitoClient
from avito_sync.core.clock import utc_now
from avito_sync.notify.kit import ChannelKit

SyncRunner = Callable[[uuid.UUID, str], Awaitable[SyncAnswer]]
"""Run one sync of an integration now (trigger: initial | manual); returns its summary."""


@dataclass
class ServiceContext:
    settings: ServiceSettings
    pool: AsyncConnectionPool[Any]
    verifier: JwtVerifier
    avito: AvitoClient
    tokens: Callable[[uuid.UUID], TokenProvider]
    run_sync: SyncRunner
    metrics: ServiceMetrics
    channels: ChannelKit
    clock: Callable[[], dt.datetime] = utc_now
    limits: UserLimits = field(default_factory=lambda: UserLimits(parse_limits(DEFAULT_LIMITS)))

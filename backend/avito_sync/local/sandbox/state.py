"""The sandbox's mutable state: the persisted world plus runtime-only parts (faults, log).

Handlers run on one event loop and never await while mutating, so no lock is needed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import secrets
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from avito_sync.local.sandbox import calendar
from avito_sync.local.sandbox.config import (
    DEMO_ACCOUNT_ID,
    DEMO_APPLICATION_NAME,
    DEMO_ITEM_IDS,
    SandboxConfig,
)
from avito_sync.local.sandbox.models import (
    PROJECT_SCOPES,
    AccessToken,
    Account,
    Application,
    Grant,
    GuestBooking,
    Listing,
    RefreshToken,
    Settings,
    World,
)
from avito_sync.local.sandbox.schemas import FaultRule, RequestLogEntry

MOSCOW = ZoneInfo("Europe/Moscow")
REQUEST_LOG_SIZE = 2000


@dataclass
class Runtime:
    """State that is never persisted: fault rules, request log, rate-limit windows."""

    faults: dict[int, FaultRule] = field(default_factory=dict)
    fault_hits: dict[int, int] = field(default_factory=dict)
    fault_added: dict[int, dt.datetime] = field(default_factory=dict)
    # Hold rules: the gate their requests wait at (set = released) and how many wait now.
    gates: dict[int, asyncio.Event] = field(default_factory=dict)
    waiting: dict[int, int] = field(default_factory=dict)
    next_fault_id: int = 1
    log: deque[RequestLogEntry] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))
    next_log_seq: int = 1
    rate_windows: dict[str, deque[float]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    def release_holds(self, fault_ids: Iterable[int] | None = None) -> None:
        """Let every request waiting at these hold rules (all when None) go on."""
        for fault_id in list(self.gates) if fault_ids is None else fault_ids:
            gate = self.gates.get(fault_id)
            if gate is not None:
                gate.set()


def demo_world(config: SandboxConfig, now: dt.datetime) -> World:
    account = Account(
        id=DEMO_ACCOUNT_ID,
        name="Демо Хозяин",
        email="demo-host@example.com",
        phone="79990001122",
        profile_url=f"https://www.avito.ru/user/demo{DEMO_ACCOUNT_ID}/profile",
    )
    titles = ("Квартира-студия, 28 м², 5/9 эт.", "2-к. квартира, 54 м², 3/12 эт.")
    addresses = ("Москва, Лесная улица, 7", "Москва, Тверская улица, 12")
    listings = {
        item_id: Listing(
            id=item_id,
            account_id=account.id,
            title=title,
            address=address,
            price=3500 + 1500 * index,
            url=f"https://www.avito.ru/moskva/kvartiry/demo_{item_id}",
            start_time=now - dt.timedelta(days=90),
        )
        for index, (item_id, title, address) in enumerate(
            zip(DEMO_ITEM_IDS, titles, addresses, strict=True)
        )
    }
    application = Application(
        client_id=config.client_id,
        client_secret=config.client_secret,
        name=DEMO_APPLICATION_NAME,
        redirect_uri=config.redirect_uri,
        account_id=account.id,
    )
    return World(
        applications={application.client_id: application},
        accounts={account.id: account},
        listings=listings,
        settings=Settings(token_ttl_seconds=config.token_ttl_seconds),
    )


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.runtime = Runtime()
        loaded = self._load()
        self.world = loaded or demo_world(config, dt.datetime.now(dt.UTC))
        if loaded is not None:
            self._register_configured_application()
        self.runtime.rng.seed(self.world.settings.random_seed)

    # -- time -------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """Wall clock shifted by the control API's offset (tests expire things without sleeping)."""
        offset = dt.timedelta(seconds=self.world.settings.clock_offset_seconds)
        return dt.datetime.now(dt.UTC) + offset

    def today(self) -> dt.date:
        """Avito judges "not in the past" by the Moscow date."""
        return self.now().astimezone(MOSCOW).date()

    # -- persistence ------------------------------------------------------------------------

    def _load(self) -> World | None:
        path = self.config.state_file
        if path is None or not path.exists():
            return None
        try:
            return World.model_validate_json(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"state file {path} is not a readable sandbox state: {exc}") from None

    def _register_configured_application(self) -> None:
        """A persisted world keeps working when the configured credentials or redirect change."""
        existing = self.world.applications.get(self.config.client_id)
        account_id = existing.account_id if existing else None
        if account_id is None and DEMO_ACCOUNT_ID in self.world.accounts:
            account_id = DEMO_ACCOUNT_ID
        self.world.applications[self.config.client_id] = Application(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            name=existing.name if existing else DEMO_APPLICATION_NAME,
            redirect_uri=self.config.redirect_uri,
            account_id=account_id,
            scopes=existing.scopes if existing else list(PROJECT_SCOPES),
        )

    def save(self) -> None:
        path = self.config.state_file
        if path is None:
            return
        tmp = Path(f"{path}.tmp")
        tmp.write_text(self.world.model_dump_json(indent=1), "utf-8")
        tmp.replace(path)

    def reset(self) -> None:
        """Back to the demo world and default behaviour; faults, log and limits cleared."""
        self.world = demo_world(self.config, dt.datetime.now(dt.UTC))
        self.runtime.release_holds()
        self.runtime = Runtime()
        self.runtime.rng.seed(self.world.settings.random_seed)
        self.save()

    # -- tokens -----------------------------------------------------------------------------

    def issue_access_token(
        self,
        app: Application,
        account_id: int,
        scopes: list[str] | None,
        grant: Grant,
    ) -> AccessToken:
        token = AccessToken(
            token=secrets.token_urlsafe(24),
            client_id=app.client_id,
            account_id=account_id,
            scopes=scopes,
            expires_at=self.now() + dt.timedelta(seconds=self.world.settings.token_ttl_seconds),
            grant=grant,
        )
        self.world.access_tokens[token.token] = token
        return token

    def issue_refresh_token(self, app: Application, account_id: int, scopes: list[str]) -> str:
        token = RefreshToken(
            token=secrets.token_urlsafe(32),
            client_id=app.client_id,
            account_id=account_id,
            scopes=scopes,
        )
        self.world.refresh_tokens[token.token] = token
        return token.token

    # -- bookings and calendar ----------------------------------------------------------------

    def bookings_of(self, item_id: int) -> list[GuestBooking]:
        return sorted(
            (b for b in self.world.bookings.values() if b.item_id == item_id),
            key=lambda b: (b.check_in, b.id),
        )

    def paid_bookings_overlapping(self, item_id: int, rng: calendar.Range) -> list[GuestBooking]:
        return [
            b
            for b in self.bookings_of(item_id)
            if b.status == "active" and rng.overlaps(calendar.Range(b.check_in, b.check_out))
        ]

    def new_booking_id(self) -> int:
        booking_id = self.world.next_booking_id
        self.world.next_booking_id += 1
        return booking_id

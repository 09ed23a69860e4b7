"""The sandbox's world: what Avito would store, as pydantic models so it persists as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

BookingStatus = Literal["active", "pending", "canceled", "overbook"]
ListingStatus = Literal["active", "removed", "old", "blocked", "rejected"]
ClosureType = Literal["manual", "booking"]
Grant = Literal["client_credentials", "authorization_code", "refresh_token"]

PROJECT_SCOPES = (
    "user:read",
    "short_term_rent:read",
    "short_term_rent:write",
    "items:info",
    "messenger:read",
    "messenger:write",
)


class Application(BaseModel):
    """A registered OAuth application; ``account_id`` is whom its client_credentials act as."""

    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    redirect_uri: str = Field(min_length=1, max_length=2000)
    account_id: int | None = None
    scopes: list[str] = Field(default_factory=lambda: list(PROJECT_SCOPES))


class Account(BaseModel):
    id: int = Field(ge=1)
    name: str
    email: str
    phone: str
    profile_url: str


class Closure(BaseModel):
    """A day closed through POST core bookings."""

    type: ClosureType | None = None
    source: str | None = None
    comment: str | None = None


class DayPrice(BaseModel):
    night_price: int | None = None
    minimal_duration: int | None = None
    extra_guest_fee: int | None = None


class Listing(BaseModel):
    """An Avito item. ``open_days`` is None until the first intervals call (then: all open)."""

    id: int = Field(ge=1)
    account_id: int
    title: str
    address: str
    status: ListingStatus = "active"
    price: int | None = None
    url: str | None = None
    category_id: int = 24
    category_name: str = "Квартиры"
    start_time: dt.datetime
    open_days: dict[dt.date, int] | None = None
    closures: dict[dt.date, Closure] = Field(default_factory=dict)
    prices: dict[dt.date, DayPrice] = Field(default_factory=dict)
    base_params: dict[str, object] | None = None


class SafeDeposit(BaseModel):
    total_amount: int = Field(ge=0)
    tax: int = Field(ge=0)
    owner_amount: int = Field(ge=0)


class GuestBooking(BaseModel):
    """A booking a guest made on Avito (the only kind GET bookings returns)."""

    id: int = Field(ge=1)
    item_id: int
    check_in: dt.date
    check_out: dt.date
    status: BookingStatus
    guest_name: str
    guest_email: str
    guest_phone: str | None = None
    guest_count: int = Field(ge=1)
    base_price: int = Field(ge=0)
    safe_deposit: SafeDeposit | None = None


class AccessToken(BaseModel):
    token: str
    client_id: str
    account_id: int
    scopes: list[str] | None  # None: client_credentials, which needs no scope
    expires_at: dt.datetime
    grant: Grant


class RefreshToken(BaseModel):
    token: str
    client_id: str
    account_id: int
    scopes: list[str]
    active: bool = True


class AuthCode(BaseModel):
    code: str
    client_id: str
    account_id: int
    scopes: list[str]
    expires_at: dt.datetime
    used: bool = False


class Settings(BaseModel):
    """Behaviour switches, mostly for points Avito leaves uncertain (docs/avito-api.md §5)."""

    token_ttl_seconds: int = Field(default=86400, ge=1)
    code_ttl_seconds: int = Field(default=600, ge=1)
    conflict_mode: Literal["current", "legacy"] = "current"
    validation_status: Literal[400, 422] = 422
    refresh_reuse: bool = False
    # Avito's docs do not promise a refresh_token in the authorization_code answer.
    issue_refresh_tokens: bool = True
    overbook_visible: bool = False
    items_rate_limit: int = Field(default=25, ge=1)
    clock_offset_seconds: float = 0.0
    random_seed: int = 0
    lean: bool = False
    """Benchmarks: skip the OpenAPI schema checks of every request's parameters and body and
    the request log; Avito's semantics (auth, ownership, dates, calendar rules) stay."""


class ChatMessage(BaseModel):
    """A messenger message; ``author_id`` is the guest's or the account's Avito user id."""

    id: str
    author_id: int
    text: str
    created: int
    read: int | None = None  # when the account read it (guest messages only)


class Chat(BaseModel):
    """A u2i chat between a guest and the account that owns ``item_id``."""

    id: str
    account_id: int
    item_id: int
    guest_id: int
    guest_name: str
    created: int
    messages: list[ChatMessage] = Field(default_factory=list)


class World(BaseModel):
    applications: dict[str, Application] = Field(default_factory=dict)
    accounts: dict[int, Account] = Field(default_factory=dict)
    listings: dict[int, Listing] = Field(default_factory=dict)
    bookings: dict[int, GuestBooking] = Field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = Field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = Field(default_factory=dict)
    codes: dict[str, AuthCode] = Field(default_factory=dict)
    settings: Settings = Field(default_factory=Settings)
    next_booking_id: int = 7_000_000_001
    chats: dict[str, Chat] = Field(default_factory=dict)
    # Messenger webhook URLs by the account that subscribed them (POST /messenger/v3/webhook).
    webhooks: dict[int, list[str]] = Field(default_factory=dict)

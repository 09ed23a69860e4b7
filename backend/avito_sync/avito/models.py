"""Pydantic models of every Avito request and response the client uses, with the spec's names.

Ids are int64 although the specs say int32 in places (real item ids have 10–12 digits).
Response models ignore unknown fields so that Avito can add fields without breaking reads.
Guest contact fields are kept out of `repr` so that a logged model never carries them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

INT64_MAX = 2**63 - 1
Int64 = Annotated[int, Field(ge=-(2**63), le=INT64_MAX)]
AvitoId = Annotated[int, Field(ge=1, le=INT64_MAX)]
DEFAULT_EXPIRES_IN = 86400


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


def _json(value: Any) -> Any:
    if isinstance(value, _Request):
        return value.to_body()
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


class _Request(BaseModel):
    """A request object. Only fields the caller set are sent; `None` is sent as null only for
    fields the spec marks nullable (there it can mean "no limit"/"reset") and dropped
    elsewhere, where null would break the contract."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)
    _nullable: ClassVar[frozenset[str]] = frozenset()

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name not in self.model_fields_set or (value is None and name not in self._nullable):
                continue
            body[name] = _json(value)
        return body


# --- OAuth -------------------------------------------------------------------------------------


class TokenResponse(_Response):
    """Token endpoint answer. Secrets are `SecretStr` so that a logged response shows no token."""

    access_token: SecretStr = Field(min_length=1)
    expires_in: int = DEFAULT_EXPIRES_IN
    refresh_token: SecretStr | None = None
    scope: str | None = None
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret

    @field_validator("expires_in", mode="before")
    @classmethod
    def _expires_in(cls, value: Any) -> Any:
        # The spec types it as a number; Avito's documented lifetime is 24 h, not 1 h.
        if value is None:
            return DEFAULT_EXPIRES_IN
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("expires_in")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(s for s in (self.scope or "").split(",") if s)

    def expires_at(self, received_at: datetime) -> datetime:
        return received_at + timedelta(seconds=self.expires_in)


# --- Account and items -------------------------------------------------------------------------


class UserInfoSelf(_Response):
    model_config = ConfigDict(coerce_numbers_to_str=True)

    id: AvitoId
    name: str | None = None
    email: str | None = Field(default=None, repr=False)
    phone: str | None = Field(default=None, repr=False)
    phones: list[str] = Field(default_factory=list, repr=False)
    profile_url: str | None = None


class ItemCategory(_Response):
    id: int | None = None
    name: str | None = None


class ItemResource(_Response):
    id: AvitoId
    title: str | None = None
    address: str | None = None
    price: int | None = None
    status: str | None = None
    url: str | None = None
    category: ItemCategory | None = None


class ItemsMeta(_Response):
    page: int | None = None
    per_page: int | None = None


class ItemsPage(_Response):
    meta: ItemsMeta | None = None
    resources: list[ItemResource] = Field(default_factory=list)


ItemStatus = Literal["active", "removed", "old", "blocked", "rejected"]


class ItemVas(_Response):
    vas_id: str | None = None
    finish_time: datetime | None = None
    schedule: list[datetime] | None = None


class ItemInfo(_Response):
    """Item info; `status` also takes `not_found` and `another_user`."""

    status: str | None = None
    url: str | None = None
    start_time: datetime | None = None
    finish_time: datetime | None = None
    autoload_item_id: str | None = None
    vas: list[ItemVas] | None = None


# --- Short-term-rent bookings (read) -----------------------------------------------------------


class BookingStatus(enum.StrEnum):
    ACTIVE = "active"
    CANCELED = "canceled"
    PENDING = "pending"
    OVERBOOK = "overbook"


_STATUS_ALIASES = {"cancelled": BookingStatus.CANCELED}


class Contact(_Response):
    name: str = Field(repr=False)
    email: str = Field(repr=False)
    phone: str | None = Field(default=None, repr=False)


class SafeDeposit(_Response):
    total_amount: int | None = None
    tax: int | None = None
    owner_amount: int | None = None


class RealtyBooking(_Response):
    """A booking as GET bookings returns it.

    The spec marks no field required; id, dates and status are required here because a booking
    without them cannot be stored, and failing loudly beats dropping it silently.
    `status` keeps Avito's raw string (it also sends values outside the spec's enum).
    """

    avito_booking_id: AvitoId
    check_in: date
    check_out: date
    status: str
    guest_count: int | None = None
    nights: int | None = None
    base_price: int | None = None
    contact: Contact | None = None
    safe_deposit: SafeDeposit | None = None

    @property
    def normalized_status(self) -> BookingStatus | None:
        raw = self.status.strip().lower()
        if raw in _STATUS_ALIASES:
            return _STATUS_ALIASES[raw]
        try:
            return BookingStatus(raw)
        except ValueError:
            return None


class BookingsResponse(_Response):
    bookings: list[RealtyBooking]


# --- Short-term-rent writes --------------------------------------------------------------------


class CalendarBooking(_Request):
    """A closed range for POST core bookings; `date_end` is exclusive."""

    _nullable = frozenset({"type", "comment"})

    date_start: date
    date_end: date
    type: Literal["manual", "booking"] | None = None
    comment: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CalendarBooking:
        if self.date_end <= self.date_start:
            raise ValueError("date_end is exclusive and must be after date_start")
        return self


class PriceItem(_Request):
    """Prices for a range; `date_to` is inclusive."""

    date_from: date
    date_to: date
    night_price: Int64 | None = Field(default=None, ge=1)
    minimal_duration: int | None = Field(default=None, ge=1, le=30)
    extra_guest_fee: Int64 | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> PriceItem:
        if self.date_to < self.date_from:
            raise ValueError("date_to is inclusive and must not be before date_from")
        return self


class Interval(_Request):
    """An open range for POST intervals; `date_end` is exclusive, `open` is the quota (> 0)."""

    date_start: date
    date_end: date
    open: int = Field(ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.date_end <= self.date_start:
            raise ValueError("date_end is exclusive and must be after date_start")
        return self


class InstantBooking(_Request):
    _nullable = frozenset({"max_days", "min_days"})

    active: bool | None = None
    max_days: Literal[30, 60, 90, 120, 150] | None = None
    min_days: Literal[1, 2, 3, 4, 5] | None = None


class Refund(_Request):
    days: Literal[0, 1, 3, 5, 7, 14]


class Discount(_Request):
    percent: int = Field(ge=1, le=100)
    threshold: Literal[3, 7, 30]


class CleaningFee(_Request):
    amount: Int64 = Field(ge=0)


class PetsFee(_Request):
    allowed: bool | None = None
    amount: Int64 | None = Field(default=None, ge=0)
    application: Literal["by_booking", "by_night"] | None = None


class Fees(_Request):
    _nullable = frozenset({"cleaning", "pets"})

    cleaning: CleaningFee | None = None
    pets: PetsFee | None = None


class BaseParams(_Request):
    """Base parameters. Every field is optional and nullable in the spec: only the fields the
    caller set are sent, so an explicit `None` (sent as null) differs from leaving a field out."""

    _nullable = frozenset(
        {
            "night_price",
            "minimal_duration",
            "extra_guest_fee",
            "extra_guest_threshold",
            "instant",
            "refund",
            "fees",
        }
    )

    night_price: Int64 | None = Field(default=None, ge=1)
    minimal_duration: Literal[1, 2, 3, 4, 5, 6, 7] | None = None
    extra_guest_fee: Int64 | None = Field(default=None, ge=0)
    extra_guest_threshold: Literal[1, 2, 3, 4, 5, 6, 7, 8] | None = None
    instant: InstantBooking | None = None
    refund: Refund | None = None
    discount: list[Discount] = Field(default_factory=list)
    fees: Fees | None = None


# --- 409 conflicts -----------------------------------------------------------------------------


class ConflictInterval(_Response):
    date_start: date
    date_end: date


class ConflictBooking(_Response):
    """An Avito booking a requested range overlaps (spec schema `AvitoBooking`)."""

    avito_booking_id: AvitoId | None = None
    check_in: date
    check_out: date


class Conflict(_Response):
    """A requested range that was not closed (spec schema `ConflictedInterval`)."""

    interval: ConflictInterval
    bookings: list[ConflictBooking]

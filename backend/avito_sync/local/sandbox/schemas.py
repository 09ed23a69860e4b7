"""Bodies of the control API (``/_sandbox/...``), shared by the routes and ``SandboxControl``."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from avito_sync.local.sandbox.models import (
    BookingStatus,
    ClosureType,
    ListingStatus,
    SafeDeposit,
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplicationIn(_In):
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    redirect_uri: str = Field(pattern=r"^https?://\S+$", max_length=2000)
    account_id: int | None = Field(default=None, ge=1)
    scopes: list[str] | None = None


class AccountIn(_In):
    id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    name: str = Field(default="Sandbox host", min_length=1, max_length=200)
    email: str = Field(default="host@example.com", max_length=200)
    phone: str = Field(default="79990000000", pattern=r"^\d{10,15}$")


class ListingIn(_In):
    id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    account_id: int = Field(ge=1)
    title: str = Field(default="Квартира посуточно", min_length=1, max_length=300)
    address: str = Field(default="Москва", max_length=300)
    status: ListingStatus = "active"
    price: int | None = Field(default=None, ge=0)
    url: str | None = None


class BookingIn(_In):
    """A guest booking made on Avito: ``pending`` (unpaid request) or ``active`` (paid).

    Only ``check_in`` and ``check_out`` are required."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"check_in": "2027-01-10", "check_out": "2027-01-13", "guest_name": "Иван"}
            ]
        }
    )

    id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    check_in: dt.date
    check_out: dt.date
    status: Literal["pending", "active"] = "active"
    guest_name: str = Field(default="Иван", min_length=1, max_length=200)
    guest_email: str = Field(default="guest@example.com", max_length=200)
    guest_phone: str | None = Field(default="9997770000", pattern=r"^\d{10}$")
    guest_count: int = Field(default=1, ge=1, le=50)
    base_price: int | None = Field(default=None, ge=0)
    safe_deposit: SafeDeposit | None = None

    @model_validator(mode="after")
    def _check_out_after_check_in(self) -> BookingIn:
        if self.check_out <= self.check_in:
            raise ValueError("check_out must be after check_in")
        return self


class BookingPatch(_In):
    """Changes to a guest booking (dates, guests, price, or any status incl. ``overbook``)."""

    check_in: dt.date | None = None
    check_out: dt.date | None = None
    status: BookingStatus | None = None
    guest_count: int | None = Field(default=None, ge=1, le=50)
    base_price: int | None = Field(default=None, ge=0)


class BookingOut(BaseModel):
    id: int
    item_id: int
    check_in: dt.date
    check_out: dt.date
    status: BookingStatus
    guest_name: str
    guest_email: str
    guest_phone: str | None
    guest_count: int
    base_price: int
    safe_deposit: SafeDeposit | None


class ExpireTokensIn(_In):
    """Which access tokens to expire now: one token, every token of an account, or all."""

    access_token: str | None = None
    account_id: int | None = None
    all: bool = False
    include_refresh: bool = Field(
        default=False, description="also revoke matching refresh tokens (connection dies)"
    )

    @model_validator(mode="after")
    def _exactly_one_target(self) -> ExpireTokensIn:
        chosen = [self.access_token is not None, self.account_id is not None, self.all]
        if sum(chosen) != 1:
            raise ValueError("give exactly one of access_token, account_id, all=true")
        return self


class ExpiredOut(BaseModel):
    access_tokens: int
    refresh_tokens: int


class SettingsPatch(_In):
    token_ttl_seconds: int | None = Field(default=None, ge=1)
    code_ttl_seconds: int | None = Field(default=None, ge=1)
    conflict_mode: Literal["current", "legacy"] | None = None
    validation_status: Literal[400, 422] | None = None
    refresh_reuse: bool | None = None
    issue_refresh_tokens: bool | None = None
    overbook_visible: bool | None = None
    items_rate_limit: int | None = Field(default=None, ge=1)
    clock_offset_seconds: float | None = None
    random_seed: int | None = None
    lean: bool | None = None


class AdvanceClockIn(_In):
    seconds: float = Field(gt=0, le=10 * 365 * 86400)


class Latency(_In):
    """Added delay: ``fixed_ms``, or uniform between ``min_ms`` and ``max_ms``."""

    fixed_ms: float | None = Field(default=None, ge=0, le=120_000)
    min_ms: float | None = Field(default=None, ge=0, le=120_000)
    max_ms: float | None = Field(default=None, ge=0, le=120_000)

    @model_validator(mode="after")
    def _one_shape(self) -> Latency:
        if (self.fixed_ms is None) == (self.min_ms is None or self.max_ms is None):
            raise ValueError("give fixed_ms, or both min_ms and max_ms")
        if self.min_ms is not None and self.max_ms is not None and self.min_ms > self.max_ms:
            raise ValueError("min_ms must not exceed max_ms")
        return self


class FaultRule(_In):
    """A fault for requests to ``target``: an operationId, a path, or ``*`` for every operation.

    Outcome rates are probabilities drawn from the seeded RNG; together at most 1. ``times``
    limits the rule to the next N matching requests (then it stays listed, spent);
    ``for_seconds`` limits it to a window starting when it is added (sandbox clock), e.g. a
    short Avito outage. With ``after_apply`` the request takes effect and only its response is
    replaced (lost answer).

    ``hold`` keeps each matching request open until ``POST /_sandbox/faults/{id}/release`` (or
    deleting the rule, a reset, or ``hold_seconds``); with ``after_apply`` the request takes
    effect first and only its answer waits. Tests use it to act between two calls of a client,
    e.g. a guest request arriving after a pull was answered but before the client goes on.
    """

    target: str = Field(min_length=1, max_length=300)
    latency: Latency | None = None
    error_rates: dict[int, float] = Field(default_factory=dict)
    rate_limit_rate: float = Field(default=0.0, ge=0, le=1)
    retry_after: int | None = Field(default=None, ge=0, le=3600)
    timeout_rate: float = Field(default=0.0, ge=0, le=1)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    malformed_rate: float = Field(default=0.0, ge=0, le=1)
    malformed_status: int = Field(default=200, ge=200, le=599)
    times: int | None = Field(default=None, ge=1)
    for_seconds: float | None = Field(default=None, gt=0, le=86400)
    after_apply: bool = False
    hold: bool = False
    hold_seconds: float = Field(default=30.0, gt=0, le=600)

    @model_validator(mode="after")
    def _rates(self) -> FaultRule:
        for status, rate in self.error_rates.items():
            if not 400 <= status <= 599:
                raise ValueError(f"error status {status} must be 4xx or 5xx")
            if not 0 <= rate <= 1:
                raise ValueError(f"rate for {status} must be between 0 and 1")
        total = (
            sum(self.error_rates.values())
            + self.rate_limit_rate
            + self.timeout_rate
            + self.malformed_rate
        )
        if total > 1 + 1e-9:
            raise ValueError("outcome rates add up to more than 1")
        return self


class FaultOut(BaseModel):
    id: int
    rule: FaultRule
    hits: int
    spent: bool
    ends_at: dt.datetime | None = None
    """When a ``for_seconds`` rule stops applying (sandbox clock)."""
    ended: bool = False
    held: int = 0
    """Requests waiting at this ``hold`` rule right now."""
    released: bool = False


class RequestLogEntry(BaseModel):
    """One API request as the sandbox saw it; paths only, never queries, bodies or tokens."""

    seq: int
    at: dt.datetime
    method: str
    path: str
    status: int
    operation_id: str | None
    fault: str | None
    account_id: int | None


class CalendarDay(BaseModel):
    date: dt.date
    open: bool
    quota: int
    closed_by: Literal["intervals", "closure", "avito_booking"] | None
    closure_type: ClosureType | None = None
    source: str | None = None
    comment: str | None = None
    booking_id: int | None = None


class PriceDay(BaseModel):
    date: dt.date
    night_price: int | None
    minimal_duration: int | None
    extra_guest_fee: int | None


class ClockOut(BaseModel):
    now: dt.datetime
    today_moscow: dt.date

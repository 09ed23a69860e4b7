"""Request bodies of `POST /functions/v1/avito-sync`, one model per action.

Every id is validated here so that handlers only ever see well-formed values: property,
account and integration ids are UUIDs, Avito item ids are positive integers of at most
12 digits given as a number or a digit string, the markup is a percent (0–100, also as a bare
number) or a fixed surcharge in rubles (1–100 000), kept in the app's column convention.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from avito_sync.api.channel_models import ChannelBody
from avito_sync.sync.markup import Markup as TypedMarkup

MAX_ITEM_ID = 10**12 - 1
DEFAULT_MARKUP = Decimal(15)


def _digits_only(value: Any) -> Any:
    if isinstance(value, bool):
        # bool is an int subclass; pydantic only turns ValueError into a validation error.
        raise ValueError("must be a number")  # noqa: TRY004
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit():
            raise ValueError("must contain digits only")
        return int(value)
    return value


AvitoItemId = Annotated[int, BeforeValidator(_digits_only), Field(ge=1, le=MAX_ITEM_ID)]


def _markup_column(value: Any) -> Any:
    """`{"type": "percent" | "fixed", "value": …}`, or a bare number (a percent), stored in the
    app's convention: >= 0 percent, < 0 a fixed surcharge in rubles (`sync.markup`)."""
    if isinstance(value, TypedMarkup):
        return value.to_column()
    if isinstance(value, dict):
        kind = value.get("type")
        if kind not in ("percent", "fixed"):
            raise ValueError('type must be "percent" or "fixed"')
        return TypedMarkup(kind, _decimal(value.get("value"))).to_column()
    return TypedMarkup("percent", _decimal(value)).to_column()


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("must be a number")  # noqa: TRY004 - pydantic wants ValueError
    try:
        number = Decimal(str(value))
    except ArithmeticError as error:
        raise ValueError("must be a number") from error
    if not number.is_finite():
        raise ValueError("must be a number")
    return number


Markup = Annotated[
    Decimal,
    BeforeValidator(_markup_column),
    Field(ge=-100_000, le=100, max_digits=8, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _IntegrationRef(_Body):
    """Actions that name an integration directly or through its property."""

    integration_id: uuid.UUID | None = None
    property_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> _IntegrationRef:
        if self.integration_id is None and self.property_id is None:
            raise ValueError("integration_id or property_id is required")
        return self


class OAuthUrlBody(_Body):
    action: Literal["oauth-url"]
    property_id: uuid.UUID


class ExchangeCodeBody(_Body):
    action: Literal["exchange-code"]
    code: str = Field(min_length=1, max_length=512)
    state: str = Field(min_length=1, max_length=1024)


class GetAccountsBody(_Body):
    action: Literal["get-accounts"]


class GetItemsBody(_Body):
    action: Literal["get-items"]
    account_id: uuid.UUID
    refresh: bool = False


class ValidateItemBody(_Body):
    action: Literal["validate-item"]
    account_id: uuid.UUID
    item_id: AvitoItemId
    property_id: uuid.UUID | None = None


class SaveIntegrationBody(_Body):
    action: Literal["save-integration"]
    property_id: uuid.UUID
    account_id: uuid.UUID
    item_id: AvitoItemId
    markup: Markup = DEFAULT_MARKUP


class UpdateMarkupBody(_IntegrationRef):
    action: Literal["update-markup"]
    markup: Markup


class DisconnectBody(_IntegrationRef):
    action: Literal["disconnect"]
    close_calendar: bool = False


class SyncBody(_IntegrationRef):
    action: Literal["sync", "initial-sync"]


class StatusBody(_Body):
    action: Literal["status"]
    property_id: uuid.UUID


class ConnectProgress(_Body):
    """Where the three-step connect modal was; restored after a reload."""

    step: int = Field(ge=1, le=3)
    account_id: uuid.UUID | None = None
    item_id: AvitoItemId | None = None
    markup: Markup | None = None


class ProgressSaveBody(_Body):
    action: Literal["progress-save"]
    property_id: uuid.UUID
    progress: ConnectProgress


class AccountDetachBody(_Body):
    action: Literal["account-detach"]
    account_id: uuid.UUID


class ProgressLoadBody(_Body):
    action: Literal["progress-load"]
    property_id: uuid.UUID


ActionBody = Annotated[
    OAuthUrlBody
    | ExchangeCodeBody
    | GetAccountsBody
    | GetItemsBody
    | ValidateItemBody
    | SaveIntegrationBody
    | UpdateMarkupBody
    | DisconnectBody
    | SyncBody
    | StatusBody
    | ProgressSaveBody
    | ProgressLoadBody
    | AccountDetachBody
    | ChannelBody,
    Field(discriminator="action"),
]


RetiredAction = Literal[
    "exchange-code",
    "get-accounts",
    "validate-item",
    "get-oauth-info",
    "save-integration",
    "refresh-expired-tokens",
]
"""Actions of the function's older contract (docs/app-contract.md §3.4): answered 410."""


class LegacySyncBody(_Body):
    """`avito_sync` as the deployed app calls it (docs/app-contract.md §3.1)."""

    action: Literal["sync", "initial-sync"] | RetiredAction = "sync"
    integration_id: uuid.UUID | None = None
    property_id: uuid.UUID | None = None
    exclude_booking_id: uuid.UUID | None = None


class LegacyOAuthCallbackBody(_Body):
    code: str = Field(min_length=1, max_length=512)
    state: str = Field(min_length=1, max_length=1024)
    redirect_uri: str | None = Field(default=None, max_length=2048)


class LegacyCloseAvailabilityBody(_Body):
    integration_id: uuid.UUID | None = None
    property_id: uuid.UUID | None = None

"""What the service answers, one typed shape per action (the 200 bodies in the OpenAPI document).

They are `TypedDict`s on purpose: the deployed app reads these bodies byte for byte
(docs/app-contract.md), where a key is either present or absent (`NotRequired`), never filled
in with a default. Handlers build plain dicts that mypy checks against these shapes; pydantic
turns the same types into the JSON schema that schemathesis holds every response to. The
routes send the handler's dict as it is, so the shapes document the wire instead of
rewriting it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

# Every shape is closed: a key the handler sends but the document does not name is a failure
# (schemathesis, and the tests' check of each answer), not a silent extra.
_closed = with_config(ConfigDict(extra="forbid"))


def document_real_errors(app: FastAPI) -> None:
    """FastAPI documents a 422 `HTTPValidationError` for every route with inputs; this service
    answers malformed input with 400 and the `ApiFailure` body (api/errors.py), so the
    document says that instead."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = build()
        failure = {"$ref": "#/components/schemas/ApiFailure"}
        for operations in doc["paths"].values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if responses.pop("422", None) is not None:
                    responses.setdefault(
                        "400",
                        {
                            "description": "Malformed input: INVALID_JSON or INVALID_REQUEST",
                            "content": {"application/json": {"schema": failure}},
                        },
                    )
        schemas = doc.get("components", {}).get("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def as_sent(answer: Mapping[str, Any], status_code: int = 200) -> JSONResponse:
    """The body exactly as FastAPI would encode the dict, bypassing the response model's
    re-validation (a union of shapes could pick another member and drop or reorder keys)."""
    return JSONResponse(jsonable_encoder(answer), status_code=status_code)


# --- failures -------------------------------------------------------------------------------


@_closed
class FieldProblem(TypedDict):
    field: str
    problem: str


@_closed
class ApiFailure(TypedDict):
    """An `ApiError` (api/errors.py): 200 for a refusal the app shows, 4xx/5xx otherwise.
    `error` mirrors `message` (the app shows `data.error || data.message`)."""

    success: Literal[False]
    code: str
    message: str
    error: str
    details: NotRequired[list[FieldProblem]]
    available: NotRequired[bool]
    reason: NotRequired[str]
    retry_after: NotRequired[int]


@_closed
class ItemInUse(TypedDict):
    """validate-item's 409, the historical contract's exact body (docs/app-contract.md §3.4)."""

    available: Literal[False]
    error: str


# --- sync -------------------------------------------------------------------------------------


@_closed
class SyncAnswer(TypedDict):
    """A sync's summary in the shape `src/services/apiSync.ts` classifies (`sync_result`)."""

    success: bool
    status: str
    code: NotRequired[str]
    error: NotRequired[str]
    message: NotRequired[str]
    errorCode: NotRequired[str]
    requiresReconnect: NotRequired[bool]
    hasError: NotRequired[bool]
    hasData: NotRequired[bool]
    pushSuccess: NotRequired[bool]
    pricesPushSuccess: NotRequired[bool]
    intervalsPushSuccess: NotRequired[bool]
    errors: NotRequired[list[dict[str, Any]]]
    warnings: NotRequired[list[dict[str, Any]]]
    apiCalls: NotRequired[int]
    durationMs: NotRequired[int]
    errorMessage: NotRequired[str]
    warningMessage: NotRequired[str]


@_closed
class IntegrationSyncAnswer(SyncAnswer):
    integration_id: str


@_closed
class LegacySyncRefusal(TypedDict):
    """`avito_sync` before any sync ran: no such integration, no token, a refused link."""

    success: Literal[False]
    error: str | None
    errorCode: NotRequired[str]
    requiresReconnect: NotRequired[bool]


# --- accounts, listings, status ---------------------------------------------------------------


LegacySyncAnswer = SyncAnswer | LegacySyncRefusal
"""`avito_sync`'s body (200, or 409/502 for a failed `initial-sync`)."""


@_closed
class AccountView(TypedDict):
    id: str
    avito_user_id: int
    name: str | None
    is_primary: bool
    needs_reconnect: bool
    token_expires_at: str | None


@_closed
class AccountsAnswer(TypedDict):
    success: Literal[True]
    accounts: list[AccountView]


@_closed
class AccountDetachAnswer(TypedDict):
    success: Literal[True]
    account_id: str
    avito_user_id: int
    disconnected_integration_ids: list[str]
    accounts: list[AccountView]


@_closed
class ItemView(TypedDict):
    id: int
    title: str | None
    status: str | None
    url: str | None


@_closed
class ItemsAnswer(TypedDict):
    success: Literal[True]
    cached: bool
    items: list[ItemView]


@_closed
class CheckedItemView(TypedDict):
    id: int
    status: str | None
    url: str | None


@_closed
class ValidateItemAnswer(TypedDict):
    success: Literal[True]
    available: Literal[True]
    item: CheckedItemView


@_closed
class MarkupView(TypedDict):
    markup_type: Literal["percent", "fixed"]
    markup_value: float


@_closed
class OptionalMarkupView(TypedDict, total=False):
    markup_type: Literal["percent", "fixed"]
    markup_value: float


@_closed
class AttachedAccount(TypedDict):
    id: str
    name: str | None
    avito_user_id: int | None


@_closed
class StatusView(TypedDict):
    """The connect badge; every key but `state` and `connected` only once connected."""

    state: str
    connected: bool
    integration_id: NotRequired[str]
    account_id: NotRequired[str | None]
    account_name: NotRequired[str | None]
    avito_user_id: NotRequired[int | None]
    account: NotRequired[AttachedAccount | None]
    item_id: NotRequired[int | None]
    markup: NotRequired[float | None]
    markup_type: NotRequired[Literal["percent", "fixed"]]
    markup_value: NotRequired[float]
    last_sync_at: NotRequired[str | None]
    next_sync_at: NotRequired[str | None]
    token_expires_at: NotRequired[str | None]
    needs_reconnect: NotRequired[bool]
    last_error: NotRequired[str | None]


@_closed
class StatusAnswer(StatusView):
    success: Literal[True]


@_closed
class SaveIntegrationAnswer(TypedDict):
    success: Literal[True]
    integration_id: str
    sync: SyncAnswer
    status: StatusView


@_closed
class MarkupAnswer(MarkupView):
    success: Literal[True]
    integration_id: str
    markup: float


@_closed
class DisconnectAnswer(TypedDict):
    success: Literal[True]
    integration_id: str
    calendar_closed: bool


# --- connect ----------------------------------------------------------------------------------


@_closed
class OAuthUrlAnswer(TypedDict):
    success: Literal[True]
    url: str
    state: str
    expires_at: str


@_closed
class ExchangeAnswer(TypedDict):
    success: Literal[True]
    account_id: str
    avito_user_id: int
    property_id: str
    accounts: list[AccountView]
    expires_in: int
    token_type: str


@_closed
class ProgressSaveAnswer(TypedDict):
    success: Literal[True]
    expires_at: str


@_closed
class ProgressLoadAnswer(TypedDict):
    success: Literal[True]
    progress: dict[str, Any] | None
    expires_at: str | None


# --- notification channels --------------------------------------------------------------------


@_closed
class LastDelivery(TypedDict):
    status: str
    error: str | None
    at: str


@_closed
class ChannelView(TypedDict):
    """A channel as the host sees it: never a secret, never push keys."""

    id: str
    kind: str
    label: str | None
    target: str | None
    active: bool
    events: list[str]
    has_secret: bool
    created_at: str
    last_delivery: LastDelivery | None
    failures_30d: int


@_closed
class PushSubscriptionOffer(TypedDict):
    subscription_id: str
    created_at: str


@_closed
class ChannelsAnswer(TypedDict):
    success: Literal[True]
    channels: list[ChannelView]
    push_subscriptions_available: list[PushSubscriptionOffer]
    event_choices: list[str]
    telegram_available: bool
    web_push_available: bool


@_closed
class ChannelAnswer(TypedDict):
    success: Literal[True]
    channel: ChannelView


@_closed
class ChannelSecretAnswer(ChannelAnswer):
    """The signing secret, shown this once."""

    secret: str


@_closed
class TelegramLinkAnswer(TypedDict):
    success: Literal[True]
    url: str
    expires_at: str


@_closed
class RotatedSecretAnswer(TypedDict):
    success: Literal[True]
    channel_id: str
    secret: str


@_closed
class ChannelTestAnswer(TypedDict):
    success: Literal[True]
    delivered: bool
    channel_id: str
    error: NotRequired[str]


@_closed
class ChannelRemovedAnswer(TypedDict):
    success: Literal[True]
    channel_id: str
    removed: Literal[True]


ActionAnswer = (
    OAuthUrlAnswer
    | ExchangeAnswer
    | ProgressSaveAnswer
    | ProgressLoadAnswer
    | AccountsAnswer
    | ItemsAnswer
    | ValidateItemAnswer
    | SaveIntegrationAnswer
    | MarkupAnswer
    | DisconnectAnswer
    | IntegrationSyncAnswer
    | StatusAnswer
    | AccountDetachAnswer
    | ChannelsAnswer
    | ChannelSecretAnswer
    | ChannelAnswer
    | TelegramLinkAnswer
    | RotatedSecretAnswer
    | ChannelTestAnswer
    | ChannelRemovedAnswer
    | ApiFailure
)
"""Any 200 body of `POST /functions/v1/avito-sync`."""

# --- the deployed app's own functions (api/legacy.py, api/messenger_consent.py) ---------------


@_closed
class CallbackConnected(TypedDict):
    success: Literal[True]
    avitoUserId: int
    avitoAccountName: str | None
    avitoUserIdMissing: bool
    accountId: str
    propertyId: str


@_closed
class MessengerConnected(TypedDict):
    success: Literal[True]
    isMessengerAuth: Literal[True]
    avitoUserId: int
    avitoUserIdMissing: bool
    integrationId: str


@_closed
class CallbackRefused(TypedDict):
    """`reason` is one the app's callback page understands; `error` is shown to the host."""

    success: Literal[False]
    reason: str
    error: str


CallbackAnswer = CallbackConnected | MessengerConnected | CallbackRefused


@_closed
class CloseAvailabilityAnswer(TypedDict):
    success: bool
    error: NotRequired[str]
    message: NotRequired[str]

"""What the service answers: the shapes every route shares (failures, a sync's summary, the
app's own functions); the actions' own are in `api/actions/answers.py`.

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
closed = with_config(ConfigDict(extra="forbid"))


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


@closed
class FieldProblem(TypedDict):
    field: str
    problem: str


@closed
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


@closed
class ItemInUse(TypedDict):
    """validate-item's 409, the historical contract's exact body (docs/app-contract.md §3.4)."""

    available: Literal[False]
    error: str


# --- sync -------------------------------------------------------------------------------------


@closed
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


@closed
class IntegrationSyncAnswer(SyncAnswer):
    integration_id: str


@closed
class LegacySyncRefusal(TypedDict):
    """`avito_sync` before any sync ran: no such integration, no token, a refused link."""

    success: Literal[False]
    error: str | None
    errorCode: NotRequired[str]
    requiresReconnect: NotRequired[bool]


LegacySyncAnswer = SyncAnswer | LegacySyncRefusal
"""`avito_sync`'s body (200, or 409/502 for a failed `initial-sync`)."""


# --- the deployed app's own functions (api/legacy.py, api/messenger_consent.py) ---------------


@closed
class CallbackConnected(TypedDict):
    success: Literal[True]
    avitoUserId: int
    avitoAccountName: str | None
    avitoUserIdMissing: bool
    accountId: str
    propertyId: str


@closed
class MessengerConnected(TypedDict):
    success: Literal[True]
    isMessengerAuth: Literal[True]
    avitoUserId: int
    avitoUserIdMissing: bool
    integrationId: str


@closed
class CallbackRefused(TypedDict):
    """`reason` is one the app's callback page understands; `error` is shown to the host."""

    success: Literal[False]
    reason: str
    error: str


CallbackAnswer = CallbackConnected | MessengerConnected | CallbackRefused


@closed
class CloseAvailabilityAnswer(TypedDict):
    success: bool
    error: NotRequired[str]
    message: NotRequired[str]

"""A sync engine result in the response shape `src/services/apiSync.ts` classifies.

The same dict answers the legacy `avito_sync` function and the new `sync` actions, so the
app's rules (pushSuccess → ok; prices ok and intervals failed → partial; hasError → modal
per error) keep working unchanged. The frontend's vocabulary (the old edge function's
operation names, `errors[]` and `warnings[]` entries) lives here only; the sync core judges
from its typed results (`sync/results.py`).
"""

from __future__ import annotations

from typing import Any

from avito_sync.api.errors import MESSAGES, ErrorCode
from avito_sync.api.responses import SyncAnswer
from avito_sync.avito.errors import ConflictError, InvalidFieldsError
from avito_sync.sync.results import Operation, OperationOutcome, PushResult, SyncResult

# The names the frontend knows from the old edge function.
LEGACY_OPERATION: dict[Operation, str] = {
    "intervals": "intervals_update",
    "closures": "bookings_update",
    "prices": "price_update",
    "base_params": "base_params_update",
}

NO_TOKEN_MESSAGE = MESSAGES[ErrorCode.RECONNECT_REQUIRED]
INACTIVE_MESSAGE = "Integration not found or inactive"
BUSY_MESSAGE = "Синхронизация уже выполняется, изменения уйдут в Avito через несколько секунд."
OK_MESSAGE = "Синхронизация с Avito выполнена."


def sync_response(result: SyncResult) -> SyncAnswer:
    if result.status == "needs_reconnect":
        return {
            "success": False,
            "status": result.status,
            "code": ErrorCode.RECONNECT_REQUIRED.value,
            "error": NO_TOKEN_MESSAGE,
            "message": NO_TOKEN_MESSAGE,
            "errorCode": "NO_ACCESS_TOKEN",
            "requiresReconnect": True,
        }
    if result.status == "inactive":
        return {
            "success": False,
            "status": result.status,
            "code": ErrorCode.INTEGRATION_NOT_FOUND.value,
            "error": INACTIVE_MESSAGE,
            "message": MESSAGES[ErrorCode.INTEGRATION_NOT_FOUND],
        }
    if result.status == "busy":
        return {
            "success": True,
            "status": result.status,
            "hasError": False,
            "message": BUSY_MESSAGE,
        }

    push = result.push
    # The old function's split: a base-params 404 is a warning, a 409 on closures and the
    # plan's warnings go to warnings[], real refusals to errors[] (one modal each).
    errors = legacy_errors(push) if push else []
    warnings = legacy_warnings(push) if push else []
    if push is None and result.status == "failed":
        errors.append({"operation": "sync", "statusCode": None, "message": result.error or ""})
    has_error = result.status == "failed" or bool(errors)
    message = MESSAGES[ErrorCode.SYNC_FAILED] if has_error else OK_MESSAGE
    body: SyncAnswer = {
        "success": result.status in ("success", "partial"),
        "status": result.status,
        "hasError": has_error,
        "hasData": result.pull is not None,
        "pushSuccess": push is not None and not errors,
        "pricesPushSuccess": bool(push and push.outcome("prices").ok),
        "intervalsPushSuccess": bool(push and push.outcome("intervals").ok),
        "errors": errors,
        "warnings": warnings,
        "message": message,
        "apiCalls": result.api_calls,
        "durationMs": result.duration_ms,
    }
    if has_error:
        # The core's message names its own operations; the app's modal shows the old names.
        detail = (
            "; ".join(f"{e['operation']}: {e['message']}" for e in errors)
            if push is not None and errors
            else result.error or ""
        )
        body["code"] = ErrorCode.SYNC_FAILED.value
        body["error"] = message
        body["errorMessage"] = detail
    if warnings:
        body["warningMessage"] = "; ".join(str(w["message"]) for w in warnings)
    return body


def legacy_errors(push: PushResult) -> list[dict[str, Any]]:
    """Failures, except a base-params 404 (a warning, as the old function had it)."""
    return [legacy_entry(o) for o in push.failures]


def legacy_warnings(push: PushResult) -> list[dict[str, Any]]:
    soft = [legacy_entry(o) for o in push.outcomes if o.status == "conflict" or o.tolerated]
    plan = [
        {"operation": "validation", "code": w.code, "message": w.message} for w in push.warnings
    ]
    return soft + plan


def legacy_entry(outcome: OperationOutcome) -> dict[str, Any]:
    """An `errors[]` / `warnings[]` entry in the old edge function's shape."""
    err = outcome.error
    entry: dict[str, Any] = {
        "operation": LEGACY_OPERATION[outcome.operation],
        "statusCode": err.status if err else None,
        "message": err.message if err else "",
    }
    if err is not None and err.avito_code is not None:  # Avito's code, not ours
        entry["errorCode"] = str(err.avito_code)
    if isinstance(err, InvalidFieldsError) and err.fields:
        entry["details"] = {"fields": err.fields}
    if isinstance(err, ConflictError):
        entry["details"] = {"conflicts": [c.model_dump(mode="json") for c in err.conflicts]}
    return entry

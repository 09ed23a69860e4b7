"""A sync engine result in the response shape `src/services/apiSync.ts` classifies.

The same dict answers the legacy `avito_sync` function and the new `sync` actions, so the
app's rules (pushSuccess → ok; prices ok and intervals failed → partial; hasError → modal
per error) keep working unchanged.
"""

from __future__ import annotations

from avito_sync.api.errors import MESSAGES, ErrorCode
from avito_sync.api.responses import SyncAnswer
from avito_sync.sync.engine import SyncResult

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
    errors = push.legacy_errors() if push else []
    warnings = push.legacy_warnings() if push else []
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
        "pricesPushSuccess": bool(push and push.prices_push_success),
        "intervalsPushSuccess": bool(push and push.intervals_push_success),
        "errors": errors,
        "warnings": warnings,
        "message": message,
        "apiCalls": result.api_calls,
        "durationMs": result.duration_ms,
    }
    if has_error:
        detail = result.error or "; ".join(str(e.get("message", "")) for e in errors)
        body["code"] = ErrorCode.SYNC_FAILED.value
        body["error"] = message
        body["errorMessage"] = detail
    if warnings:
        body["warningMessage"] = "; ".join(str(w["message"]) for w in warnings)
    return body

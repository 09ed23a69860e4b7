"""Avito's three error body shapes (docs/avito-api.md §4.1) and the exception that carries them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from fastapi import Response
from fastapi.responses import JSONResponse

Family = Literal["nested", "flat", "oauth"]

_REASONS = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    422: "Validation error",
    429: "Too many requests",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}


def reason(status: int) -> str:
    return _REASONS.get(status, "Error")


class ApiError(Exception):
    """Raised by handlers; the app turns it into ``response`` unchanged."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


_FAMILIES: dict[str, Family] = {"item": "flat", "auth": "oauth"}


def family_of(spec: str) -> Family:
    """Items (item.json) answer flat errors; STR and user nested; the token endpoint OAuth."""
    return _FAMILIES.get(spec, "nested")


def error_body(family: Family, status: int, message: str) -> dict[str, object]:
    if family == "flat":
        return {"code": str(status), "message": message}
    if family == "oauth":
        code = "server_error" if status >= 500 else "invalid_request"
        if status in {429, 503}:
            code = "temporarily_unavailable"
        return {"error": code, "error_description": message}
    return {"error": {"code": status, "message": message}}


def error(
    family: Family,
    status: int,
    message: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> ApiError:
    body = error_body(family, status, message or reason(status))
    return ApiError(JSONResponse(body, status_code=status, headers=dict(headers or {})))


def oauth_error(status: int, code: str, description: str) -> ApiError:
    body = {"error": code, "error_description": description}
    return ApiError(JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"}))


def validation_error(status: int, fields: Mapping[str, str]) -> ApiError:
    """422 ``validatingError`` with ``fields``; as 400 it is the plain ``Error`` shape."""
    inner: dict[str, object] = {"code": status, "message": reason(status)}
    if status == 422:
        inner["fields"] = dict(fields)
    else:
        inner["message"] = "; ".join(f"{k}: {v}" for k, v in fields.items())
    return ApiError(JSONResponse({"error": inner}, status_code=status))

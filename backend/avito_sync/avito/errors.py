"""Typed Avito errors and the single parser for every error body Avito sends.

Bodies come in four shapes: STR/user `{"error": {code, message, fields?, conflicts?}}`, items
`{code, message}`, the token endpoint's OAuth `{error, error_description}`, and anything else
(gateway HTML, empty bodies). Every text taken from a body is sanitised before it reaches an
exception message: no token, code, secret, e-mail or phone survives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError as PydanticValidationError

from avito_sync.avito.models import Conflict
from avito_sync.core.logs import REDACTED, scrub_text

MAX_TEXT = 300
_SCAN_LIMIT = 4000
# Anchored to the start of a word so that a long body cannot make the scan quadratic.
_MIN_SECRET_LEN = 4

ErrorShape = Literal["nested", "flat", "oauth", "empty", "non_json", "unrecognised"]


def sanitize_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Strip known secret values, bearer tokens, JWTs, e-mails and phones; bound the length."""
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET_LEN:
            text = text.replace(secret, REDACTED)
    if len(text) > _SCAN_LIMIT:
        # Cut at a word boundary: a half-cut e-mail or token would escape the patterns.
        text = text[:_SCAN_LIMIT].rsplit(None, 1)[0] if " " in text[:_SCAN_LIMIT] else ""
    text = scrub_text(text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


@dataclass(frozen=True)
class ErrorBody:
    """What an error body said. `conflicts` is None when the body has no `conflicts` key."""

    shape: ErrorShape
    code: int | str | None = None
    message: str | None = None
    fields: Mapping[str, str] | None = None
    conflicts: tuple[Conflict, ...] | None = None
    oauth_error: str | None = None
    oauth_error_description: str | None = None


def _text(value: Any, secrets: Iterable[str]) -> str | None:
    if value is None:
        return None
    raw = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return sanitize_text(raw, secrets)


def _code(value: Any) -> int | str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str):
        return value if isinstance(value, int) else value[:64]
    return None


def _conflicts(value: Any) -> tuple[Conflict, ...]:
    parsed = []
    for entry in value if isinstance(value, list) else []:
        try:
            parsed.append(Conflict.model_validate(entry))
        except PydanticValidationError:
            continue
    return tuple(parsed)


def parse_error_body(content: bytes, secrets: Iterable[str] = ()) -> ErrorBody:
    """Classify and parse an error body of any shape; never raises."""
    secrets = tuple(secrets)
    if not content.strip():
        return ErrorBody(shape="empty")
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return ErrorBody(shape="non_json")
    if not isinstance(data, dict):
        return ErrorBody(shape="unrecognised")
    if not data:
        return ErrorBody(shape="empty")
    inner = data.get("error")
    if isinstance(inner, dict):
        fields = inner.get("fields")
        return ErrorBody(
            shape="nested",
            code=_code(inner.get("code")),
            message=_text(inner.get("message"), secrets),
            fields=(
                {sanitize_text(str(k), secrets): _text(v, secrets) or "" for k, v in fields.items()}
                if isinstance(fields, dict)
                else None
            ),
            conflicts=_conflicts(inner["conflicts"]) if "conflicts" in inner else None,
        )
    if isinstance(inner, str):
        return ErrorBody(
            shape="oauth",
            oauth_error=sanitize_text(inner, secrets)[:64],
            oauth_error_description=_text(data.get("error_description"), secrets),
        )
    if "code" in data or "message" in data:
        return ErrorBody(
            shape="flat", code=_code(data.get("code")), message=_text(data.get("message"), secrets)
        )
    return ErrorBody(shape="unrecognised")


# --- exceptions --------------------------------------------------------------------------------


class AvitoError(Exception):
    """Base of every client error. The message holds ids, statuses and sanitised text only."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status: int | None = None,
        code: int | str | None = None,
    ) -> None:
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [f"{self.operation} failed"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code is not None:
            parts.append(f"code {self.code}")
        return ": ".join([", ".join(parts), self.message])


class BadRequestError(AvitoError):
    """400: Avito rejected the request as malformed."""


class TokenExpiredError(AvitoError):
    """401, or 403 that a fresh token did not fix because no fresh token could be had:
    the connection needs a new token (refresh or reconnect)."""


class ForbiddenError(AvitoError):
    """403 persisting after a fresh token: not the item's owner, or the scope is missing."""


class NotFoundError(AvitoError):
    """404: unknown item or account."""


class ConflictError(AvitoError):
    """409 on core bookings. `conflicts` lists the ranges Avito did not close (current spec:
    the others were closed); empty means the older behaviour, where nothing was applied."""

    def __init__(self, message: str, *, conflicts: tuple[Conflict, ...], **kw: Any) -> None:
        self.conflicts = conflicts
        super().__init__(message, **kw)


class ValidationError(AvitoError):
    """422 (or 400 naming fields): Avito rejected the values; `fields` maps field names to
    Avito's messages."""

    def __init__(self, message: str, *, fields: Mapping[str, str], **kw: Any) -> None:
        self.fields = dict(fields)
        super().__init__(message, **kw)


class RateLimitedError(AvitoError):
    """429 after the retry budget (or a Retry-After longer than we are willing to wait)."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None,
        limit: int | None,
        remaining: int | None,
        **kw: Any,
    ) -> None:
        self.retry_after = retry_after
        self.limit = limit
        self.remaining = remaining
        super().__init__(message, **kw)


class ServerError(AvitoError):
    """5xx after the retry budget."""


class TransportError(AvitoError):
    """No HTTP answer: timeout, refused or reset connection."""


class MalformedResponseError(AvitoError):
    """A success status with a body that is not JSON or does not match the spec."""


class OAuthError(AvitoError):
    """The token endpoint refused a grant; `error` is the OAuth error code."""

    def __init__(
        self, message: str, *, error: str, error_description: str | None, **kw: Any
    ) -> None:
        self.error = error
        self.error_description = error_description
        super().__init__(message, **kw)


class InvalidGrantError(OAuthError):
    """Code used, expired or unknown; or refresh token rotated away: the host must reconnect."""


class InvalidClientError(OAuthError):
    """Client id or secret rejected: a configuration problem, not the host's."""


@dataclass(frozen=True)
class RateLimitHeaders:
    retry_after: float | None = None
    limit: int | None = None
    remaining: int | None = None


@dataclass(frozen=True)
class ErrorContext:
    """Everything `error_for_response` needs besides the body."""

    operation: str
    status: int
    oauth: bool = False
    rate_limit: RateLimitHeaders = field(default_factory=RateLimitHeaders)


def _summary(body: ErrorBody) -> str:
    if body.shape == "non_json":
        return "response body is not JSON"
    if body.shape == "empty":
        return "empty error body"
    if body.shape == "unrecognised":
        return "unrecognised error body"
    if body.shape == "oauth":
        return f"{body.oauth_error}: {body.oauth_error_description or 'no description'}"
    return body.message or "no message"


def error_for_response(ctx: ErrorContext, body: ErrorBody) -> AvitoError:
    """Map a non-success HTTP status and its parsed body to the matching exception."""
    status = ctx.status
    kw: dict[str, Any] = {"operation": ctx.operation, "status": status, "code": body.code}
    summary = _summary(body)
    if ctx.oauth and 400 <= status < 500 and status != 429:
        error = body.oauth_error or ("invalid_grant" if status == 410 else f"http_{status}")
        cls: type[OAuthError] = OAuthError
        if error == "invalid_grant":
            cls = InvalidGrantError
        elif error == "invalid_client":
            cls = InvalidClientError
        return cls(summary, error=error, error_description=body.oauth_error_description, **kw)
    if status == 429:
        rl = ctx.rate_limit
        return RateLimitedError(
            summary, retry_after=rl.retry_after, limit=rl.limit, remaining=rl.remaining, **kw
        )
    if status >= 500:
        return ServerError(summary, **kw)
    if status == 422 or (status == 400 and body.fields):
        # Avito's choice between 400 and 422 for bad values is undocumented; `fields` decides.
        fields = body.fields or {}
        detail = f" (fields: {', '.join(sorted(fields))})" if fields else ""
        return ValidationError(summary + detail, fields=fields, **kw)
    simple: dict[int, type[AvitoError]] = {
        400: BadRequestError,
        401: TokenExpiredError,
        403: ForbiddenError,
        404: NotFoundError,
    }
    if status in simple:
        return simple[status](summary, **kw)
    if status == 409:
        conflicts = body.conflicts or ()
        detail = f"{len(conflicts)} conflicting range(s)" if conflicts else "nothing applied"
        return ConflictError(f"{summary} ({detail})", conflicts=conflicts, **kw)
    return AvitoError(summary, **kw)

"""Typed Avito errors: one documented tree, each class with a stable `code`.

The tree (codes in brackets; category bases are never raised themselves):

* AvitoError                  [avito_avito]  an answer no class below describes (e.g. 418)
  + RefusedError                             Avito refused this request: sending it again
  |                                          unchanged is refused again
  |   - BadRequestError       [avito_bad_request]   400
  |   - ForbiddenError        [avito_forbidden]     403 that a fresh token did not fix
  |   - NotFoundError         [avito_not_found]     404
  |   - InvalidFieldsError    [avito_validation]    422, or 400 naming fields (not pydantic's)
  + RetryableError                           a later attempt may succeed
  |   - RateLimitedError      [avito_rate_limited]  429 after the retry budget
  |   - ServerError           [avito_server]        5xx after the retry budget
  |   - TransportError        [avito_transport]     no HTTP answer
  |   - MalformedResponseError [avito_malformed_response]  success status, unusable body
  + ReconnectNeededError                     only the host reconnecting can fix it
  |   - TokenExpiredError     [avito_token_expired] 401, or 403 without a fresh token
  |   - ReconnectRequiredError [reconnect_required] the account's tokens are gone or refused
  + ConflictError             [avito_conflict]      409 on core bookings (partly applied)
  + OAuthError                [avito_o_auth]        the token endpoint refused a grant
      - InvalidGrantError     [avito_invalid_grant]
      - InvalidClientError    [avito_invalid_client]

`code` is a class attribute and part of the service's contract: sync results and log lines
carry it (`error_code`), so it never follows a rename. The codes are the ones the names used to
produce (`avito_` + the class name in snake case), historic spellings such as `avito_o_auth`
included; `tests/avito/test_error_codes.py` pins every one. Avito's own code from the error
body is `avito_code`. Every message holds ids, statuses and sanitised text only (bodies are
parsed and sanitised in `error_bodies`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from uuid import UUID

from avito_sync.avito.error_bodies import ErrorBody
from avito_sync.avito.models import Conflict

__all__ = [
    "AvitoError",
    "BadRequestError",
    "ConflictError",
    "ErrorContext",
    "ForbiddenError",
    "InvalidClientError",
    "InvalidFieldsError",
    "InvalidGrantError",
    "MalformedResponseError",
    "NotFoundError",
    "OAuthError",
    "RateLimitHeaders",
    "RateLimitedError",
    "ReconnectNeededError",
    "ReconnectRequiredError",
    "RefusedError",
    "RetryableError",
    "ServerError",
    "TokenExpiredError",
    "TransportError",
    "error_for_response",
]


class AvitoError(Exception):
    """Base of every Avito error, and itself the error for an answer no subclass describes."""

    code: ClassVar[str] = "avito_avito"

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status: int | None = None,
        avito_code: int | str | None = None,
    ) -> None:
        self.operation = operation
        self.status = status
        self.avito_code = avito_code
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [f"{self.operation} failed"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.avito_code is not None:
            parts.append(f"code {self.avito_code}")
        return ": ".join([", ".join(parts), self.message])


# --- refused: the same request is refused again ------------------------------------------------


class RefusedError(AvitoError):
    """Avito understood the request and refused it; only a different request can succeed."""


class BadRequestError(RefusedError):
    """400: Avito rejected the request as malformed."""

    code = "avito_bad_request"


class ForbiddenError(RefusedError):
    """403 persisting after a fresh token: not the item's owner, or the scope is missing."""

    code = "avito_forbidden"


class NotFoundError(RefusedError):
    """404: unknown item or account."""

    code = "avito_not_found"


class InvalidFieldsError(RefusedError):
    """422 (or 400 naming fields): Avito rejected the values; `fields` maps field names to
    Avito's messages."""

    code = "avito_validation"

    def __init__(self, message: str, *, fields: Mapping[str, str], **kw: Any) -> None:
        self.fields = dict(fields)
        super().__init__(message, **kw)


# --- retryable: a later attempt may succeed ----------------------------------------------------


class RetryableError(AvitoError):
    """Avito (or the way to it) failed for now; the same request may succeed later."""


class RateLimitedError(RetryableError):
    """429 after the retry budget (or a Retry-After longer than we are willing to wait)."""

    code = "avito_rate_limited"

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


class ServerError(RetryableError):
    """5xx after the retry budget."""

    code = "avito_server"


class TransportError(RetryableError):
    """No HTTP answer: timeout, refused or reset connection."""

    code = "avito_transport"


class MalformedResponseError(RetryableError):
    """A success status with a body that is not JSON or does not match the spec (a gateway's
    page, most often)."""

    code = "avito_malformed_response"


# --- reconnect needed: only the host can fix it ------------------------------------------------


class ReconnectNeededError(AvitoError):
    """The account's access is gone: nothing but the host connecting Avito again helps."""


class TokenExpiredError(ReconnectNeededError):
    """401, or 403 that a fresh token did not fix because no fresh token could be had:
    the connection needs a new token. (The sync engine still tells a listing-level 403 apart
    when the token reads the account.)"""

    code = "avito_token_expired"


class ReconnectRequiredError(ReconnectNeededError):
    """The account's tokens are gone or refused (raised by the token store, no HTTP status)."""

    code = "reconnect_required"

    def __init__(self, account_id: UUID, reason: str) -> None:
        self.account_id = account_id
        self.reason = reason
        super().__init__(reason, operation="access_token")

    def _render(self) -> str:
        return f"Avito account {self.account_id} needs a reconnect: {self.reason}"


# --- the rest ----------------------------------------------------------------------------------


class ConflictError(AvitoError):
    """409 on core bookings. `conflicts` lists the ranges Avito did not close (current spec:
    the others were closed); empty means the older behaviour, where nothing was applied."""

    code = "avito_conflict"

    def __init__(self, message: str, *, conflicts: tuple[Conflict, ...], **kw: Any) -> None:
        self.conflicts = conflicts
        super().__init__(message, **kw)


class OAuthError(AvitoError):
    """The token endpoint refused a grant; `error` is the OAuth error code."""

    code = "avito_o_auth"  # the historic spelling (from "OAuth"), kept: logs carry it

    def __init__(
        self, message: str, *, error: str, error_description: str | None, **kw: Any
    ) -> None:
        self.error = error
        self.error_description = error_description
        super().__init__(message, **kw)


class InvalidGrantError(OAuthError):
    """Code used, expired or unknown; or refresh token rotated away: the host must reconnect."""

    code = "avito_invalid_grant"


class InvalidClientError(OAuthError):
    """Client id or secret rejected: a configuration problem, not the host's."""

    code = "avito_invalid_client"


# --- status → class ----------------------------------------------------------------------------


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


_BY_STATUS: dict[int, type[AvitoError]] = {
    400: BadRequestError,
    401: TokenExpiredError,
    403: ForbiddenError,
    404: NotFoundError,
}


def error_for_response(ctx: ErrorContext, body: ErrorBody) -> AvitoError:
    """Map a non-success HTTP status and its parsed body to the matching exception."""
    status = ctx.status
    kw: dict[str, Any] = {"operation": ctx.operation, "status": status, "avito_code": body.code}
    summary = body.summary()
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
        return InvalidFieldsError(summary + detail, fields=fields, **kw)
    if status in _BY_STATUS:
        return _BY_STATUS[status](summary, **kw)
    if status == 409:
        conflicts = body.conflicts or ()
        detail = f"{len(conflicts)} conflicting range(s)" if conflicts else "nothing applied"
        return ConflictError(f"{summary} ({detail})", conflicts=conflicts, **kw)
    return AvitoError(summary, **kw)

"""The single parser for every error body Avito sends, and the sanitiser for its texts.

Avito answers errors in three shapes: the STR/user APIs' nested
`{"error": {code, message, fields?, conflicts?}}`, the items API's flat `{code, message}`, and
the token endpoint's OAuth `{error, error_description}`; anything else (a gateway's HTML page,
an empty body) is classified too. Every text taken from a body is sanitised before it can reach
an exception message: no token, code, secret, e-mail or phone survives. Which exception a
status and body become is `errors.error_for_response`'s business, not this module's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
    """What an error body said. `code` is Avito's own code from the body (not our stable error
    code); `conflicts` is None when the body has no `conflicts` key."""

    shape: ErrorShape
    code: int | str | None = None
    message: str | None = None
    fields: Mapping[str, str] | None = None
    conflicts: tuple[Conflict, ...] | None = None
    oauth_error: str | None = None
    oauth_error_description: str | None = None

    def summary(self) -> str:
        """The sanitised one-line text an exception message starts with."""
        if self.shape == "non_json":
            return "response body is not JSON"
        if self.shape == "empty":
            return "empty error body"
        if self.shape == "unrecognised":
            return "unrecognised error body"
        if self.shape == "oauth":
            return f"{self.oauth_error}: {self.oauth_error_description or 'no description'}"
        return self.message or "no message"


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

"""Structured logging with secret and PII redaction applied to every event.

Redaction lives in a processor rather than at call sites so that a forgotten field
can never leak a token, an OAuth code, a client secret or a guest's contact details.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"

_SENSITIVE_KEY = re.compile(
    r"(token|secret|password|authorization|phone|email|apikey|api_key|cookie|jwt)",
    re.IGNORECASE,
)
# An OAuth code travels as `code` (or `auth_code`, `oauth_code`, `authorization_code`); other
# keys ending in "code" (error_code, status_code, exit_code) are stable facts worth keeping.
_OAUTH_CODE_KEY = re.compile(r"(?i)^(?:.*_)?(?:auth|oauth|authorization)_?code$|^code$")
# Bearer tokens and JWT-looking strings inside free text (error messages, URLs).
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_QUERY_SECRET = re.compile(
    r"(?i)\b(code|access_token|refresh_token|client_secret|token|state)=([^&\s\"']+)"
)
# Postgres puts row contents (a guest's name, phone, email) in the DETAIL line of an error,
# and tracebacks of logged exceptions carry it: the whole line goes.
_PG_DETAIL = re.compile(r"(?m)^(DETAIL:)[^\n]*")
# Possessive quantifiers: no backtracking blow-up on long hostile text.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+")
_PHONE = re.compile(r"\+\d[\d\s()-]{8,}\d")


def is_sensitive_key(key: str) -> bool:
    return bool(_OAUTH_CODE_KEY.match(key) or _SENSITIVE_KEY.search(key))


def scrub_text(text: str) -> str:
    """Remove bearer tokens, JWTs, secret query parameters, Postgres row details, email
    addresses and international phone numbers from free text."""
    text = _BEARER.sub("Bearer " + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _PG_DETAIL.sub(rf"\1  {REDACTED}", text)
    text = _EMAIL.sub(REDACTED, text)
    return _PHONE.sub(REDACTED, text)


def redact(value: Any, key: str = "") -> Any:
    if key and is_sensitive_key(key) and value is not None:
        return REDACTED
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def _redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key == "event":
            event_dict[key] = scrub_text(str(event_dict[key]))
        else:
            event_dict[key] = redact(event_dict[key], key)
    return event_dict


def configure_logging(level: str = "INFO", *, json: bool | None = None) -> None:
    """Configure structlog once per process; JSON when not attached to a terminal."""
    use_json = (not sys.stderr.isatty()) if json is None else json
    renderer: Any = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger

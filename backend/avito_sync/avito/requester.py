"""Sending one logical Avito call: rate limit, attempt, refresh-on-denial, retry, classify.

Every attempt draws from the rate limiter and is counted (`stats`); a 401/403 on an
account-scoped call asks the `TokenProvider` for a fresh token once; 429/5xx/transport
failures are retried as the call's `RetryMode` allows; anything else becomes a typed error.
Log lines carry operation names, statuses and account keys only.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.error_bodies import parse_error_body, sanitize_text
from avito_sync.avito.errors import (
    AvitoError,
    ErrorContext,
    ForbiddenError,
    MalformedResponseError,
    RateLimitHeaders,
    TokenExpiredError,
    TransportError,
    error_for_response,
)
from avito_sync.avito.ratelimit import RateLimiter
from avito_sync.avito.retry import (
    RetryMode,
    RetryPolicy,
    parse_rate_limit_headers,
    retryable_exception,
    retryable_status,
)
from avito_sync.avito.stats import record_request
from avito_sync.core.logs import get_logger

log = get_logger("avito_sync.avito")
COMPONENT = "avito_client"  # on every event, so the client's log lines can be told apart

M = TypeVar("M", bound=BaseModel)
URL_CACHE_SIZE = 20_000
"""URLs kept (one per listing and window); cleared when full, rebuilt on demand."""


@dataclass(frozen=True)
class Call:
    """One logical call. `secrets` are values sent with it that must never be echoed back."""

    operation: str
    method: str
    path: str
    retry: RetryMode
    params: dict[str, str] | None = None
    json: Any = None
    form: dict[str, str] | None = None
    endpoint: str | None = None
    oauth: bool = False
    secrets: tuple[str, ...] = field(default=(), repr=False)
    # False when a 403 is itself the answer (an ownership probe): no forced refresh.
    refresh_on_denial: bool = True


def _describe_validation(exc: PydanticValidationError) -> str:
    errors = exc.errors(include_input=False, include_url=False)
    shown = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in errors[:3]]
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(shown) + more


def parse_model(response: httpx.Response, model: type[M], operation: str) -> M:
    """A success body as `model`; `MalformedResponseError` (without the body's values)."""
    status = response.status_code
    try:
        data = response.json()
    except ValueError:
        raise MalformedResponseError(
            "response body is not JSON", operation=operation, status=status
        ) from None
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        detail = sanitize_text(_describe_validation(exc))
        raise MalformedResponseError(
            f"response does not match {model.__name__}: {detail}",
            operation=operation,
            status=status,
        ) from None


class Requester:
    def __init__(
        self,
        http: httpx.AsyncClient,
        limiter: RateLimiter,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], Awaitable[None]],
        rand: Callable[[], float],
    ) -> None:
        self._http = http
        self._limiter = limiter
        self._policy = policy
        self._sleep = sleep
        self._rand = rand
        self._urls: dict[tuple[str, tuple[tuple[str, str], ...]], httpx.URL] = {}

    async def send(self, call: Call, auth: TokenProvider | None) -> httpx.Response:
        """The 2xx response of `call`, or the typed error that ended it."""
        account_key = auth.account_key if auth is not None else None
        token = await auth.access_token() if auth is not None else None
        secrets = (*call.secrets, token) if token else call.secrets
        refreshed = used_fresh_token = False
        failures = 0
        while True:
            await self._limiter.acquire(account_key, endpoint=call.endpoint)
            record_request(call.operation, retry=failures > 0 or refreshed)
            response = await self._attempt(call, token, account_key, failures)
            if response is None:  # transport failure, retry allowed
                failures += 1
                continue
            status = response.status_code
            if status < 300:
                return response
            if status in (401, 403) and auth is not None and not call.oauth:
                if status == 403 and not call.refresh_on_denial:
                    raise self._denied(call, response, secrets, account_key, True)
                if not refreshed:
                    refreshed = True
                    fresh = await auth.access_token(force_refresh=True)
                    if fresh != token:
                        self._log(
                            "info",
                            "avito.token_refreshed_after_denial",
                            call,
                            account_key,
                            status=status,
                        )
                        token, used_fresh_token = fresh, True
                        secrets = (*secrets, fresh)
                        continue
                raise self._denied(call, response, secrets, account_key, used_fresh_token)
            hints = parse_rate_limit_headers(response.headers)
            if retryable_status(call.retry, status):
                delay = self._policy.next_delay(failures + 1, self._rand(), hints)
                self._log_failure(call, account_key, failures + 1, delay, status=status)
                if delay is not None:
                    failures += 1
                    await self._sleep(delay)
                    continue
            error = error_for_response(
                ErrorContext(call.operation, status, oauth=call.oauth, rate_limit=hints),
                parse_error_body(response.content, secrets),
            )
            self._log_error(error, account_key)
            raise error

    def _url(self, call: Call) -> httpx.URL:
        """The call's absolute URL, built once per path and query: httpx parses a string URL
        in pure Python on every request (~0.4 ms, a fifth of a steady poll's CPU, issue #12),
        an absolute `httpx.URL` not at all. A steady poll asks for the same URL every time."""
        key = (call.path, tuple(call.params.items()) if call.params else ())
        url = self._urls.get(key)
        if url is None:
            if len(self._urls) >= URL_CACHE_SIZE:
                self._urls.clear()
            url = self._urls[key] = self._http.build_request(
                call.method, call.path, params=call.params
            ).url
        return url

    async def _attempt(
        self, call: Call, token: str | None, account_key: str | None, failures: int
    ) -> httpx.Response | None:
        """One HTTP exchange. None after a transport failure that may be retried (having
        slept the backoff); `TransportError` when it may not."""
        started = time.monotonic()
        try:
            response = await self._http.request(
                call.method,
                self._url(call),
                json=call.json,
                data=call.form,
                headers={"Authorization": f"Bearer {token}"} if token else None,
            )
        except httpx.TransportError as exc:
            kind = type(exc).__name__
            delay = (
                self._policy.next_delay(failures + 1, self._rand(), RateLimitHeaders())
                if retryable_exception(call.retry, exc)
                else None
            )
            self._log_failure(call, account_key, failures + 1, delay, error=kind)
            if delay is None:
                raise TransportError(
                    f"no response from Avito ({kind}) after {failures + 1} attempt(s)",
                    operation=call.operation,
                ) from None
            await self._sleep(delay)
            return None
        self._log(
            "debug",
            "avito.response",
            call,
            account_key,
            status=response.status_code,
            attempt=failures + 1,
            elapsed_ms=round((time.monotonic() - started) * 1000),
        )
        return response

    def _denied(
        self,
        call: Call,
        response: httpx.Response,
        secrets: tuple[str, ...],
        account_key: str | None,
        got_fresh_token: bool,
    ) -> AvitoError:
        """A 401, or a 403 that remains after a fresh token (ownership or scope) or that could
        not be retried with one (the token may simply be expired)."""
        status = response.status_code
        base = error_for_response(
            ErrorContext(call.operation, status), parse_error_body(response.content, secrets)
        )
        cls = ForbiddenError if status == 403 and got_fresh_token else TokenExpiredError
        error = cls(
            base.message, operation=call.operation, status=status, avito_code=base.avito_code
        )
        self._log_error(error, account_key)
        return error

    @staticmethod
    def _log(level: str, event: str, call: Call, account_key: str | None, **kw: Any) -> None:
        getattr(log, level)(
            event, component=COMPONENT, operation=call.operation, account_key=account_key, **kw
        )

    def _log_failure(
        self,
        call: Call,
        account_key: str | None,
        attempt: int,
        delay: float | None,
        *,
        status: int | None = None,
        error: str | None = None,
    ) -> None:
        self._log(
            "warning",
            "avito.retry" if delay is not None else "avito.give_up",
            call,
            account_key,
            status=status,
            error=error,
            attempt=attempt,
            delay_s=round(delay, 3) if delay is not None else None,
        )

    @staticmethod
    def _log_error(error: AvitoError, account_key: str | None) -> None:
        log.warning(
            "avito.error",
            component=COMPONENT,
            operation=error.operation,
            account_key=account_key,
            status=error.status,
            avito_reason=error.avito_code,  # not "*code*": the log redactor would hide it
            error=type(error).__name__,
        )

"""The typed async Avito client: OAuth, account and items, and the five short-term-rent calls.

One `httpx.AsyncClient` (one connection pool) per `AvitoClient`; a service keeps a single client
for the process (`shared_client()` / `close_shared_client()`, or `async with AvitoClient(...)`
in its lifespan). Every request is rate limited (`ratelimit`), retried when safe (`retry`),
counted (`stats`) and mapped to a typed error (`errors`).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, SecretStr
from pydantic import ValidationError as PydanticValidationError

from avito_sync.avito import bodies
from avito_sync.avito.auth import TokenProvider
from avito_sync.avito.bodies import check_id
from avito_sync.avito.errors import (
    AvitoError,
    ErrorContext,
    ForbiddenError,
    MalformedResponseError,
    RateLimitHeaders,
    TokenExpiredError,
    TransportError,
    error_for_response,
    parse_error_body,
    sanitize_text,
)
from avito_sync.avito.models import (
    BaseParams,
    BookingsResponse,
    CalendarBooking,
    Interval,
    ItemInfo,
    ItemResource,
    ItemsPage,
    ItemStatus,
    PriceItem,
    RealtyBooking,
    TokenResponse,
    UserInfoSelf,
)
from avito_sync.avito.oauth import build_authorize_url
from avito_sync.avito.ratelimit import ITEMS_ENDPOINT, RateLimiter, shared_rate_limiter
from avito_sync.avito.retry import (
    RetryMode,
    RetryPolicy,
    parse_rate_limit_headers,
    retryable_exception,
    retryable_status,
)
from avito_sync.avito.settings import AvitoSettings, load_avito_settings
from avito_sync.avito.stats import record_request
from avito_sync.logs import get_logger

log = get_logger("avito_sync.avito")
COMPONENT = "avito_client"  # on every event, so the client's log lines can be told apart

M = TypeVar("M", bound=BaseModel)

TOKEN_PATH = "/token"  # noqa: S105 - a URL path, not a secret
MAX_ITEM_PAGES = 1000


@dataclass(frozen=True)
class _Call:
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


def _describe_validation(exc: PydanticValidationError) -> str:
    errors = exc.errors(include_input=False, include_url=False)
    shown = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in errors[:3]]
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(shown) + more


class AvitoClient:
    """Async Avito API client. Account-scoped methods take a `TokenProvider` first."""

    def __init__(
        self,
        settings: AvitoSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limiter: RateLimiter | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._limiter = rate_limiter or shared_rate_limiter(settings)
        self._policy = RetryPolicy(
            max_attempts=settings.max_attempts,
            base_seconds=settings.backoff_base_seconds,
            max_seconds=settings.backoff_max_seconds,
            max_retry_after_seconds=settings.max_retry_after_seconds,
        )
        self._sleep = sleep
        self._rand = rand
        self._http = httpx.AsyncClient(
            base_url=settings.api_base_url,
            transport=transport,
            timeout=httpx.Timeout(
                settings.read_timeout_seconds,
                connect=settings.connect_timeout_seconds,
                pool=settings.pool_timeout_seconds,
            ),
            limits=httpx.Limits(max_connections=settings.max_connections),
            headers={"User-Agent": "avito-sync", "Accept": "application/json"},
            follow_redirects=False,
            trust_env=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- OAuth ---------------------------------------------------------------------------------

    def authorize_url(
        self, state: str, *, redirect_uri: str | None = None, scopes: Sequence[str] | None = None
    ) -> str:
        return build_authorize_url(
            self.settings.oauth_base_url,
            client_id=self.settings.client_id,
            scopes=tuple(scopes) if scopes is not None else self.settings.scopes,
            state=state,
            redirect_uri=redirect_uri or self.settings.redirect_uri,
        )

    async def exchange_code(self, code: str, *, redirect_uri: str | None = None) -> TokenResponse:
        """Trade an authorization code for tokens. Never retried: codes are single-use, so a
        repeat could only fail with invalid_grant and hide the first answer."""
        if not code:
            raise ValueError("code must not be empty")
        form = bodies.authorization_code_form(
            self.settings.client_id, self._secret, code, redirect_uri or self.settings.redirect_uri
        )
        return await self._token("token.authorization_code", form, RetryMode.NEVER, (code,))

    async def refresh(self, refresh_token: str | SecretStr) -> TokenResponse:
        """Refresh grant; the answer carries a new (rotated) refresh token. Retried only when
        Avito surely did not see the request: a lost answer would mean a lost rotation."""
        value = (
            refresh_token.get_secret_value()
            if isinstance(refresh_token, SecretStr)
            else refresh_token
        )
        if not value:
            raise ValueError("refresh_token must not be empty")
        form = bodies.refresh_form(self.settings.client_id, self._secret, value)
        return await self._token("token.refresh_token", form, RetryMode.UNPROCESSED_ONLY, (value,))

    async def client_credentials(self) -> TokenResponse:
        form = bodies.client_credentials_form(self.settings.client_id, self._secret)
        return await self._token("token.client_credentials", form, RetryMode.SAFE, ())

    @property
    def _secret(self) -> str:
        return self.settings.client_secret.get_secret_value()

    async def _token(
        self, operation: str, form: dict[str, str], retry: RetryMode, secrets: tuple[str, ...]
    ) -> TokenResponse:
        call = _Call(
            operation,
            "POST",
            TOKEN_PATH,
            retry,
            form=form,
            oauth=True,
            secrets=(*secrets, self._secret),
        )
        response = await self._send(call, None)
        return self._parse(response, TokenResponse, operation)

    # --- Account and items ---------------------------------------------------------------------

    async def get_self(self, auth: TokenProvider) -> UserInfoSelf:
        call = _Call("get_self", "GET", "/core/v1/accounts/self", RetryMode.SAFE)
        return self._parse(await self._send(call, auth), UserInfoSelf, call.operation)

    async def list_items(
        self, auth: TokenProvider, *, status: Sequence[ItemStatus] = ("active",)
    ) -> list[ItemResource]:
        """Every item of the account, page by page until a short page (the API gives no total).
        Pages draw from the account's items bucket (Avito allows 25 requests a minute)."""
        per_page = self.settings.items_per_page
        items: list[ItemResource] = []
        for page in range(1, MAX_ITEM_PAGES + 1):
            params = bodies.items_query(page, per_page, status)
            call = _Call(
                "list_items",
                "GET",
                "/core/v1/items",
                RetryMode.SAFE,
                params,
                endpoint=ITEMS_ENDPOINT,
            )
            batch = self._parse(await self._send(call, auth), ItemsPage, call.operation).resources
            items.extend(batch)
            if len(batch) < per_page:
                return items
        raise MalformedResponseError(
            f"more than {MAX_ITEM_PAGES} full pages; the server ignores per_page",
            operation="list_items",
        )

    async def get_item_info(self, auth: TokenProvider, user_id: int, item_id: int) -> ItemInfo:
        path = (
            f"/core/v1/accounts/{check_id('user_id', user_id)}"
            f"/items/{check_id('item_id', item_id)}/"
        )
        call = _Call("get_item_info", "GET", path, RetryMode.SAFE)
        return self._parse(await self._send(call, auth), ItemInfo, call.operation)

    # --- Short-term rent -----------------------------------------------------------------------

    async def get_bookings(
        self,
        auth: TokenProvider,
        user_id: int,
        item_id: int,
        date_start: date,
        date_end: date,
        *,
        with_unpaid: bool = True,
    ) -> list[RealtyBooking]:
        """Bookings overlapping the window. `skip_error` is never sent: it turns 403/404 into
        an empty list that looks like "no bookings"."""
        params = bodies.bookings_query(date_start, date_end, with_unpaid=with_unpaid)
        path = (
            f"/realty/v1/accounts/{check_id('user_id', user_id)}"
            f"/items/{check_id('item_id', item_id)}/bookings"
        )
        call = _Call("get_bookings", "GET", path, RetryMode.SAFE, params)
        return self._parse(await self._send(call, auth), BookingsResponse, call.operation).bookings

    async def post_core_bookings(
        self,
        auth: TokenProvider,
        user_id: int,
        item_id: int,
        bookings: Sequence[CalendarBooking],
        *,
        source: str | None = "pms",
    ) -> None:
        """Close date ranges (exclusive ends). Raises `ConflictError` on 409. Not retried after
        a 5xx or a lost answer: whether Avito applied the ranges is unknown, and repeating
        additive closures blindly could double-apply them; the caller re-syncs instead."""
        path = (
            f"/core/v1/accounts/{check_id('user_id', user_id)}"
            f"/items/{check_id('item_id', item_id)}/bookings"
        )
        body = bodies.core_bookings_body(bookings, source)
        call = _Call("post_core_bookings", "POST", path, RetryMode.UNPROCESSED_ONLY, json=body)
        await self._send(call, auth)

    async def post_prices(
        self, auth: TokenProvider, user_id: int, item_id: int, prices: Sequence[PriceItem]
    ) -> None:
        """Prices per range (inclusive `date_to`). Repeating the same prices is harmless."""
        path = (
            f"/realty/v1/accounts/{check_id('user_id', user_id)}"
            f"/items/{check_id('item_id', item_id)}/prices"
        )
        body = bodies.prices_body(prices)
        await self._send(_Call("post_prices", "POST", path, RetryMode.SAFE, json=body), auth)

    async def post_intervals(
        self,
        auth: TokenProvider,
        item_id: int,
        intervals: Sequence[Interval],
        *,
        source: str | None = "pms",
    ) -> None:
        """Replace the item's availability for the next year: days not covered are closed,
        so pass every open range in one call (an empty list closes the calendar)."""
        body = bodies.intervals_body(item_id, intervals, source)
        call = _Call(
            "post_intervals", "POST", "/realty/v1/items/intervals", RetryMode.SAFE, json=body
        )
        await self._send(call, auth)

    async def post_base_params(self, auth: TokenProvider, item_id: int, params: BaseParams) -> None:
        path = f"/realty/v1/items/{check_id('item_id', item_id)}/base"
        call = _Call(
            "post_base_params", "POST", path, RetryMode.SAFE, json=bodies.base_params_body(params)
        )
        await self._send(call, auth)

    # --- Request machinery ---------------------------------------------------------------------

    def _parse(self, response: httpx.Response, model: type[M], operation: str) -> M:
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

    async def _send(self, call: _Call, auth: TokenProvider | None) -> httpx.Response:
        account_key = auth.account_key if auth is not None else None
        token = await auth.access_token() if auth is not None else None
        refreshed = used_fresh_token = False
        failures = 0
        is_retry = False
        while True:
            waited = await self._limiter.acquire(account_key, endpoint=call.endpoint)
            record_request(call.operation, retry=is_retry, waited=waited)
            is_retry = True
            headers = {"Authorization": f"Bearer {token}"} if token else None
            secrets = (*call.secrets, token) if token else call.secrets
            started = time.monotonic()
            try:
                response = await self._http.request(
                    call.method,
                    call.path,
                    params=call.params,
                    json=call.json,
                    data=call.form,
                    headers=headers,
                )
            except httpx.TransportError as exc:
                failures += 1
                kind = type(exc).__name__
                delay = (
                    self._policy.next_delay(failures, self._rand(), RateLimitHeaders())
                    if retryable_exception(call.retry, exc)
                    else None
                )
                self._log_failure(call, account_key, failures, delay, error=kind)
                if delay is None:
                    raise TransportError(
                        f"no response from Avito ({kind}) after {failures} attempt(s)",
                        operation=call.operation,
                    ) from None
                await self._sleep(delay)
                continue
            status = response.status_code
            elapsed_ms = round((time.monotonic() - started) * 1000)
            if status < 300:
                log.debug(
                    "avito.response",
                    component=COMPONENT,
                    operation=call.operation,
                    status=status,
                    account_key=account_key,
                    attempt=failures + 1,
                    elapsed_ms=elapsed_ms,
                )
                return response
            if status in (401, 403) and auth is not None and not call.oauth:
                if not refreshed:
                    refreshed = True
                    fresh = await auth.access_token(force_refresh=True)
                    if fresh != token:
                        log.info(
                            "avito.token_refreshed_after_denial",
                            component=COMPONENT,
                            operation=call.operation,
                            status=status,
                            account_key=account_key,
                        )
                        token, used_fresh_token = fresh, True
                        continue
                raise self._denied(
                    call, response, secrets, account_key, got_fresh_token=used_fresh_token
                )
            hints = parse_rate_limit_headers(response.headers)
            if retryable_status(call.retry, status):
                failures += 1
                delay = self._policy.next_delay(failures, self._rand(), hints)
                self._log_failure(call, account_key, failures, delay, status=status)
                if delay is not None:
                    await self._sleep(delay)
                    continue
            error = error_for_response(
                ErrorContext(call.operation, status, oauth=call.oauth, rate_limit=hints),
                parse_error_body(response.content, secrets),
            )
            self._log_error(error, account_key)
            raise error

    def _denied(
        self,
        call: _Call,
        response: httpx.Response,
        secrets: tuple[str, ...],
        account_key: str | None,
        *,
        got_fresh_token: bool,
    ) -> AvitoError:
        """A 401, or a 403 that remains after a fresh token (ownership or scope) or that could
        not be retried with one (the token may simply be expired)."""
        status = response.status_code
        body = parse_error_body(response.content, secrets)
        base = error_for_response(ErrorContext(call.operation, status), body)
        cls = ForbiddenError if status == 403 and got_fresh_token else TokenExpiredError
        error = cls(base.message, operation=call.operation, status=status, code=base.code)
        self._log_error(error, account_key)
        return error

    def _log_failure(
        self,
        call: _Call,
        account_key: str | None,
        failures: int,
        delay: float | None,
        *,
        status: int | None = None,
        error: str | None = None,
    ) -> None:
        log.warning(
            "avito.retry" if delay is not None else "avito.give_up",
            component=COMPONENT,
            operation=call.operation,
            account_key=account_key,
            status=status,
            error=error,
            attempt=failures,
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
            avito_code=error.code,
            error=type(error).__name__,
        )


_shared: AvitoClient | None = None


def shared_client(settings: AvitoSettings | None = None) -> AvitoClient:
    """The process-wide client (one connection pool), created on first use from `settings`
    or, when omitted, from the environment. Close it with `close_shared_client()`."""
    global _shared  # noqa: PLW0603 - one pool per process is the point
    if _shared is None:
        _shared = AvitoClient(settings or load_avito_settings())
    return _shared


async def close_shared_client() -> None:
    global _shared
    if _shared is not None:
        client, _shared = _shared, None
        await client.aclose()

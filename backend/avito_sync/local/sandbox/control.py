"""A typed client for the sandbox's control API, for tests and benchmarks."""

from __future__ import annotations

import datetime as dt
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import TypeAdapter

from avito_sync.local.sandbox.models import Account, Application, Listing, SafeDeposit, Settings
from avito_sync.local.sandbox.schemas import (
    BookingOut,
    CalendarDay,
    ClockOut,
    ExpiredOut,
    FaultOut,
    FaultRule,
    Latency,
    PriceDay,
    RequestLogEntry,
)

_CALENDAR = TypeAdapter(list[CalendarDay])
_PRICES = TypeAdapter(list[PriceDay])
_BOOKINGS = TypeAdapter(list[BookingOut])
_FAULTS = TypeAdapter(list[FaultOut])
_LOG = TypeAdapter(list[RequestLogEntry])


class SandboxControlError(RuntimeError):
    pass


class SandboxControl:
    """``SandboxControl("http://127.0.0.1:8790")``; every method is one control API call."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SandboxControl:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, f"/_sandbox{path}", **kwargs)
        if response.status_code >= 400:
            raise SandboxControlError(
                f"{method} /_sandbox{path} -> {response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else None

    # -- world --------------------------------------------------------------------------------

    def reset(self) -> None:
        self._call("POST", "/reset")

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/state")
        return result

    def settings(self) -> Settings:
        return Settings.model_validate(self._call("GET", "/settings"))

    def update_settings(self, **changes: object) -> Settings:
        """e.g. ``conflict_mode="legacy"``, ``token_ttl_seconds=60``, ``validation_status=400``."""
        return Settings.model_validate(self._call("PATCH", "/settings", json=changes))

    def clock(self) -> ClockOut:
        """The sandbox's now and Moscow date (what "not in the past" is judged against)."""
        return ClockOut.model_validate(self._call("GET", "/clock"))

    def today(self) -> dt.date:
        return self.clock().today_moscow

    def advance_clock(self, seconds: float) -> Settings:
        return Settings.model_validate(
            self._call("POST", "/clock/advance", json={"seconds": seconds})
        )

    def add_application(
        self,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        *,
        name: str = "Sandbox app",
        account_id: int | None = None,
        scopes: list[str] | None = None,
    ) -> Application:
        body = {
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
            "name": name,
            "account_id": account_id,
            "scopes": scopes,
        }
        return Application.model_validate(self._call("POST", "/applications", json=body))

    def add_account(
        self,
        name: str = "Sandbox host",
        *,
        account_id: int | None = None,
        email: str = "host@example.com",
        phone: str = "79990000000",
    ) -> Account:
        body = {"id": account_id, "name": name, "email": email, "phone": phone}
        return Account.model_validate(self._call("POST", "/accounts", json=body))

    def add_listing(
        self,
        account_id: int,
        *,
        item_id: int | None = None,
        title: str = "Квартира посуточно",
        status: Literal["active", "removed", "old", "blocked", "rejected"] = "active",
        price: int | None = None,
    ) -> Listing:
        body = {
            "id": item_id,
            "account_id": account_id,
            "title": title,
            "status": status,
            "price": price,
        }
        return Listing.model_validate(self._call("POST", "/listings", json=body))

    # -- guest bookings -------------------------------------------------------------------------

    def create_booking(
        self,
        item_id: int,
        check_in: dt.date,
        check_out: dt.date,
        *,
        status: Literal["pending", "active"] = "active",
        booking_id: int | None = None,
        guest_name: str = "Иван",
        guest_email: str = "guest@example.com",
        guest_phone: str | None = "9997770000",
        guest_count: int = 1,
        base_price: int | None = None,
        safe_deposit: SafeDeposit | None = None,
    ) -> BookingOut:
        body = {
            "id": booking_id,
            "check_in": check_in.isoformat(),
            "check_out": check_out.isoformat(),
            "status": status,
            "guest_name": guest_name,
            "guest_email": guest_email,
            "guest_phone": guest_phone,
            "guest_count": guest_count,
            "base_price": base_price,
            "safe_deposit": safe_deposit.model_dump() if safe_deposit else None,
        }
        return BookingOut.model_validate(
            self._call("POST", f"/listings/{item_id}/bookings", json=body)
        )

    def update_booking(self, booking_id: int, **changes: object) -> BookingOut:
        body = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in changes.items()}
        return BookingOut.model_validate(self._call("PATCH", f"/bookings/{booking_id}", json=body))

    def confirm_booking(self, booking_id: int) -> BookingOut:
        return BookingOut.model_validate(self._call("POST", f"/bookings/{booking_id}/confirm"))

    def cancel_booking(self, booking_id: int) -> BookingOut:
        return BookingOut.model_validate(self._call("POST", f"/bookings/{booking_id}/cancel"))

    def delete_booking(self, booking_id: int) -> None:
        self._call("DELETE", f"/bookings/{booking_id}")

    def bookings(self, item_id: int) -> list[BookingOut]:
        return _BOOKINGS.validate_python(self._call("GET", f"/listings/{item_id}/bookings"))

    # -- tokens -----------------------------------------------------------------------------------

    def expire_tokens(
        self,
        *,
        access_token: str | None = None,
        account_id: int | None = None,
        all_tokens: bool = False,
        include_refresh: bool = False,
    ) -> ExpiredOut:
        body = {
            "access_token": access_token,
            "account_id": account_id,
            "all": all_tokens,
            "include_refresh": include_refresh,
        }
        return ExpiredOut.model_validate(self._call("POST", "/tokens/expire", json=body))

    def authorize(
        self,
        client_id: str,
        *,
        account_id: int,
        scopes: str = "user:read,short_term_rent:read,short_term_rent:write,items:info",
        state: str | None = None,
        redirect_uri: str | None = None,
        allow: bool = True,
    ) -> dict[str, str]:
        """Submit the consent form as a browser would; the redirect's query parameters."""
        form = {"client_id": client_id, "scope": scopes, "account_id": str(account_id)}
        form["decision"] = "allow" if allow else "deny"
        if state is not None:
            form["state"] = state
        if redirect_uri is not None:
            form["redirect_uri"] = redirect_uri
        response = self._http.post("/oauth/decision", data=form)
        if response.status_code != 302:
            raise SandboxControlError(f"consent was not redirected: {response.status_code}")
        query = parse_qs(urlsplit(response.headers["location"]).query)
        return {key: values[0] for key, values in query.items()}

    # -- faults -----------------------------------------------------------------------------------

    def add_fault(
        self,
        target: str,
        *,
        error_rates: dict[int, float] | None = None,
        rate_limit_rate: float = 0.0,
        retry_after: int | None = None,
        timeout_rate: float = 0.0,
        timeout_seconds: float = 30.0,
        malformed_rate: float = 0.0,
        malformed_status: int = 200,
        latency: Latency | None = None,
        times: int | None = None,
        after_apply: bool = False,
        for_seconds: float | None = None,
        hold: bool = False,
        hold_seconds: float = 30.0,
    ) -> FaultOut:
        """``target``: operationId, path, or ``*``. Rates are probabilities (seeded RNG).

        ``after_apply=True``: the request takes effect, then its response is replaced.
        ``for_seconds``: the rule applies only that long from now (an outage window).
        ``hold=True``: matching requests (their answers, with ``after_apply``) wait until
        :meth:`release_fault`, at most ``hold_seconds``.
        """
        rule = FaultRule(
            target=target,
            error_rates=error_rates or {},
            rate_limit_rate=rate_limit_rate,
            retry_after=retry_after,
            timeout_rate=timeout_rate,
            timeout_seconds=timeout_seconds,
            malformed_rate=malformed_rate,
            malformed_status=malformed_status,
            latency=latency,
            times=times,
            after_apply=after_apply,
            for_seconds=for_seconds,
            hold=hold,
            hold_seconds=hold_seconds,
        )
        body = rule.model_dump(mode="json", exclude_none=True)
        return FaultOut.model_validate(self._call("POST", "/faults", json=body))

    def faults(self) -> list[FaultOut]:
        return _FAULTS.validate_python(self._call("GET", "/faults"))

    def fault(self, fault_id: int) -> FaultOut:
        found = [f for f in self.faults() if f.id == fault_id]
        if not found:
            raise SandboxControlError(f"no fault {fault_id}")
        return found[0]

    def release_fault(self, fault_id: int) -> FaultOut:
        """Let the requests a ``hold`` rule keeps waiting go on."""
        return FaultOut.model_validate(self._call("POST", f"/faults/{fault_id}/release"))

    def remove_fault(self, fault_id: int) -> None:
        self._call("DELETE", f"/faults/{fault_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # -- reading state ----------------------------------------------------------------------------

    def calendar(
        self, item_id: int, date_from: dt.date | None = None, date_to: dt.date | None = None
    ) -> list[CalendarDay]:
        params = _date_params(date_from, date_to)
        return _CALENDAR.validate_python(
            self._call("GET", f"/listings/{item_id}/calendar", params=params)
        )

    def prices(
        self, item_id: int, date_from: dt.date | None = None, date_to: dt.date | None = None
    ) -> list[PriceDay]:
        params = _date_params(date_from, date_to)
        return _PRICES.validate_python(
            self._call("GET", f"/listings/{item_id}/prices", params=params)
        )

    def base_params(self, item_id: int) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self._call("GET", f"/listings/{item_id}/base")
        return result

    def requests(self, limit: int = 500) -> list[RequestLogEntry]:
        return _LOG.validate_python(self._call("GET", "/requests", params={"limit": limit}))

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    # -- messenger --------------------------------------------------------------------------------

    def guest_message(
        self, item_id: int, text: str, *, deliver: bool = True, **extra: object
    ) -> dict[str, Any]:
        """A guest writes about the listing; the answer lists the webhook deliveries made."""
        body = {"item_id": item_id, "text": text, "deliver": deliver, **extra}
        result: dict[str, Any] = self._call("POST", "/messenger/guest-messages", json=body)
        return result

    def chats(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/messenger/chats")
        return result

    def webhooks(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = self._call("GET", "/messenger/webhooks")
        return result


def _date_params(first: dt.date | None, last: dt.date | None) -> dict[str, str]:
    params: dict[str, str] = {}
    if first is not None:
        params["date_from"] = first.isoformat()
    if last is not None:
        params["date_to"] = last.isoformat()
    return params

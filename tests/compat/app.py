"""What the deployed app does, step by step, as the app does it (docs/app-contract.md §3, §4):
its own PostgREST writes as `authenticated` with the user's claims, its calls to our
functions, and how `src/services/apiSync.ts` classifies a sync answer."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import TypeAdapter

from avito_sync.api.responses import CallbackAnswer, CloseAvailabilityAnswer, LegacySyncAnswer
from tests.api.conftest import Service
from tests.fixtures.db import as_authenticated

Verdict = Literal["success", "partial", "success_with_warnings", "failure", "warnings"]


def app_state(property_id: uuid.UUID) -> str:
    """The app's unsigned state: base64 JSON, timestamp in milliseconds."""
    data = {"property_id": str(property_id), "timestamp": int(time.time() * 1000), "random": "r"}
    return base64.b64encode(json.dumps(data).encode()).decode()


# src/services/avito.ts:38-64: exactly these five scopes, never items:info.
APP_SCOPES = "user:read,short_term_rent:read,short_term_rent:write,messenger:read,messenger:write"


async def oauth_callback(service: Service, host: uuid.UUID, prop: uuid.UUID, account: int) -> Any:
    """Avito's redirect, then the callback page's call with {code, state, redirect_uri}."""
    redirect, state = consent(service, prop, account)
    return await callback(service, host, redirect["code"], state)


def consent(service: Service, prop: uuid.UUID, account: int) -> tuple[dict[str, str], str]:
    """The authorize URL the app builds (its scopes, its own state), allowed by `account`."""
    state = app_state(prop)
    redirect = service.sandbox.control.authorize(
        service.sandbox.client_id, account_id=account, state=state, scopes=APP_SCOPES
    )
    return redirect, state


async def callback(service: Service, host: uuid.UUID, code: str, state: str) -> Any:
    """AvitoCallbackPage.tsx:88: invoke('avito-oauth-callback', {code, state, redirect_uri})."""
    answer = await invoke(
        service,
        host,
        "avito-oauth-callback",
        {"code": code, "state": state, "redirect_uri": service.sandbox.redirect_uri},
    )
    assert answer.status_code == 200
    return answer.json()


async def invoke(
    service: Service, host: uuid.UUID, function: str, body: dict[str, Any]
) -> httpx.Response:
    """`supabase.functions.invoke(function, {body})`: POST <base>/functions/v1/<function> with
    the user's JWT and the anon key. The base is the Edge forwarders' gateway that
    tests/compat/conftest.py puts in AVITO_SYNC_COMPAT_BASE_URL (the service itself without)."""
    path = f"/functions/v1/{function}"
    headers = {**service.headers(host), "x-client-info": "supabase-js/2.90.1"}
    base = os.environ.get("AVITO_SYNC_COMPAT_BASE_URL")
    if not base:
        answer = await service.http.post(path, json=body, headers=headers)
    else:
        async with httpx.AsyncClient(base_url=base, trust_env=False) as forwarders:
            answer = await forwarders.post(path, json=body, headers=headers)
    shape = DOCUMENTED.get(function)
    if shape is not None and answer.status_code in (200, 409, 502):
        shape.validate_python(answer.json())  # the documented shape, key for key
    return answer


# The answers the OpenAPI document gives for the app's functions (api/responses.py).
DOCUMENTED: dict[str, TypeAdapter[Any]] = {
    "avito_sync": TypeAdapter(LegacySyncAnswer),
    "avito-oauth-callback": TypeAdapter(CallbackAnswer),
    "avito-close-availability": TypeAdapter(CloseAvailabilityAnswer),
}


@dataclass(frozen=True)
class Typed:
    """The connect modal's step-1 form."""

    avito_user_id: int
    avito_item_id: int
    markup: float = 10


def upsert_integration(service: Service, host: uuid.UUID, prop: uuid.UUID, form: Typed) -> str:
    """supabase.from('integrations').upsert({...}, {onConflict: 'property_id,platform'})."""
    with as_authenticated(service.db, host) as conn:
        row = conn.execute(
            "insert into public.integrations (property_id, platform, avito_user_id,"
            " avito_item_id, avito_markup, external_id, is_active)"
            " values (%s, 'avito', %s, %s, %s, %s, true)"
            " on conflict (property_id, platform) do update set"
            " property_id = excluded.property_id, platform = excluded.platform,"
            " avito_user_id = excluded.avito_user_id, avito_item_id = excluded.avito_item_id,"
            " avito_markup = excluded.avito_markup, external_id = excluded.external_id,"
            " is_active = excluded.is_active"
            " returning id",
            (prop, form.avito_user_id, form.avito_item_id, form.markup, str(form.avito_item_id)),
        ).fetchone()
    assert row is not None
    return str(row["id"])


def insert_queue_row(service: Service, host: uuid.UUID, prop: uuid.UUID, integration: str) -> None:
    """AvitoConnectModal.tsx:493: insert({property_id, integration_id, next_sync_at: <now ISO>,
    status: 'pending'}) with exactly these columns."""
    with as_authenticated(service.db, host) as conn:
        conn.execute(
            "insert into public.avito_sync_queue"
            " (property_id, integration_id, next_sync_at, status) values (%s, %s, %s, 'pending')",
            (prop, integration, dt.datetime.now(dt.UTC).isoformat()),
        )


def update_integration(service: Service, host: uuid.UUID, integration: str, **values: Any) -> None:
    """supabase.from('integrations').update({...}).eq('id', integration) as the host."""
    columns = ", ".join(f"{name} = %s" for name in values)
    with as_authenticated(service.db, host) as conn:
        conn.execute(
            f"update public.integrations set {columns} where id = %s",
            (*values.values(), integration),
        )


def delete_queue_rows(service: Service, host: uuid.UUID, integration: str) -> None:
    """AvitoIntegrationForm.tsx:174: delete().eq('integration_id', id)."""
    with as_authenticated(service.db, host) as conn:
        conn.execute(
            "delete from public.avito_sync_queue where integration_id = %s", (integration,)
        )


def app_row(service: Service, host: uuid.UUID, integration: str) -> dict[str, Any]:
    """AvitoIntegrationForm.tsx:73: select('*') through RLS; the fields the app uses."""
    with as_authenticated(service.db, host) as conn:
        row = conn.execute(
            "select id, property_id, is_active, avito_item_id, avito_markup, token_expires_at,"
            " scope from public.integrations where id = %s",
            (integration,),
        ).fetchone()
    assert row is not None
    return dict(row)


def shows_reconnect(row: dict[str, Any]) -> bool:
    """ "Подключить заново" appears only for an inactive row (AvitoIntegrationForm.tsx:302)."""
    return row["is_active"] is False


def error_toasts(service: Service, host: uuid.UUID) -> list[str]:
    """The app's avito_logs error rows (AvitoSyncErrorsHandler.tsx:62), newest first."""
    with as_authenticated(service.db, host) as conn:
        rows = conn.execute(
            "select error from public.avito_logs where status = 'error'"
            " order by created_at desc limit 50"
        ).fetchall()
    return [r["error"] for r in rows]


def calendar_price(base: float, markup: float) -> int:
    """Calendar.tsx:872-874: what the app shows as the Avito price."""
    raw = base + abs(markup) if markup < 0 else base * (1 + markup / 100)
    return math.floor(raw + 0.5)  # JavaScript's Math.round


async def sync(service: Service, host: uuid.UUID, integration: str, action: str = "sync") -> Any:
    """The app's `avito_sync` call. `sync` always answers 200 (the app reads the body); a
    failed `initial-sync` answers non-2xx, the only failure the connect modal can see."""
    answer = await invoke(
        service, host, "avito_sync", {"action": action, "integration_id": integration}
    )
    body = answer.json()
    if action == "initial-sync" and body.get("success") is False:
        assert answer.status_code >= 400, body
    else:
        assert answer.status_code == 200, body
    return body


def classify(body: dict[str, Any]) -> Verdict:
    """apiSync.ts's order of checks (docs/app-contract.md §3.1)."""
    errors = body.get("errors") or []
    if body.get("pushSuccess") is True:
        return "success"
    if body.get("pricesPushSuccess") is True and (
        body.get("intervalsPushSuccess") is False
        or any(
            e.get("operation") == "bookings_update" and e.get("statusCode") == 404 for e in errors
        )
    ):
        return "partial"
    if body.get("hasError") is False:
        return "success_with_warnings"
    if body.get("hasError") is True or body.get("success") is False:
        return "failure"
    if errors:
        return "warnings"
    return "success"

"""What the deployed app does, step by step, as the app does it (existing-frontend.md §3, §4):
its own PostgREST writes as `authenticated` with the user's claims, its calls to our
functions, and how `src/services/apiSync.ts` classifies a sync answer."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from tests.api.conftest import Service
from tests.fixtures.db import as_authenticated

Verdict = Literal["success", "partial", "success_with_warnings", "failure", "warnings"]


def app_state(property_id: uuid.UUID) -> str:
    """The app's unsigned state: base64 JSON, timestamp in milliseconds."""
    data = {"property_id": str(property_id), "timestamp": int(time.time() * 1000), "random": "r"}
    return base64.b64encode(json.dumps(data).encode()).decode()


async def oauth_callback(service: Service, host: uuid.UUID, prop: uuid.UUID, account: int) -> Any:
    """Avito's redirect, then the callback page's call with {code, state, redirect_uri}."""
    state = app_state(prop)
    redirect = service.sandbox.control.authorize(
        service.sandbox.client_id, account_id=account, state=state
    )
    answer = await invoke(
        service,
        host,
        "avito-oauth-callback",
        {"code": redirect["code"], "state": state, "redirect_uri": service.sandbox.redirect_uri},
    )
    assert answer.status_code == 200
    return answer.json()


async def invoke(
    service: Service, host: uuid.UUID, function: str, body: dict[str, Any]
) -> httpx.Response:
    """`supabase.functions.invoke(function, {body})`: POST <base>/functions/v1/<function> with
    the user's JWT and the anon key. The base is the service itself, or the Edge forwarders
    when AVITO_SYNC_COMPAT_BASE_URL names them (then the same steps run through them)."""
    path = f"/functions/v1/{function}"
    headers = {**service.headers(host), "x-client-info": "supabase-js/2.90.1"}
    base = os.environ.get("AVITO_SYNC_COMPAT_BASE_URL")
    if not base:
        return await service.http.post(path, json=body, headers=headers)
    async with httpx.AsyncClient(base_url=base, trust_env=False) as forwarders:
        return await forwarders.post(path, json=body, headers=headers)


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
    """supabase.from('avito_sync_queue').insert({property_id, integration_id})."""
    with as_authenticated(service.db, host) as conn:
        conn.execute(
            "insert into public.avito_sync_queue (property_id, integration_id) values (%s, %s)",
            (prop, integration),
        )


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
    """apiSync.ts's order of checks (existing-frontend.md §3.1)."""
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

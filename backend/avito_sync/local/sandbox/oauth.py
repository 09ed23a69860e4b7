"""OAuth as Avito runs it: a consent page, redirects with ``code`` + ``state``, and ``/token``.

Codes are single-use and live ``code_ttl_seconds``; refresh tokens rotate (the old one dies
unless ``refresh_reuse`` is set, Avito's behaviour being undocumented); client_credentials
tokens act as the application's own account and come without a refresh token.
"""

from __future__ import annotations

import datetime as dt
import html
import secrets
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from avito_sync.local import avito_spec as specs
from avito_sync.local.sandbox.errors import ApiError, oauth_error
from avito_sync.local.sandbox.faults import inject
from avito_sync.local.sandbox.gate import sandbox_state
from avito_sync.local.sandbox.models import Application, AuthCode, Grant
from avito_sync.local.sandbox.state import SandboxState

router = APIRouter()

KNOWN_SCOPES = frozenset(
    specs.load_spec("auth")["components"]["securitySchemes"]["AuthorizationCode"]["flows"][
        "authorizationCode"
    ]["scopes"]
)
GRANT_OPERATIONS = {
    "client_credentials": "getAccessToken",
    "authorization_code": "getAccessTokenAuthorizationCode",
    "refresh_token": "refreshAccessTokenAuthorizationCode",
}

_PAGE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:34rem;margin:3rem auto;line-height:1.5}}
button{{font-size:1rem;padding:.4rem 1.2rem;margin-right:.5rem}}</style></head>
<body><p><small>Avito sandbox (not the real Avito)</small></p>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), body=body), status_code=status)


def _error_page(message: str) -> HTMLResponse:
    """Bad client or redirect URI: Avito shows an error and never redirects."""
    return _page(
        "Ошибка авторизации", f"<h1>Ошибка авторизации</h1><p>{html.escape(message)}</p>", 400
    )


def _check_request(
    state: SandboxState, client_id: str, redirect_uri: str | None, scope: str
) -> tuple[Application, list[str]] | HTMLResponse:
    app = state.world.applications.get(client_id)
    if app is None:
        return _error_page("Неизвестное приложение (client_id).")
    if redirect_uri is not None and redirect_uri != app.redirect_uri:
        return _error_page("redirect_uri не совпадает с зарегистрированным для приложения.")
    scopes = [s for s in scope.split(",") if s]
    if not scopes:
        return _error_page("Не указан scope.")
    unknown = [s for s in scopes if s not in KNOWN_SCOPES or s not in app.scopes]
    if unknown:
        return _error_page(f"Приложению не разрешены права: {', '.join(unknown)}.")
    return app, scopes


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the only encoding Avito documents)."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(raw, keep_blank_values=True))


def _with_query(uri: str, params: dict[str, str]) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


@router.get("/oauth", response_class=HTMLResponse)
async def consent(request: Request) -> HTMLResponse:
    """The consent page: choose the account, then Allow or Deny."""
    state = sandbox_state(request)
    query = request.query_params
    if query.get("response_type") != "code":
        return _error_page("response_type должен быть code.")
    checked = _check_request(
        state, query.get("client_id", ""), query.get("redirect_uri"), query.get("scope", "")
    )
    if isinstance(checked, HTMLResponse):
        return checked
    app, scopes = checked
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in (
            ("client_id", app.client_id),
            ("scope", ",".join(scopes)),
            ("state", query.get("state")),
            ("redirect_uri", query.get("redirect_uri")),
        )
        if value is not None
    )
    # The signed-in account (here: the one named by ?account_id=, else the first) is shown by
    # name and profile id, as Avito does, so a host sees whose account they hand over.
    listed = list(state.world.accounts.values())
    chosen = next((a for a in listed if str(a.id) == query.get("account_id")), None)
    chosen = chosen or (listed[0] if listed else None)
    accounts = "".join(
        f'<p><label><input type="radio" name="account_id" value="{a.id}"'
        f"{' checked' if a is chosen else ''}> <b>{html.escape(a.name)}</b>,"
        f" ID профиля {a.id}</label></p>"
        for a in listed
    )
    signed_in = (
        f'<p id="account">Вы подключаете аккаунт Avito <b>{html.escape(chosen.name)}</b>'
        f" (ID профиля {chosen.id}). Приложение получит доступ к его объявлениям,"
        " бронированиям и календарю.</p>"
        if chosen is not None
        else ""
    )
    scope_items = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in scopes)
    body = (
        f"<h1>{html.escape(app.name)} запрашивает доступ</h1>{signed_in}<ul>{scope_items}</ul>"
        f'<form method="post" action="/oauth/decision">{hidden}'
        f"<fieldset><legend>Аккаунт Avito</legend>{accounts}</fieldset><p>"
        '<button type="submit" name="decision" value="allow">Разрешить</button>'
        '<button type="submit" name="decision" value="deny">Отклонить</button></p></form>'
    )
    return _page("Авторизация приложения", body)


# What the consent page's form posts (parsed by hand: the page is HTML, not a JSON API).
DECISION_FORM: dict[str, object] = {
    "type": "object",
    "required": ["client_id", "scope", "decision"],
    "properties": {
        "client_id": {"type": "string", "description": "the application, as on /oauth"},
        "scope": {"type": "string", "description": "comma-separated, as on /oauth"},
        "state": {"type": "string", "description": "passed back unchanged"},
        "redirect_uri": {"type": "string", "description": "must be the registered one"},
        "account_id": {"type": "string", "description": "the account to grant (Allow only)"},
        "decision": {"type": "string", "enum": ["allow", "deny"]},
    },
    "example": {
        "client_id": "sandbox-demo-client-0001",
        "scope": "user:read,short_term_rent:read,short_term_rent:write,items:info",
        "state": "<state from the authorize URL>",
        "redirect_uri": "http://127.0.0.1:5173/auth/avito-callback",
        "account_id": "387654321",
        "decision": "allow",
    },
}


@router.post(
    "/oauth/decision",
    response_model=None,
    status_code=302,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": DECISION_FORM}},
        }
    },
)
async def decision(request: Request) -> Response:
    """The consent page's form (``application/x-www-form-urlencoded``): the hidden fields of
    ``GET /oauth`` plus ``account_id`` and ``decision``.

    Allow: 302 to the registered URI with ``code`` and the unchanged ``state``.
    Deny: 302 with ``error=access_denied`` and ``error_description``."""
    state = sandbox_state(request)
    field = await _form(request)
    checked = _check_request(
        state, field.get("client_id", ""), field.get("redirect_uri"), field.get("scope", "")
    )
    if isinstance(checked, HTMLResponse):
        return checked
    app, scopes = checked
    passthrough = {"state": field["state"]} if "state" in field else {}
    if field.get("decision") != "allow":
        params = {
            "error": "access_denied",
            "error_description": "The user denied access to the application",
            **passthrough,
        }
        return RedirectResponse(_with_query(app.redirect_uri, params), status_code=302)
    account_id = field.get("account_id", "")
    if not account_id.isdigit() or int(account_id) not in state.world.accounts:
        return _error_page("Выберите аккаунт.")
    code = AuthCode(
        code=secrets.token_urlsafe(24),
        client_id=app.client_id,
        account_id=int(account_id),
        scopes=scopes,
        expires_at=state.now() + dt.timedelta(seconds=state.world.settings.code_ttl_seconds),
    )
    state.world.codes[code.code] = code
    params = {"code": code.code, **passthrough}
    return RedirectResponse(_with_query(app.redirect_uri, params), status_code=302)


def _client(state: SandboxState, form: dict[str, str]) -> Application:
    app = state.world.applications.get(form.get("client_id", ""))
    secret = form.get("client_secret", "")
    if app is None or not secrets.compare_digest(app.client_secret.encode(), secret.encode()):
        raise oauth_error(401, "invalid_client", "Client authentication failed")
    return app


def _token_body(
    request: Request,
    state: SandboxState,
    app: Application,
    account_id: int,
    scopes: list[str] | None,
    *,
    grant: Grant,
) -> dict[str, object]:
    access = state.issue_access_token(app, account_id, scopes, grant)
    request.scope.setdefault("state", {})["account_id"] = account_id
    body: dict[str, object] = {
        "access_token": access.token,
        "expires_in": state.world.settings.token_ttl_seconds,
        "token_type": "Bearer",
    }
    if scopes is not None:
        if state.world.settings.issue_refresh_tokens:
            body["refresh_token"] = state.issue_refresh_token(app, account_id, scopes)
        body["scope"] = ",".join(scopes)
    return body


def _exchange_code(
    request: Request, state: SandboxState, app: Application, form: dict[str, str]
) -> dict[str, object]:
    code = state.world.codes.get(form["code"])
    if code is None or code.client_id != app.client_id:
        raise oauth_error(400, "invalid_grant", "Unknown authorization code")
    if code.used:
        raise oauth_error(400, "invalid_grant", "Authorization code has already been used")
    code.used = True
    if code.expires_at <= state.now():
        raise oauth_error(400, "invalid_grant", "Authorization code has expired")
    redirect_uri = form.get("redirect_uri")
    if redirect_uri is not None and redirect_uri != app.redirect_uri:
        raise oauth_error(400, "invalid_grant", "redirect_uri does not match the registered one")
    return _token_body(
        request, state, app, code.account_id, code.scopes, grant="authorization_code"
    )


def _refresh(
    request: Request, state: SandboxState, app: Application, form: dict[str, str]
) -> dict[str, object]:
    refresh = state.world.refresh_tokens.get(form["refresh_token"])
    if refresh is None or not refresh.active or refresh.client_id != app.client_id:
        raise oauth_error(400, "invalid_grant", "Invalid or revoked refresh token")
    if not state.world.settings.refresh_reuse:
        refresh.active = False
    return _token_body(
        request, state, app, refresh.account_id, refresh.scopes, grant="refresh_token"
    )


@router.post("/token")
@router.post("/token/", include_in_schema=False)
async def token(request: Request) -> Response:
    """The three grants, form-encoded; errors are OAuth-style ``{error, error_description}``."""
    state = sandbox_state(request)
    form = await _form(request)
    grant = form.get("grant_type", "")
    operation_id = GRANT_OPERATIONS.get(grant)
    try:
        if operation_id is None:
            if not grant:
                raise oauth_error(400, "invalid_request", "grant_type is required")
            raise oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")
        request.scope.setdefault("state", {})["operation_id"] = operation_id
        faulted = await inject(request, state, operation_id, "oauth")
        if faulted is not None:
            return faulted
        issues = specs.request_body_issues(operation_id, form)
        if issues:
            raise oauth_error(400, "invalid_request", "; ".join(map(str, issues)))
        app = _client(state, form)
        if grant == "authorization_code":
            body = _exchange_code(request, state, app, form)
        elif grant == "refresh_token":
            body = _refresh(request, state, app, form)
        elif app.account_id is None:
            raise oauth_error(400, "unauthorized_client", "No account for client_credentials")
        else:
            body = _token_body(
                request, state, app, app.account_id, None, grant="client_credentials"
            )
    except ApiError as exc:
        return exc.response
    return JSONResponse(body, headers={"Cache-Control": "no-store"})

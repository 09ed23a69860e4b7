"""What every emulated API call goes through first: faults, the bearer token, its scope,
and the spec's path and query parameters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from avito_sync.local import avito_spec as specs
from avito_sync.local.sandbox.errors import ApiError, Family, error, family_of, validation_error
from avito_sync.local.sandbox.faults import inject
from avito_sync.local.sandbox.models import AccessToken
from avito_sync.local.sandbox.state import SandboxState


@dataclass(frozen=True)
class Call:
    state: SandboxState
    token: AccessToken
    family: Family
    operation_id: str


def sandbox_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _authenticate(state: SandboxState, request: Request, op: specs.Operation) -> AccessToken:
    family = family_of(op.spec)
    raw = _bearer(request)
    token = state.world.access_tokens.get(raw) if raw else None
    if token is None:
        # The STR operations list no 401: Avito answers a missing or foreign token with 403.
        status = 401 if op.response_for(401) is not None or "403" not in op.responses else 403
        raise error(family, status, "Unauthorized: missing or unknown access token")
    request.scope.setdefault("state", {})["account_id"] = token.account_id
    if token.expires_at <= state.now():
        # Avito answers an expired token with 403 on every call (auth.json, step 8).
        raise error(family, 403, "Forbidden: access token expired")
    missing = [s for s in op.scopes if token.scopes is not None and s not in token.scopes]
    if missing:
        raise error(family, 403, f"Forbidden: token lacks scope {','.join(missing)}")
    return token


def check_parameters(
    state: SandboxState, operation_id: str, path: Mapping[str, str], query: Mapping[str, str]
) -> None:
    issues = [
        *specs.parameter_issues(operation_id, "path", path),
        *specs.parameter_issues(operation_id, "query", query),
    ]
    if not issues:
        return
    op = specs.operation(operation_id)
    family = family_of(op.spec)
    if family == "flat":
        raise error(family, 400, "; ".join(map(str, issues)))
    # Unknown path ids are "not found" rather than invalid, as on a real router.
    if all(i.location.startswith("path.") for i in issues):
        raise error(family, 404, "Item not found")
    raise validation_error(state.world.settings.validation_status, issue_fields(issues))


def issue_fields(issues: list[specs.SchemaIssue]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for issue in issues:
        key = issue.location.removeprefix("query.").removeprefix("path.") or "body"
        fields[key] = f"{fields[key]}; {issue.message}" if key in fields else issue.message
    return fields


async def begin(request: Request, operation_id: str) -> Call:
    """Faults first (Avito can fail before anything else), then authentication and parameters."""
    state = sandbox_state(request)
    op = specs.operation(operation_id)
    family = family_of(op.spec)
    request.scope.setdefault("state", {})["operation_id"] = operation_id
    faulted = await inject(request, state, operation_id, family)
    if faulted is not None:
        raise ApiError(faulted)
    token = _authenticate(state, request, op)
    if not state.world.settings.lean:
        check_parameters(
            state,
            operation_id,
            {k: str(v) for k, v in request.path_params.items()},
            dict(request.query_params),
        )
    return Call(state=state, token=token, family=family, operation_id=operation_id)


async def json_body(request: Request, call: Call) -> dict[str, Any]:
    """The parsed JSON object, checked against the operation's request schema."""
    raw = await request.body()
    try:
        body: object = json.loads(raw) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise error(call.family, 400, "Bad request: body is not valid JSON") from None
    if body is None:
        raise validation_error(call.state.world.settings.validation_status, {"body": "required"})
    lean = call.state.world.settings.lean
    issues = [] if lean else specs.request_body_issues(call.operation_id, body)
    if issues:
        raise validation_error(call.state.world.settings.validation_status, issue_fields(issues))
    if not isinstance(body, dict):  # every STR body schema is an object
        raise validation_error(
            call.state.world.settings.validation_status, {"body": "not an object"}
        )
    return body

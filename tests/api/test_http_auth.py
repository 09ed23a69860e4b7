"""Auth, CORS and bad input at the HTTP boundary: the right status and code, never a 500."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.api.conftest import ENDPOINT, Service
from tests.api.jwt_tools import claims, new_es256, sign, sign_hs256

USER_ENDPOINTS = [
    ENDPOINT,
    "/functions/v1/avito_sync",
    "/functions/v1/avito-oauth-callback",
    "/functions/v1/avito-close-availability",
]


@pytest.mark.parametrize("path", USER_ENDPOINTS)
async def test_missing_or_malformed_bearer_is_401(service: Service, path: str) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        answer = await service.http.post(path, json={"action": "status"}, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["code"] == "AUTH_REQUIRED"
        assert answer.headers["www-authenticate"] == "Bearer"


async def test_bad_tokens_are_401_and_wrong_role_403(service: Service) -> None:
    user = service.user()
    prop = service.property(user)
    body = {"action": "status", "property_id": str(prop)}
    issuer = service.jwks.issuer
    bad: dict[str, str] = {
        "expired": service.token(user, exp=int(time.time()) - 60),
        "wrong audience": service.token(user, aud="anon"),
        "wrong issuer": service.token(user, iss="https://other.supabase.co/auth/v1"),
        "foreign key": sign(new_es256(kid=service.key.kid), claims(issuer, user)),
        "hs256 without a configured secret": sign_hs256(claims(issuer, user)),
        "alg none": service.token(user)[: service.token(user).rindex(".")] + ".",
        "garbage": "abc.def.ghi",
    }
    for why, token in bad.items():
        answer = await service.http.post(
            ENDPOINT, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 401, why
        assert answer.json()["code"] == "INVALID_TOKEN", why
    anon = service.token(user, role="anon")
    answer = await service.http.post(
        ENDPOINT, json=body, headers={"Authorization": f"Bearer {anon}"}
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "FORBIDDEN_ROLE"
    ok = await service.act(user, "status", property_id=str(prop))
    assert ok.status_code == 200
    assert ok.json()["state"] == "not_connected"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "status"}, "property_id"),
        ({"action": "status", "property_id": "not-a-uuid"}, "property_id"),
        ({"action": "status", "property_id": 12}, "property_id"),
        ({"action": "launch-rockets"}, "action"),
        ({}, "action"),
        ({"action": "exchange-code", "state": "x"}, "code"),
        ({"action": "update-markup", "markup": 10}, "integration_id"),
        (
            {"action": "update-markup", "integration_id": str(uuid.uuid4()), "markup": 101},
            "markup",
        ),
        (
            {"action": "update-markup", "integration_id": str(uuid.uuid4()), "markup": -1},
            "markup",
        ),
        (
            {"action": "update-markup", "integration_id": str(uuid.uuid4()), "markup": "lots"},
            "markup",
        ),
        (
            {"action": "update-markup", "integration_id": str(uuid.uuid4()), "markup": 10.555},
            "markup",
        ),
        (
            {"action": "validate-item", "account_id": str(uuid.uuid4()), "item_id": "40123abc78"},
            "item_id",
        ),
        (
            {"action": "validate-item", "account_id": str(uuid.uuid4()), "item_id": True},
            "item_id",
        ),
        (
            {"action": "validate-item", "account_id": str(uuid.uuid4()), "item_id": 10**12},
            "item_id",
        ),
        (
            {"action": "validate-item", "account_id": str(uuid.uuid4()), "item_id": 0},
            "item_id",
        ),
        (
            {"action": "progress-save", "property_id": str(uuid.uuid4()), "progress": {"step": 4}},
            "step",
        ),
    ],
)
async def test_bad_bodies_are_400_with_a_code(
    service: Service, body: dict[str, Any], field: str
) -> None:
    user = service.user()
    answer = await service.http.post(ENDPOINT, json=body, headers=service.headers(user))
    assert answer.status_code == 400, answer.text
    payload = answer.json()
    expected = "UNKNOWN_ACTION" if body.get("action") == "launch-rockets" else "INVALID_REQUEST"
    assert payload["code"] == expected
    assert payload["success"] is False
    assert payload["message"]
    assert any(field in d["field"] + d["problem"] for d in payload["details"]), payload


async def test_non_json_bodies_are_400(service: Service) -> None:
    user = service.user()
    headers = {**service.headers(user), "Content-Type": "application/json"}
    for raw, code in [
        (b"{not json", "INVALID_JSON"),
        (b"[1, 2]", "INVALID_REQUEST"),
        (b'"text"', "INVALID_REQUEST"),
        (b"", "INVALID_REQUEST"),
    ]:
        answer = await service.http.post(ENDPOINT, content=raw, headers=headers)
        assert answer.status_code == 400, raw
        assert answer.json()["code"] == code, raw


async def test_unknown_route_and_method(service: Service) -> None:
    missing = await service.http.get("/functions/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"
    wrong = await service.http.get(ENDPOINT)
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "METHOD_NOT_ALLOWED"


async def test_cors_preflight_like_edge_functions(service: Service) -> None:
    answer = await service.http.options(
        ENDPOINT,
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, x-client-info, apikey, content-type",
        },
    )
    assert answer.status_code == 200
    assert answer.text == "ok"
    assert answer.headers["access-control-allow-origin"] == "https://app.example"
    allowed = answer.headers["access-control-allow-headers"]
    for header in ("authorization", "x-client-info", "apikey", "content-type", "x-retry-count"):
        assert header in allowed
    assert "POST" in answer.headers["access-control-allow-methods"]


async def test_cors_origin_on_every_response_and_only_for_allowed_origins(
    service: Service,
) -> None:
    failed = await service.http.post(
        ENDPOINT, json={"action": "status"}, headers={"Origin": "http://localhost:5173"}
    )
    assert failed.status_code == 401
    assert failed.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert failed.headers["vary"] == "Origin"
    stranger = await service.http.post(
        ENDPOINT, json={"action": "status"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in stranger.headers
    preflight = await service.http.options(
        ENDPOINT,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_lost_database_is_503_not_500(service: Service) -> None:
    user = service.user()
    prop = service.property(user)
    await service.runtime.pool.close()
    answer = await service.act(user, "status", property_id=str(prop))
    assert answer.status_code == 503
    assert answer.json()["code"] == "DATABASE_UNAVAILABLE"

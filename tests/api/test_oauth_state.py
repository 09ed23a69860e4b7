"""Signed OAuth state: forgery, tampering, expiry; property-based round trip."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.api.oauth_state import StateError, issue_state, nonce_hash, verify_state

SECRET = "k" * 48
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@given(user=st.uuids(), prop=st.uuids(), seconds=st.integers(0, 3599))
def test_round_trip_within_the_hour(user: uuid.UUID, prop: uuid.UUID, seconds: int) -> None:
    token, issued = issue_state(SECRET, user, prop, NOW)
    state = verify_state(SECRET, token, NOW + timedelta(seconds=seconds))
    assert (state.user_id, state.property_id, state.nonce) == (user, prop, issued.nonce)
    assert state.nonce_hash == nonce_hash(issued.nonce) != issued.nonce


@given(seconds=st.integers(3600, 10**7))
def test_expires_after_one_hour(seconds: int) -> None:
    token, _ = issue_state(SECRET, uuid.uuid4(), uuid.uuid4(), NOW)
    with pytest.raises(StateError) as caught:
        verify_state(SECRET, token, NOW + timedelta(seconds=seconds))
    assert caught.value.reason == "expired"


def test_nonces_are_unique() -> None:
    tokens = {issue_state(SECRET, uuid.uuid4(), uuid.uuid4(), NOW)[1].nonce for _ in range(200)}
    assert len(tokens) == 200


def _tamper_payload(token: str, **changes: object) -> str:
    payload, mac = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    new = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{new}.{mac}"


def test_tampering_and_forgery_are_invalid() -> None:
    token, _ = issue_state(SECRET, uuid.uuid4(), uuid.uuid4(), NOW)
    forged_elsewhere, _ = issue_state("x" * 48, uuid.uuid4(), uuid.uuid4(), NOW)
    legacy = base64.b64encode(
        json.dumps({"property_id": str(uuid.uuid4()), "timestamp": 1, "random": "x"}).encode()
    ).decode()
    bad = [
        _tamper_payload(token, u=str(uuid.uuid4())),
        _tamper_payload(token, p=str(uuid.uuid4())),
        _tamper_payload(token, e=int((NOW + timedelta(days=30)).timestamp())),
        forged_elsewhere,
        legacy,
        token + "x",
        "",
        "a.b.c",
        "!!!.???",
    ]
    for candidate in bad:
        with pytest.raises(StateError) as caught:
            verify_state(SECRET, candidate, NOW)
        assert caught.value.reason == "invalid", candidate

"""The rules that turn facts into findings (pure), and the SQL decryption the import relies on,
over many tokens and encryption depths."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avito_sync.cutover.checks import build_findings
from avito_sync.cutover.facts import (
    FORWARDED_FUNCTIONS,
    REMOVED_FUNCTIONS,
    DbFacts,
    FunctionProbe,
    FunctionState,
    ServiceProbe,
    version_tuple,
)
from avito_sync.cutover.findings import ExitCode, Report, Status
from tests.fixtures.db import Conn

READY: dict[str, Any] = {
    "pg_net": "0.14.0",
    "net_functions": True,
    "pg_cron": "1.6.4",
    "pgcrypto": "1.3",
    "legacy_jobs": [],
    "legacy_columns": ["access_token_encrypted", "refresh_token_encrypted"],
    "legacy_pending": 0,
    "legacy_left": {},
    "legacy_unused": 0,
    "imported": 3,
    "encryption_key": True,
    "messenger_integrations": 0,
    "service_url": "https://sync.example.com",
    "poll_secret": True,
    "poller_schedule": "10 seconds",
}
UP = ServiceProbe("https://sync.example.com", status_code=200)
ALL_OURS = tuple(FunctionProbe(n, FunctionState.OURS, 200) for n in FORWARDED_FUNCTIONS) + tuple(
    FunctionProbe(n, FunctionState.ABSENT, 404) for n in REMOVED_FUNCTIONS
)


def statuses(facts: dict[str, Any], **kwargs: Any) -> dict[str, Status]:
    findings = build_findings(
        DbFacts.from_json(facts), kwargs.get("service", UP), kwargs.get("functions", ALL_OURS)
    )
    return {f.id: f.status for f in findings}


def test_a_finished_cutover_has_nothing_to_do() -> None:
    findings = build_findings(DbFacts.from_json(READY), UP, ALL_OURS)
    assert all(f.status is Status.OK for f in findings), findings
    assert Report("check", findings).exit_code is ExitCode.OK


@pytest.mark.parametrize(
    ("change", "fid", "expected"),
    [
        ({"pg_net": None, "net_functions": False}, "pg_net", Status.FAIL),
        ({"pg_net": None}, "pg_net", Status.OK),  # the local stand-in
        ({"pg_cron": None}, "pg_cron", Status.FAIL),
        ({"pg_cron": "1.4-1"}, "pg_cron", Status.WARN),
        ({"pg_cron": "1.5.0"}, "pg_cron", Status.OK),
        ({"poll_secret": False}, "setup", Status.FAIL),
        ({"poller_schedule": None}, "setup", Status.FAIL),
        ({"legacy_pending": 2}, "legacy_tokens", Status.FAIL),
        ({"legacy_unused": 1}, "legacy_tokens", Status.FAIL),
        ({"legacy_columns": []}, "legacy_tokens", Status.OK),
        ({"legacy_left": {"needs_reconnect:cannot_decrypt": 1}}, "legacy_reconnect", Status.WARN),
        ({"pgcrypto": None, "legacy_pending": 1}, "pgcrypto", Status.FAIL),
        ({"pgcrypto": None}, "pgcrypto", Status.OK),
        (
            {"legacy_jobs": [{"jobname": "avito_poller_cron", "schedule": "*", "kind": "rentals"}]},
            "old_cron_jobs",
            Status.FAIL,
        ),
        (
            {"legacy_jobs": [{"jobname": "m", "schedule": "*", "kind": "messenger"}]},
            "messenger_cron_jobs",
            Status.WARN,
        ),
    ],
)
def test_each_fact_gives_its_finding(change: dict[str, Any], fid: str, expected: Status) -> None:
    assert statuses(READY | change)[fid] is expected


def test_the_service_finding_says_what_happened() -> None:
    assert statuses(READY, service=ServiceProbe(None))["service"] is Status.FAIL
    for probe in (
        ServiceProbe("http://x", status_code=503),
        ServiceProbe("http://x", error="timed out"),
    ):
        finding = {f.id: f for f in build_findings(DbFacts.from_json(READY), probe, ALL_OURS)}[
            "service"
        ]
        assert finding.status is Status.FAIL
        assert ("503" if probe.status_code else "timed out") in finding.detail


@pytest.mark.parametrize(
    ("name", "state", "expected"),
    [
        ("avito_sync", FunctionState.OLD, Status.FAIL),
        ("avito-oauth-callback", FunctionState.ABSENT, Status.FAIL),
        ("avito-close-availability", FunctionState.UNREACHABLE, Status.FAIL),
        ("avito-sync", FunctionState.ABSENT, Status.WARN),
        ("avito-messenger", FunctionState.OLD, Status.WARN),
        ("avito-webhook", FunctionState.OLD, Status.FAIL),
        ("avito-poller", FunctionState.OLD, Status.WARN),
        ("apply-migration", FunctionState.ABSENT, Status.OK),
    ],
)
def test_function_states(name: str, state: FunctionState, expected: Status) -> None:
    functions = tuple(FunctionProbe(f.name, state, 200) if f.name == name else f for f in ALL_OURS)
    found = statuses(READY, functions=functions)
    key = f"old_function:{name}" if name in REMOVED_FUNCTIONS else f"function:{name}"
    assert found[key] is expected


def test_messages_warn_until_the_messenger_forwarder_is_live() -> None:
    facts = READY | {"messenger_integrations": 2}
    assert statuses(facts)["messenger"] is Status.OK
    old = tuple(
        FunctionProbe(f.name, FunctionState.OLD, 200) if f.name == "avito-messenger" else f
        for f in ALL_OURS
    )
    assert statuses(facts, functions=old)["messenger"] is Status.WARN
    assert statuses(facts, functions=None)["messenger"] is Status.WARN


def test_a_refused_apply_needs_action_even_without_a_failing_finding() -> None:
    findings = build_findings(DbFacts.from_json(READY), UP, ALL_OURS)
    assert Report("apply", findings, refused=True).exit_code is ExitCode.ACTION_NEEDED


@given(st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=4), st.text())
def test_version_tuple_reads_the_numeric_prefix(parts: list[int], suffix: str) -> None:
    version = ".".join(map(str, parts))
    assert version_tuple(version) == tuple(parts)
    assert version_tuple(f"{version}-{suffix}") == tuple(parts)


TOKENS = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.",
    min_size=8,
    max_size=120,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=TOKENS, rounds=st.integers(min_value=0, max_value=4))
def test_decryption_peels_every_layer_and_refuses_a_wrong_key(
    db: Conn, token: str, rounds: int
) -> None:
    """As the old app wrote them: encode(pgp_sym_encrypt(…), 'base64'), any number of times."""
    row = db.execute(
        "with recursive layers(n, v) as (select 0, %s::text union all"
        " select n + 1, encode(extensions.pgp_sym_encrypt(v, 'the-key'), 'base64')"
        " from layers where n < %s)"
        " select v, avito_private.legacy_token_plaintext(v, array['wrong', 'the-key']) as right,"
        " avito_private.legacy_token_plaintext(v, array['wrong']) as wrong"
        " from layers order by n desc limit 1",
        (token, rounds),
    ).fetchone()
    assert row is not None
    assert row["right"] == token
    assert row["wrong"] == (token if rounds == 0 else None)

"""`avito-sync cutover check | apply` on the app's production database as the old app left it:
every kind of legacy connection imported (or sent to reconnect), twice over with the same final
state, the service reached through the pg_net stand-in, and no token in any output."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.cutover.conftest import (
    D1,
    D2,
    D3,
    FIXTURE_TOKENS,
    HOST_TWO,
    LOST_KEY,
    OLD_KEY,
    Legacy,
    build_legacy_database,
    run_cutover,
    standard_connections,
    stored_values,
)
from tests.fixtures.db import Conn, as_service_role, connect, running_net_dispatcher

STATUSES = {"ok", "warn", "fail"}


def assert_schema(report: dict[str, Any]) -> None:
    """The documented --json schema (README "Deploying to Supabase")."""
    assert report["command"] in {"check", "apply"}
    assert report["exit_code"] in {0, 1}
    ids = [f["id"] for f in report["findings"]]
    assert len(ids) == len(set(ids))
    for finding in report["findings"]:
        assert set(finding) == {"id", "status", "title", "detail", "action"}
        assert finding["status"] in STATUSES
        assert isinstance(finding["title"], str)
        assert isinstance(finding["detail"], str)
        assert finding["action"] is None or isinstance(finding["action"], str)
        if finding["status"] != "ok":
            assert finding["action"], finding["id"]
    assert report["exit_code"] == int(any(f["status"] == "fail" for f in report["findings"]))
    if report["command"] == "apply":
        assert isinstance(report["refused"], bool)


def state(conn: Conn) -> dict[str, Any]:
    """Everything the import decides, without timestamps."""
    integrations = conn.execute(
        "select i.id, a.owner_id, a.avito_user_id, i.status, i.is_active, i.last_error,"
        " i.access_token_encrypted, i.refresh_token_encrypted, i.messenger_token_json"
        " from public.integrations i left join public.avito_accounts a on a.id = i.avito_account_id"
        " order by i.id"
    ).fetchall()
    accounts = conn.execute(
        "select owner_id, avito_user_id, status, last_error, scope from public.avito_accounts"
        " order by owner_id, avito_user_id"
    ).fetchall()
    queue = conn.execute(
        "select integration_id, status from public.avito_sync_queue order by integration_id"
    ).fetchall()
    with as_service_role(conn):
        tokens = conn.execute(
            "select a.avito_user_id, t.access_token, t.refresh_token from public.avito_accounts a"
            " cross join lateral avito_private.read_account_tokens(a.id) t order by 1"
        ).fetchall()
    imports = conn.execute(
        "select integration_id, outcome, reason from avito_private.legacy_token_imports order by 1"
    ).fetchall()
    secrets = conn.execute("select count(*) as n from vault.secrets").fetchone()
    return {
        "integrations": integrations,
        "accounts": accounts,
        "queue": queue,
        "tokens": tokens,
        "imports": imports,
        "secrets": secrets,
    }


def secrets_in(conn: Conn, connections: list[Legacy]) -> list[str]:
    """Every plain token and every value the old app stored: none may appear in an output."""
    values = [*FIXTURE_TOKENS, OLD_KEY, LOST_KEY]
    for legacy in connections:
        values += [legacy.access_token, legacy.refresh_token]
        values += [v for v in stored_values(conn, legacy) if v]
    return values


def test_apply_imports_every_kind_of_legacy_connection_once(
    legacy_database: Callable[..., str], service_url: str
) -> None:
    connections = standard_connections()
    url = legacy_database(connections)
    by_kind = {c.kind: c for c in connections}
    outputs: list[str] = []
    with connect(url) as conn:
        once_access, _ = stored_values(conn, by_kind["once"])
        twice_access, twice_refresh = stored_values(conn, by_kind["twice"])
        # As the old app left them: the access token encrypted once and twice, the refresh
        # token once, the plain connection untouched.
        assert once_access.startswith("ww0E")
        assert twice_access.startswith("ww0E")
        assert twice_refresh.startswith("ww0E")
        assert stored_values(conn, by_kind["plain"]) == ("AT-plain-8f2e", "RT-plain-7a1c")
        with as_service_role(conn):
            once = conn.execute(
                "select extensions.pgp_sym_decrypt(decode(%s, 'base64'), %s) as v",
                (twice_access, OLD_KEY),
            ).fetchone()
        assert once is not None
        assert once["v"].startswith("ww0E")  # one decryption is not enough
        never_shown = secrets_in(conn, connections)

        with running_net_dispatcher(url):
            before = run_cutover("check", "--json", database_url=url, service_url=service_url)
            first = run_cutover("apply", "--json", database_url=url, service_url=service_url)
            after_first = state(conn)
            second = run_cutover("apply", "--json", database_url=url, service_url=service_url)
            after_second = state(conn)
            human = run_cutover("apply", database_url=url, service_url=service_url)
            final_check = run_cutover("check", "--json", database_url=url)
        outputs += [before.output, first.output, second.output, human.output, final_check.output]

        # Before: the legacy tokens and the missing setup are findings; the service answers.
        assert before.exit_code == 1
        assert_schema(before.json())
        assert before.finding("legacy_tokens")["status"] == "fail"
        assert before.finding("setup")["status"] == "fail"
        assert before.finding("service")["status"] == "ok"

        report = first.json()
        assert_schema(report)
        assert report["refused"] is False
        assert report["applied"]["import"] == {
            "imported": 4,  # d1, plain, once, twice
            "already_imported": 0,
            "needs_reconnect": 2,  # d2 (no refresh token), undecryptable
            "skipped": 0,
            "reasons": {"cannot_decrypt": 1, "no_refresh_token": 1},
            "unused_cleared": 1,  # d3's messenger_token_json
        }
        assert report["applied"]["setup"]["service_url"] == service_url
        # Vault holds the target now; scratch databases have no pg_cron to schedule the job.
        assert first.finding("setup")["detail"] == "Missing: pg_cron job avito-poller."
        assert first.finding("legacy_tokens")["status"] == "ok"
        assert first.finding("legacy_reconnect")["status"] == "warn"

        # Second run: nothing new, the same final state.
        assert second.json()["applied"]["import"] == {
            "imported": 0,
            "already_imported": 4,
            "needs_reconnect": 2,
            "skipped": 0,
            "reasons": {"cannot_decrypt": 1, "no_refresh_token": 1},
            "unused_cleared": 0,
        }
        assert after_second == after_first
        assert "0 imported, 4 already imported, 2 need a reconnect" in human.output
        assert_schema(final_check.json())
        assert final_check.finding("service")["status"] == "ok"  # the URL setup stored

        # Tokens: each account holds the plain refresh token, decrypted as many times as needed.
        tokens = {r["avito_user_id"]: r for r in after_first["tokens"]}
        for kind in ("plain", "once", "twice"):
            legacy = by_kind[kind]
            assert tokens[legacy.avito_user_id]["refresh_token"] == legacy.refresh_token
            assert tokens[legacy.avito_user_id]["access_token"] == legacy.access_token
        assert tokens[7654321]["refresh_token"] == "legacy-refresh-token-d1"
        assert by_kind["undecryptable"].avito_user_id not in tokens

        rows = {r["id"]: r for r in after_first["integrations"]}
        for kind in ("plain", "once", "twice"):
            row = rows[by_kind[kind].integration_id]
            assert (
                row["status"],
                row["access_token_encrypted"],
                row["refresh_token_encrypted"],
            ) == (
                "active",
                None,
                None,
            )
        broken = rows[by_kind["undecryptable"].integration_id]
        assert broken["status"] == "needs_reconnect"
        assert broken["avito_user_id"] == by_kind["undecryptable"].avito_user_id
        assert broken["refresh_token_encrypted"] is not None  # kept for a run with the key
        assert rows[D2]["refresh_token_encrypted"] is None
        assert rows[D2]["access_token_encrypted"] is not None
        assert rows[D3]["messenger_token_json"] is None
        assert rows[D1]["access_token_encrypted"] is None
        queue = {r["integration_id"]: r["status"] for r in after_first["queue"]}
        # A reconnect drops the row from the queue and shows the app "Подключить заново".
        assert by_kind["undecryptable"].integration_id not in queue
        assert broken["is_active"] is False
        assert queue[by_kind["twice"].integration_id] == "pending"
        accounts = {(r["owner_id"], r["avito_user_id"]): r for r in after_first["accounts"]}
        assert accounts[(HOST_TWO, 5550004)]["status"] == "needs_reconnect"
        # The host hears about it once (the reconnect event), not on every run.
        events = conn.execute(
            "select count(*) as n from public.notification_events where kind = 'needs_reconnect'"
        ).fetchone()
        assert events == {"n": 1}
        # The imported connections are due for their first sync, which refreshes the token.
        due = conn.execute(
            "select count(*) as n from public.avito_accounts"
            " where status = 'active' and token_expires_at < now()"
        ).fetchone()
        assert due == {"n": 4}

    for output in outputs:
        for value in never_shown:
            assert value not in output


def test_the_key_in_the_setting_imports_what_no_vault_key_could(
    scratch_database: Callable[..., str],
) -> None:
    """The old app read its key from app.settings.avito_token_encryption_key first."""
    legacy = Legacy("undecryptable", HOST_TWO, 5550004, 5550004001, "AT-lost", "RT-lost")
    url = scratch_database(local_layer=True)
    build_legacy_database(url, [legacy])
    with connect(url) as conn:
        first = conn.execute("select avito_private.import_legacy_tokens() as r").fetchone()
        assert first is not None
        assert first["r"]["needs_reconnect"] == 2  # d2 and the lost one
        name = conn.execute("select current_database() as d").fetchone()
        assert name is not None
        conn.execute(
            f'alter database "{name["d"]}" set app.settings.avito_token_encryption_key'
            f" = '{LOST_KEY}'"
        )
    with connect(url) as conn:  # a new session sees the setting
        again = conn.execute("select avito_private.import_legacy_tokens() as r").fetchone()
        assert again is not None
        assert (again["r"]["imported"], again["r"]["needs_reconnect"]) == (1, 1)
        with as_service_role(conn):
            row = conn.execute(
                "select t.refresh_token, a.status, i.status as integration_status,"
                " q.status as queue_status"
                " from public.integrations i join public.avito_accounts a"
                "   on a.id = i.avito_account_id"
                " join public.avito_sync_queue q on q.integration_id = i.id"
                " cross join lateral avito_private.read_account_tokens(a.id) t"
                " where i.id = %s",
                (legacy.integration_id,),
            ).fetchone()
    # The reconnect is undone: the account, the integration and its queue row are live again.
    assert row == {
        "refresh_token": "RT-lost",
        "status": "active",
        "integration_status": "active",
        "queue_status": "pending",
    }


def test_apply_refuses_and_changes_nothing_while_the_service_is_unreachable(
    legacy_database: Callable[..., str],
) -> None:
    url = legacy_database()
    with connect(url) as conn:
        before = state(conn)
        with running_net_dispatcher(url):
            refused = run_cutover(
                "apply",
                "--json",
                "--timeout",
                "5",
                database_url=url,
                service_url="http://127.0.0.1:9",
            )
        assert refused.exit_code == 1
        report = refused.json()
        assert_schema(report)
        assert (report["refused"], report["applied"]) == (True, None)
        service = refused.finding("service")
        assert service["status"] == "fail"
        assert "http://127.0.0.1:9/healthz" in service["detail"]
        assert state(conn) == before
        assert conn.execute(
            "select count(*) as n from vault.secrets where name like 'avito_sync_%%'"
        ).fetchone() == {"n": 0}


def test_a_connection_made_through_the_old_callback_after_apply_is_imported_by_the_next(
    legacy_database: Callable[..., str], service_url: str
) -> None:
    """Between `apply` and the forwarders' deploy the old callback may still store tokens."""
    plain = Legacy("plain", HOST_TWO, 5550009, 5550009001, "AT-late", "RT-late")
    url = legacy_database([plain])
    with running_net_dispatcher(url):
        run_cutover("apply", "--json", database_url=url, service_url=service_url)
        with connect(url) as conn:
            conn.execute(
                "update public.integrations set access_token_encrypted = 'AT-newer',"
                " refresh_token_encrypted = 'RT-newer' where id = %s",
                (plain.integration_id,),
            )
        check = run_cutover("check", "--json", database_url=url)
        assert check.finding("legacy_tokens")["status"] == "fail"
        again = run_cutover("apply", "--json", database_url=url, service_url=service_url)
    assert again.json()["applied"]["import"]["imported"] == 1
    with connect(url) as conn, as_service_role(conn):
        row = conn.execute(
            "select t.refresh_token from public.avito_accounts a"
            " cross join lateral avito_private.read_account_tokens(a.id) t"
            " where a.avito_user_id = 5550009"
        ).fetchone()
    assert row == {"refresh_token": "RT-newer"}


def test_check_without_the_migrations_cannot_run(scratch_database: Callable[..., str]) -> None:
    url = scratch_database(local_layer=True)
    ran = run_cutover("check", "--json", database_url=url)
    assert ran.exit_code == 2
    assert "supabase db push" in ran.json()["error"]
    unreachable = run_cutover(
        "check", "--json", database_url=f"postgresql://postgres@127.0.0.1:9/{uuid.uuid4().hex}"
    )
    assert unreachable.exit_code == 2


def test_bad_urls_are_refused_before_anything_runs(database_url: str) -> None:
    for args in (("--service-url", "ftp://x"), ("--supabase-url", "kvauq.supabase.co")):
        ran = run_cutover("check", "--json", *args, database_url=database_url)
        assert ran.exit_code == 2
        assert ran.json()["error"] == f"{args[0]} must be an absolute http(s) URL"

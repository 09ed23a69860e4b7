"""README "Deploying to Supabase", steps 1–7 in order, on the app's database as the old app left
it and a functions host that starts with the old functions and gets the forwarders at step 6.
Each step's findings are what the runbook says they are. (Scratch databases have no pg_cron, so
`pg_cron` and the job part of `setup` fail throughout; on Supabase they are `ok`.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from avito_sync.cli import app
from avito_sync.cutover.facts import APP_FUNCTIONS, FORWARDED_FUNCTIONS, REMOVED_FUNCTIONS
from tests.cutover.conftest import OLD_KEY, POLL_SECRET, Ran, functions_handler, run_cutover
from tests.cutover.test_apply import assert_schema
from tests.fixtures.db import connect, running_net_dispatcher
from tests.support.net import serving

NO_PG_CRON = {"pg_cron", "setup"}


def failing(ran: Ran) -> set[str]:
    assert_schema(ran.json())
    return {f["id"] for f in ran.json()["findings"] if f["status"] == "fail"}


def test_the_runbook_in_order(legacy_database: Callable[..., str], service_url: str) -> None:
    url = legacy_database()  # step 1: `supabase db push` on the old app's database
    modes = dict.fromkeys((*FORWARDED_FUNCTIONS, *REMOVED_FUNCTIONS), "old")
    modes.pop("avito-sync")  # the old project has no function of that name
    with serving(functions_handler(modes)) as functions_url, running_net_dispatcher(url):
        # Step 2 is the service (here: its /healthz); step 3:
        env = {"DATABASE_URL": url, "AVITO_SYNC_POLL_SECRET": POLL_SECRET}
        setup = CliRunner().invoke(app, ["setup", "--service-url", service_url], env=env)
        assert setup.exit_code == 0, setup.output

        # Step 4: only the old system's own findings fail.
        check = run_cutover("check", "--json", database_url=url, SUPABASE_URL=functions_url)
        old_functions = {f"function:{n}" for n in APP_FUNCTIONS} | {"old_function:avito-webhook"}
        assert failing(check) == NO_PG_CRON | {"legacy_tokens"} | old_functions
        assert check.finding("service")["status"] == "ok"

        # Step 5: applied (not refused); exit 1 because the old functions still answer.
        applied = run_cutover(
            "apply",
            "--json",
            database_url=url,
            service_url=service_url,
            SUPABASE_URL=functions_url,
        )
        assert applied.exit_code == 1
        assert applied.json()["refused"] is False
        assert failing(applied) == NO_PG_CRON | old_functions

        # Step 6: forwarders deployed, the old functions deleted (the messenger stays old).
        for name in FORWARDED_FUNCTIONS:
            modes[name] = "ours"
        modes["avito-messenger"] = "old"
        for name in REMOVED_FUNCTIONS:
            modes.pop(name)

        # Step 7: apply again (a no-op), then nothing but this environment's pg_cron fails.
        again = run_cutover(
            "apply",
            "--json",
            database_url=url,
            service_url=service_url,
            SUPABASE_URL=functions_url,
        )
        assert again.json()["applied"]["import"]["imported"] == 0
        final = run_cutover("check", "--json", database_url=url, SUPABASE_URL=functions_url)
        assert failing(final) == NO_PG_CRON
        warnings = {f["id"] for f in final.json()["findings"] if f["status"] == "warn"}
        assert warnings == {"legacy_reconnect", "function:avito-messenger"}


def rollback_sql() -> str:
    """The SQL of README "Rolling back", as a user would paste it."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Rolling back", 1)[1].split("\n## ", 1)[0]
    return section.split("```sql", 1)[1].split("```", 1)[0]


def test_the_rollback_gives_the_old_functions_the_current_tokens(
    legacy_database: Callable[..., str], service_url: str
) -> None:
    url = legacy_database()
    with running_net_dispatcher(url):
        run_cutover("apply", "--json", database_url=url, service_url=service_url)
    with connect(url) as conn:
        conn.execute(rollback_sql().encode())
        rows = conn.execute(
            "select i.id, t.access_token, t.refresh_token,"
            " avito_private.legacy_token_plaintext(i.access_token_encrypted, %s) as access,"
            " avito_private.legacy_token_plaintext(i.refresh_token_encrypted, %s) as refresh,"
            " i.refresh_token_encrypted like 'ww0E%%' as encrypted"
            " from public.integrations i"
            " cross join lateral avito_private.read_account_tokens(i.avito_account_id) t",
            ([OLD_KEY], [OLD_KEY]),
        ).fetchall()
    assert len(rows) == 4  # every imported connection
    for row in rows:
        # Encrypted with the old app's key, as its functions expect, and decrypting to Vault's.
        assert row["encrypted"]
        assert (row["access"], row["refresh"]) == (row["access_token"], row["refresh_token"])

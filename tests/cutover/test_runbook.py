"""README "Deploying to Supabase", steps 1–7 in order, on the app's database as the old app left
it and a functions host that starts with the old functions and gets the forwarders at step 6.
Each step's findings are what the runbook says they are. (Scratch databases have no pg_cron, so
`pg_cron` and the job part of `setup` fail throughout; on Supabase they are `ok`.)"""

from __future__ import annotations

from collections.abc import Callable

from typer.testing import CliRunner

from avito_sync.cli import app
from avito_sync.cutover.checks import APP_FUNCTIONS, FORWARDED_FUNCTIONS, REMOVED_FUNCTIONS
from tests.cutover.conftest import POLL_SECRET, Ran, functions_handler, run_cutover
from tests.cutover.test_apply import assert_schema
from tests.fixtures.db import running_net_dispatcher
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

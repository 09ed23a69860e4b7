"""From observed facts to findings: pure, so every rule is tested without a database."""

from __future__ import annotations

from avito_sync.cutover.facts import (
    APP_FUNCTIONS,
    DANGEROUS_REMOVED,
    FORWARDER_HEADER,
    MESSENGER_FUNCTION,
    REMOVED_FUNCTIONS,
    DbFacts,
    FunctionProbe,
    FunctionState,
    LegacyJob,
    ServiceProbe,
    version_tuple,
)
from avito_sync.cutover.findings import Finding, Status


def build_findings(
    facts: DbFacts,
    service: ServiceProbe,
    functions: tuple[FunctionProbe, ...] | None,
) -> tuple[Finding, ...]:
    """Every finding, in the order the runbook resolves them."""
    forwarders_live = functions is not None and any(
        f.state is FunctionState.OURS and f.name in APP_FUNCTIONS for f in functions
    )
    return (
        _pg_net(facts),
        _pg_cron(facts),
        _setup(facts),
        _service(service),
        _old_jobs(facts),
        _messenger_jobs(facts),
        _pgcrypto(facts),
        _legacy_tokens(facts, forwarders_live=forwarders_live),
        _legacy_left(facts),
        *_functions(functions),
        _messenger(facts, functions),
    )


def _pg_net(facts: DbFacts) -> Finding:
    title = "pg_net (the database calls the service)"
    if facts.pg_net:
        return Finding("pg_net", Status.OK, title, f"pg_net {facts.pg_net} is installed.")
    if facts.net_functions:
        return Finding("pg_net", Status.OK, title, "net.http_* exist (the local pg_net stand-in).")
    return Finding(
        "pg_net",
        Status.FAIL,
        title,
        "pg_net is not installed: the tick cannot reach the service.",
        "Enable pg_net (Dashboard → Database → Extensions, or `create extension pg_net;`), "
        "then run `avito-sync setup`.",
    )


def _pg_cron(facts: DbFacts) -> Finding:
    title = "pg_cron (the 10-second tick)"
    if not facts.pg_cron:
        return Finding(
            "pg_cron",
            Status.FAIL,
            title,
            "pg_cron is not installed: nothing schedules the tick.",
            "Enable pg_cron (Dashboard → Database → Extensions), then run `avito-sync setup`.",
        )
    if version_tuple(facts.pg_cron) >= (1, 5):
        return Finding(
            "pg_cron", Status.OK, title, f"pg_cron {facts.pg_cron} runs '10 seconds' schedules."
        )
    return Finding(
        "pg_cron",
        Status.WARN,
        title,
        f"pg_cron {facts.pg_cron} has no second schedules: avito-poller runs every minute and "
        "asks for six polls 10 s apart.",
        "Upgrade pg_cron to 1.5 or later for a true 10-second schedule (optional).",
    )


def _setup(facts: DbFacts) -> Finding:
    title = "tick target and secret (`avito-sync setup`)"
    missing = [
        name
        for name, present in (
            ("Vault secret avito_sync_service_url", facts.service_url is not None),
            ("Vault secret avito_sync_poll_secret", facts.poll_secret),
            ("pg_cron job avito-poller", facts.poller_schedule is not None),
        )
        if not present
    ]
    if not missing:
        return Finding(
            "setup",
            Status.OK,
            title,
            f"avito-poller ({facts.poller_schedule}) posts to {facts.service_url}/v1/poll.",
        )
    return Finding(
        "setup",
        Status.FAIL,
        title,
        "Missing: " + ", ".join(missing) + ".",
        "Run `avito-sync setup --service-url https://<service>` (`cutover apply` runs it too).",
    )


def _service(probe: ServiceProbe) -> Finding:
    title = "the database reaches the service (pg_net → /healthz)"
    if probe.url is None:
        return Finding(
            "service",
            Status.FAIL,
            title,
            "No service URL: `setup` has not stored one and none was given.",
            "Run `avito-sync setup --service-url https://<service>` or pass --service-url.",
        )
    if probe.status_code == 200:
        return Finding(
            "service", Status.OK, title, f"GET {probe.url}/healthz through pg_net answered 200."
        )
    what = (
        f"answered {probe.status_code}"
        if probe.status_code is not None
        else (probe.error or "no answer")
    )
    return Finding(
        "service",
        Status.FAIL,
        title,
        f"GET {probe.url}/healthz through pg_net: {what}.",
        "Run `avito-sync serve` where the database can reach it (a public HTTPS URL for "
        "Supabase) and check it answers /healthz; locally `avito-sync db net-dispatch` must run.",
    )


def _job_list(jobs: list[LegacyJob]) -> str:
    return ", ".join(f"{j.jobname} ({j.schedule})" for j in jobs)


def _old_jobs(facts: DbFacts) -> Finding:
    title = "old pg_cron jobs of the rentals sync"
    jobs = [j for j in facts.legacy_jobs if j.kind == "rentals"]
    if not jobs:
        return Finding("old_cron_jobs", Status.OK, title, "None scheduled.")
    return Finding(
        "old_cron_jobs",
        Status.FAIL,
        title,
        f"Still scheduled: {_job_list(jobs)}. They drive the old functions with the legacy tokens.",
        "`avito-sync cutover apply` unschedules them together with the token import.",
    )


def _messenger_jobs(facts: DbFacts) -> Finding:
    title = "old pg_cron jobs of the messenger"
    jobs = [j for j in facts.legacy_jobs if j.kind == "messenger"]
    if not jobs:
        return Finding("messenger_cron_jobs", Status.OK, title, "None scheduled.")
    return Finding(
        "messenger_cron_jobs",
        Status.WARN,
        title,
        f"Still scheduled: {_job_list(jobs)}. It reads the legacy token columns, which "
        "`cutover apply` empties; the service's messenger poll and webhooks replace it.",
        "`avito-sync cutover apply` unschedules it together with the token import "
        "(deploy the avito-messenger forwarder first).",
    )


def _pgcrypto(facts: DbFacts) -> Finding:
    title = "pgcrypto (reads the old app's encrypted tokens)"
    if facts.pgcrypto:
        return Finding("pgcrypto", Status.OK, title, f"pgcrypto {facts.pgcrypto} is installed.")
    if facts.legacy_pending:
        return Finding(
            "pgcrypto",
            Status.FAIL,
            title,
            "pgcrypto is missing: encrypted legacy tokens cannot be imported.",
            "Enable pgcrypto (Dashboard → Database → Extensions), then run `cutover apply`.",
        )
    return Finding("pgcrypto", Status.OK, title, "Not installed; no legacy tokens need it.")


def _legacy_tokens(facts: DbFacts, *, forwarders_live: bool) -> Finding:
    title = "legacy tokens in public.integrations"
    if not facts.legacy_columns:
        return Finding("legacy_tokens", Status.OK, title, "This database has no legacy columns.")
    pending = facts.legacy_pending + facts.legacy_unused
    if not pending:
        return Finding(
            "legacy_tokens",
            Status.OK,
            title,
            f"None left to import ({facts.imported} connection(s) imported into Vault).",
        )
    detail = (
        f"{facts.legacy_pending} connection(s) still keep their tokens in the integrations "
        f"columns, readable by the browser"
    )
    if facts.legacy_unused:
        detail += f"; {facts.legacy_unused} row(s) keep an unused messenger_token_json"
    key = "found" if facts.encryption_key else "not found (plain tokens need none)"
    detail += f". The old app's encryption key: {key}."
    if forwarders_live and facts.legacy_pending:
        detail += (
            " The forwarders are live, so the old functions no longer sync these hosts:"
            " they are without sync until imported."
        )
        return Finding("legacy_tokens", Status.FAIL, title, detail, "Run `cutover apply` now.")
    return Finding(
        "legacy_tokens",
        Status.FAIL,
        title,
        detail,
        "`avito-sync cutover apply` imports them into Vault and clears the columns.",
    )


def _legacy_left(facts: DbFacts) -> Finding:
    title = "legacy connections that could not be imported"
    if not facts.legacy_left:
        return Finding("legacy_reconnect", Status.OK, title, "None.")
    total = sum(facts.legacy_left.values())
    reasons = ", ".join(
        f"{k.split(':', 1)[-1] or k} × {n}" for k, n in sorted(facts.legacy_left.items())
    )
    return Finding(
        "legacy_reconnect",
        Status.WARN,
        title,
        f"{total} connection(s) need a reconnect ({reasons}); their columns are kept.",
        "If the old app's key was missing, store it as the Vault secret "
        "AVITO_TOKEN_ENCRYPTION_KEY and run `cutover apply` again; otherwise the host "
        "connects Avito again in the app.",
    )


def _functions(functions: tuple[FunctionProbe, ...] | None) -> tuple[Finding, ...]:
    if functions is None:
        return (
            Finding(
                "functions",
                Status.WARN,
                "Edge Functions the app calls",
                "Not checked: no Supabase URL.",
                "Pass --supabase-url https://<ref>.supabase.co (or set SUPABASE_URL).",
            ),
        )
    return tuple(_function(f) for f in functions)


def _function(probe: FunctionProbe) -> Finding:
    name = probe.name
    if name in REMOVED_FUNCTIONS:
        return _removed_function(probe)
    fid = f"function:{name}"
    title = f"function {name}"
    deploy = (
        f"`supabase functions deploy {name}` from avito-sync, and replace "
        f"supabase/functions/{name} in the app's repository with the forwarder (its CI "
        "redeploys every directory on each push)."
    )
    required = name in APP_FUNCTIONS
    if probe.state is FunctionState.OURS:
        return Finding(fid, Status.OK, title, "The avito-sync forwarder answers.")
    if probe.state is FunctionState.UNREACHABLE:
        return Finding(
            fid,
            Status.FAIL if required else Status.WARN,
            title,
            f"No answer: {probe.error or 'unreachable'}.",
            "Check the Supabase URL and the network, then run `cutover check` again.",
        )
    if probe.state is FunctionState.ABSENT:
        detail = "Not deployed (404)" + (": the app's calls fail." if required else ".")
        return Finding(fid, Status.FAIL if required else Status.WARN, title, detail, deploy)
    if name == MESSENGER_FUNCTION:
        return Finding(
            fid,
            Status.WARN,
            title,
            "The old messenger function answers (no forwarder header). It reads the legacy token "
            "columns: after `cutover apply` the Messages tab gets no chats until the "
            "avito-messenger forwarder (served by the service) replaces it.",
            deploy,
        )
    return Finding(
        fid,
        Status.FAIL if required else Status.WARN,
        title,
        f"Answers {probe.status_code} without the {FORWARDER_HEADER} header: the old function "
        "is still deployed.",
        deploy,
    )


def _removed_function(probe: FunctionProbe) -> Finding:
    name = probe.name
    fid = f"old_function:{name}"
    title = f"old function {name}"
    if probe.state is FunctionState.ABSENT:
        return Finding(fid, Status.OK, title, "Not deployed.")
    if probe.state is FunctionState.UNREACHABLE:
        return Finding(fid, Status.WARN, title, f"No answer: {probe.error or 'unreachable'}.")
    return Finding(
        fid,
        Status.FAIL if name in DANGEROUS_REMOVED else Status.WARN,
        title,
        f"Still deployed (answers {probe.status_code}).",
        f"`supabase functions delete {name}` and delete supabase/functions/{name} from the app's "
        "repository (else its CI deploys it again).",
    )


def _messenger(facts: DbFacts, functions: tuple[FunctionProbe, ...] | None) -> Finding:
    title = "Messages tab (avito-messenger)"
    if not facts.messenger_integrations:
        return Finding("messenger", Status.OK, title, "No active integration has messenger scope.")
    served = functions is not None and any(
        f.name == MESSENGER_FUNCTION and f.state is FunctionState.OURS for f in functions
    )
    if served:
        return Finding(
            "messenger",
            Status.OK,
            title,
            f"{facts.messenger_integrations} integration(s) use Messages through the forwarder.",
        )
    return Finding(
        "messenger",
        Status.WARN,
        title,
        f"{facts.messenger_integrations} active integration(s) use Messages, served by the old "
        "functions from the legacy token columns: they stop once `cutover apply` imports the "
        "tokens unless the avito-messenger forwarder is deployed.",
        "Deploy the avito-messenger forwarder (the service serves it), then `cutover apply`.",
    )

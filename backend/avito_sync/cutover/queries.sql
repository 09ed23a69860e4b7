-- The cutover's calls; the work is in avito_private functions (migration 20261206020000).

-- name: facts
-- What the checks judge: pg_net, pg_cron, old jobs, legacy tokens, setup.
select avito_private.cutover_facts() as facts;

-- name: probe_service
-- Queue a pg_net GET of the service's /healthz (sent when this autocommit statement ends).
select avito_private.cutover_probe_service(%(url)s) as request_id;

-- name: probe_result
-- The recorded answer of that request, null while pending.
select avito_private.cutover_probe_result(%(request_id)s) as result;

-- name: unschedule_legacy_jobs
select avito_private.unschedule_legacy_jobs() as jobs;

-- name: import_legacy_tokens
select avito_private.import_legacy_tokens() as counts;

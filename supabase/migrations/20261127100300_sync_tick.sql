-- The tick: pg_cron asks the service to run a batch of due syncs.
--
-- The cron command only queues an HTTP request with pg_net (net.http_post is
-- commit-bound and asynchronous); the service answers 202 at once and does the
-- work in the background. The target URL and the shared secret live in Vault
-- (named secrets avito_sync_service_url and avito_sync_poll_secret), written by
-- `avito-sync setup` through avito_private.configure_poll_target().
--
-- pg_cron >= 1.5 (Supabase) runs avito-poller every '10 seconds'. Debian's 1.4
-- has no seconds schedules: there avito-poller runs every minute and asks for six
-- polls, 0, 10, ..., 50 seconds later (the service delays each by delay_seconds).
-- pg_cron exists only in the cron database; elsewhere nothing is scheduled.

-- Queue one poll request; NULL (with a notice) when the target is not configured.
create or replace function avito_private.request_poll(p_delay_seconds integer default 0)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text;
  v_secret text;
begin
  if p_delay_seconds is null or p_delay_seconds < 0 or p_delay_seconds > 59 then
    raise exception 'request_poll: delay must be 0..59 seconds' using errcode = '22023';
  end if;
  select s.decrypted_secret into v_url
  from vault.decrypted_secrets s where s.name = 'avito_sync_service_url';
  select s.decrypted_secret into v_secret
  from vault.decrypted_secrets s where s.name = 'avito_sync_poll_secret';
  if v_url is null or v_secret is null then
    raise notice 'avito-sync poll target is not configured; run `avito-sync setup`';
    return null;
  end if;
  return net.http_post(
    url := rtrim(v_url, '/') || '/v1/poll',
    body := jsonb_build_object('delay_seconds', p_delay_seconds, 'requested_at', now()),
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || v_secret),
    timeout_milliseconds := 3000);
end;
$$;

-- The per-minute stand-in for a 10-second schedule (pg_cron < 1.5).
create or replace function avito_private.request_polls_for_minute()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_sent integer := 0;
  v_delay integer;
begin
  foreach v_delay in array array[0, 10, 20, 30, 40, 50] loop
    if avito_private.request_poll(v_delay) is not null then
      v_sent := v_sent + 1;
    end if;
  end loop;
  return v_sent;
end;
$$;

-- Housekeeping: pg_cron never cleans its run history (8,640 rows a day for a
-- 10-second job), and sync runs are an audit log kept for the one retention period of
-- sync runs, avito_private.retention_period('sync_runs') (20261206050200), unless
-- p_runs_keep is given.
create or replace function avito_private.prune_sync_history(
  p_cron_keep interval default interval '3 days',
  p_runs_keep interval default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if to_regclass('cron.job_run_details') is not null then
    execute 'delete from cron.job_run_details where end_time < now() - $1' using p_cron_keep;
  end if;
  delete from public.avito_sync_runs r
  where r.started_at < now() - coalesce(p_runs_keep, avito_private.retention_period('sync_runs'));
end;
$$;

-- Store (or replace) the poll target in Vault, by name.
create or replace function avito_private.configure_poll_target(p_service_url text, p_secret text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  if p_service_url is null or p_service_url !~ '^https?://[^/\s]+' then
    raise exception 'configure_poll_target: service URL must be http(s)' using errcode = '22023';
  end if;
  if p_secret is null or length(p_secret) < 32 then
    raise exception 'configure_poll_target: secret must be at least 32 characters'
      using errcode = '22023';
  end if;

  select s.id into v_id from vault.secrets s where s.name = 'avito_sync_service_url';
  if v_id is null then
    perform vault.create_secret(p_service_url, 'avito_sync_service_url',
                                'Base URL of the avito-sync service (pg_cron tick target)');
  else
    perform vault.update_secret(v_id, p_service_url);
  end if;

  v_id := null;
  select s.id into v_id from vault.secrets s where s.name = 'avito_sync_poll_secret';
  if v_id is null then
    perform vault.create_secret(p_secret, 'avito_sync_poll_secret',
                                'Bearer secret the tick sends to /v1/poll');
  else
    perform vault.update_secret(v_id, p_secret);
  end if;
end;
$$;

-- (Re)schedule both jobs by name; idempotent. Returns the pg_cron flavour used,
-- or 'absent' when this database has no pg_cron (nothing is scheduled).
create or replace function avito_private.schedule_sync_jobs()
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_version text;
  v_seconds boolean;
begin
  select e.extversion into v_version from pg_catalog.pg_extension e where e.extname = 'pg_cron';
  if v_version is null then
    raise notice 'pg_cron is not installed in this database; avito-poller is not scheduled';
    return 'absent';
  end if;
  v_seconds := string_to_array(split_part(v_version, '-', 1), '.')::int[] >= '{1,5}'::int[];

  if v_seconds then
    perform cron.schedule('avito-poller', '10 seconds',
                          'select avito_private.request_poll()');
  else
    perform cron.schedule('avito-poller', '* * * * *',
                          'select avito_private.request_polls_for_minute()');
  end if;
  perform cron.schedule('avito-sync-prune', '17 3 * * *',
                        'select avito_private.prune_sync_history()');
  return case when v_seconds then 'seconds' else 'minute' end;
end;
$$;

select avito_private.grant_execute_to_service(
  'avito_private.request_poll(integer)',
  'avito_private.request_polls_for_minute()',
  'avito_private.prune_sync_history(interval, interval)',
  'avito_private.configure_poll_target(text, text)',
  'avito_private.schedule_sync_jobs()');

select avito_private.schedule_sync_jobs();

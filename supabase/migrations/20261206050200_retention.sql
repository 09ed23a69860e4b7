-- Retention: a daily pg_cron job (avito-sync-retention) prunes what nobody needs any more.
-- Periods are settings (`alter database postgres set avito_sync.retention_<name> = '14 days'`),
-- never below a day; a bad value falls back to the default:
--   deliveries    delivered and failed deliveries                         30 days
--   events        events without a pending delivery                       90 days
--   sync_runs     avito_sync_runs                                         30 days
--   oauth_states  OAuth states past their expiry (used or not)             1 day
--   avito_logs    the app's log rows                                      30 days
-- Expired Telegram link tokens go after a day. Never pruned: pending deliveries, events that
-- still have one, unexpired states and link tokens, and anything younger than its period.

create or replace function avito_private.retention_period(p_name text)
returns interval
language plpgsql
stable
set search_path = ''
as $$
declare
  v_default interval := case p_name
    when 'deliveries' then interval '30 days'
    when 'events' then interval '90 days'
    when 'sync_runs' then interval '30 days'
    when 'oauth_states' then interval '1 day'
    when 'avito_logs' then interval '30 days'
  end;
  v_value interval;
begin
  if v_default is null then
    raise exception 'retention_period: unknown name %', p_name using errcode = '22023';
  end if;
  begin
    v_value := nullif(current_setting('avito_sync.retention_' || p_name, true), '')::interval;
  exception when others then
    v_value := null;
  end;
  return greatest(interval '1 day', coalesce(v_value, v_default));
end;
$$;

create or replace function avito_private.prune_retention()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_deliveries bigint;
  v_events bigint;
  v_runs bigint;
  v_states bigint;
  v_logs bigint;
  v_links bigint;
begin
  delete from public.notification_deliveries d
  where d.status in ('delivered', 'failed')
    and coalesce(d.delivered_at, d.updated_at)
        < now() - avito_private.retention_period('deliveries');
  get diagnostics v_deliveries = row_count;

  delete from public.notification_events e
  where e.created_at < now() - avito_private.retention_period('events')
    and not exists (select 1 from public.notification_deliveries d
                    where d.event_id = e.id and d.status = 'pending');
  get diagnostics v_events = row_count;

  delete from public.avito_sync_runs r
  where r.started_at < now() - avito_private.retention_period('sync_runs');
  get diagnostics v_runs = row_count;

  delete from public.avito_oauth_states s
  where s.expires_at < now() - avito_private.retention_period('oauth_states');
  get diagnostics v_states = row_count;

  delete from public.avito_logs l
  where l.created_at < now() - avito_private.retention_period('avito_logs');
  get diagnostics v_logs = row_count;

  delete from avito_private.telegram_link_tokens t
  where t.expires_at < now() - interval '1 day';
  get diagnostics v_links = row_count;

  return jsonb_build_object(
    'notification_deliveries', v_deliveries, 'notification_events', v_events,
    'avito_sync_runs', v_runs, 'avito_oauth_states', v_states, 'avito_logs', v_logs,
    'telegram_link_tokens', v_links);
end;
$$;

-- Admin view: how big each pruned table is and how long it is kept.
create or replace view avito_private.retention_sizes as
select t.table_name,
       t.retention_name,
       avito_private.retention_period(t.retention_name) as keep_for,
       coalesce(s.n_live_tup, 0) as approx_rows,
       pg_catalog.pg_total_relation_size(t.rel) as total_bytes,
       pg_catalog.pg_size_pretty(pg_catalog.pg_total_relation_size(t.rel)) as total_size
from (values
  ('public.notification_deliveries'::regclass, 'notification_deliveries', 'deliveries'),
  ('public.notification_events'::regclass, 'notification_events', 'events'),
  ('public.avito_sync_runs'::regclass, 'avito_sync_runs', 'sync_runs'),
  ('public.avito_oauth_states'::regclass, 'avito_oauth_states', 'oauth_states'),
  ('public.avito_logs'::regclass, 'avito_logs', 'avito_logs')
) as t (rel, table_name, retention_name)
left join pg_catalog.pg_stat_all_tables s on s.relid = t.rel
order by total_bytes desc;

revoke all on avito_private.retention_sizes from public, anon, authenticated, service_role;
grant select on avito_private.retention_sizes to service_role;

-- Scheduled like the sync jobs (20261127100300): by name, idempotent, only where pg_cron is.
create or replace function avito_private.schedule_retention_job()
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_extension e where e.extname = 'pg_cron') then
    raise notice 'pg_cron is not installed in this database; avito-sync-retention is not scheduled';
    return false;
  end if;
  perform cron.schedule('avito-sync-retention', '37 3 * * *',
                        'select avito_private.prune_retention()');
  return true;
end;
$$;

select avito_private.grant_execute_to_service(
  'avito_private.retention_period(text)',
  'avito_private.prune_retention()',
  'avito_private.schedule_retention_job()');

select avito_private.schedule_retention_job();

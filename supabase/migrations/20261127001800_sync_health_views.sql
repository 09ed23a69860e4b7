-- Admin health views for the Supabase dashboard (SQL editor / table editor, which run as
-- postgres). They live in avito_private, which the Data API does not expose and no client role
-- can use, and read every owner's rows (owner's rights, not security_invoker) on purpose.
-- service_role may read them too, for the service's own health endpoint.

-- One row: integrations by status, queue backlog and lag, failing syncs.
create or replace view avito_private.sync_health as
select
  (select count(*) from public.integrations) as integrations_total,
  (select count(*) from public.integrations where is_active and status = 'active')
    as integrations_active,
  (select count(*) from public.integrations where is_active and status = 'needs_reconnect')
    as integrations_needs_reconnect,
  (select count(*) from public.integrations where is_active and status = 'error')
    as integrations_error,
  (select count(*) from public.integrations where not is_active or status = 'disconnected')
    as integrations_disconnected,
  (select count(*) from public.avito_sync_queue where status = 'pending'
     and next_sync_at <= now()) as queue_due,
  (select count(*) from public.avito_sync_queue where status = 'running') as queue_running,
  (select count(*) from public.avito_sync_queue where status = 'paused') as queue_paused,
  (select count(*) from public.avito_sync_queue
   where lease_expires_at is not null and lease_expires_at < now()) as queue_expired_leases,
  (select coalesce(extract(epoch from now() - min(next_sync_at)), 0)
   from public.avito_sync_queue where status = 'pending' and next_sync_at <= now())
    as queue_max_lag_seconds,
  (select count(*) from public.avito_sync_queue where attempts > 0) as queue_failing,
  (select count(*) from public.avito_sync_runs where started_at > now() - interval '1 hour')
    as runs_last_hour,
  (select count(*) from public.avito_sync_runs
   where started_at > now() - interval '1 hour' and outcome in ('failed', 'needs_reconnect'))
    as failed_runs_last_hour;

-- One row per integration whose sync is failing or stuck, worst first.
create or replace view avito_private.failing_syncs as
select
  i.id as integration_id,
  i.property_id,
  p.owner_id,
  i.avito_item_id,
  i.status as integration_status,
  i.last_sync_at,
  i.last_error,
  q.status as queue_status,
  q.attempts,
  q.next_sync_at,
  greatest(extract(epoch from now() - q.next_sync_at), 0) as lag_seconds,
  q.last_error as queue_last_error,
  (select count(*) from public.avito_sync_runs r
   where r.integration_id = i.id and r.started_at > now() - interval '24 hours'
     and r.outcome in ('failed', 'needs_reconnect')) as failed_runs_24h
from public.integrations i
join public.properties p on p.id = i.property_id
left join public.avito_sync_queue q on q.integration_id = i.id
where i.is_active
  and (i.status in ('error', 'needs_reconnect') or q.attempts > 0 or q.status = 'paused')
order by q.attempts desc nulls last, i.last_sync_at nulls first;

revoke all on avito_private.sync_health from public, anon, authenticated, service_role;
revoke all on avito_private.failing_syncs from public, anon, authenticated, service_role;
grant select on avito_private.sync_health to service_role;
grant select on avito_private.failing_syncs to service_role;

-- Catch up after an Avito outage. While Avito fails, every row backs off exponentially (up to
-- an hour by default), so without help the last integration would stay behind for that long
-- after Avito recovers. The first success of a row that was failing proves Avito answers
-- again: complete_sync_success (20261127100000) then calls this function, which makes due
-- within one cadence (spread at random over it, so the fleet does not arrive at once):
--   * every row whose last run failed because Avito as a whole was down
--     (counts.failure_scope = 'app': 5xx, no answer, a gateway page), of any account;
--   * every row of the same Avito account whose last run was rate limited ('account': 429).
-- Their backoff is reset (attempts = 0). Rows failing for reasons of their own ('integration':
-- 403, 404, 422, ...), paused rows and rows being synced right now are left alone.
-- The scope is written by the engine (avito_sync/sync/failure_scope.py) into the run's counts.
create or replace function avito_private.catch_up_after_outage(
  p_integration_id uuid,
  p_interval_seconds integer
)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_account_id uuid;
  v_count integer;
begin
  if p_interval_seconds is null or p_interval_seconds < 1 or p_interval_seconds > 86400 then
    raise exception 'catch_up_after_outage: interval must be 1..86400 seconds'
      using errcode = '22023';
  end if;
  select i.avito_account_id into v_account_id
  from public.integrations i
  where i.id = p_integration_id;

  with victims as (
    select q.id
    from public.avito_sync_queue q
    join public.integrations i on i.id = q.integration_id
    cross join lateral (
      select r.counts ->> 'failure_scope' as scope
      from public.avito_sync_runs r
      where r.integration_id = q.integration_id
      order by r.started_at desc
      limit 1) last_run
    where q.status = 'pending'
      and q.attempts > 0
      and q.integration_id <> p_integration_id
      and (last_run.scope = 'app'
           or (last_run.scope = 'account' and i.avito_account_id = v_account_id))
    for update of q skip locked)
  update public.avito_sync_queue q
  set attempts = 0,
      next_sync_at = least(
        q.next_sync_at, now() + random() * make_interval(secs => p_interval_seconds))
  from victims v
  where q.id = v.id;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

comment on function avito_private.catch_up_after_outage(uuid, integer) is
  'After the first success following failures: rows that backed off because Avito was down '
  '(or, same account, rate limited) are due within one cadence, backoff reset.';

-- Runs with its caller's rights (complete_sync_success, as its owner); nobody else may call it.
select avito_private.revoke_execute('avito_private.catch_up_after_outage(uuid, integer)');

-- Batched steady-state polls (issue #12). One worker polls 5,000 listings every 10 seconds,
-- about 500 steady polls a second, and almost all of them find nothing changed. Recording each
-- one through finish_steady_poll (20261206080000) cost a transaction per poll with a run row
-- (and its avito_logs trigger), an integrations update (Realtime publication, stamp and
-- mark-due triggers) and the queue row. Here the worker collects finished steady polls for
-- ~100 ms and records them in one statement:
--
--   * no avito_sync_runs row per steady poll: the state row counts them (steady_polls) and
--     keeps the last one's time (last_steady_at); full syncs still write their run row;
--   * integrations.last_sync_at is only moved when it is older than p_last_sync_every_seconds
--     (60 s by default), so it lags the last steady poll by at most that much. The app never
--     reads it (docs/app-contract.md); the service's health views read it for humans;
--   * the queue row is completed and rescheduled from the poll's start in the same statement.
--
-- A poll is 'done' only when everything finish_steady_poll checked still holds when the batch
-- is written (a change stamped between the claim and the flush returns 'changed', and the
-- caller runs the full sync with the answer it already has), the row is still leased to
-- p_owner (else 'lease_lost', nothing written), and nothing is left for the full path to
-- record: no failed attempts, no failure streak, the integration active without an error.
-- finish_steady_poll stays (a worker of the previous release may still call it mid-deploy).

alter table avito_private.sync_steady_state
  add column if not exists steady_polls bigint not null default 0,
  add column if not exists last_steady_at timestamptz;

comment on column avito_private.sync_steady_state.steady_polls is
  'Steady polls recorded by finish_steady_polls (they write no avito_sync_runs row).';
comment on column avito_private.sync_steady_state.last_steady_at is
  'When finish_steady_polls last recorded a steady poll of this integration.';


create or replace function avito_private.finish_steady_polls(
  p_owner text,
  p_integration_ids uuid[],
  p_answer_hashes text[],
  p_days date[],
  p_started_at timestamptz[],
  p_full_push_every_seconds double precision,
  p_interval_seconds integer default 10,
  p_last_sync_every_seconds integer default 60
)
returns table (integration_id uuid, status text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer := coalesce(cardinality(p_integration_ids), 0);
begin
  if p_full_push_every_seconds is null or p_full_push_every_seconds <= 0 then
    raise exception 'finish_steady_polls: full push period must be positive'
      using errcode = '22023';
  end if;
  if p_interval_seconds is null or p_interval_seconds < 1 or p_interval_seconds > 86400 then
    raise exception 'finish_steady_polls: interval must be 1..86400 seconds'
      using errcode = '22023';
  end if;
  if p_last_sync_every_seconds is null or p_last_sync_every_seconds < 0
     or p_last_sync_every_seconds > 3600 then
    raise exception 'finish_steady_polls: last_sync_at period must be 0..3600 seconds'
      using errcode = '22023';
  end if;
  if v_count > 1000 then
    raise exception 'finish_steady_polls: at most 1000 polls a call' using errcode = '22023';
  end if;
  if coalesce(cardinality(p_answer_hashes), 0) <> v_count
     or coalesce(cardinality(p_days), 0) <> v_count
     or coalesce(cardinality(p_started_at), 0) <> v_count then
    raise exception 'finish_steady_polls: arrays of different lengths' using errcode = '22023';
  end if;

  return query
  with polls as (
    select x.integration_id, x.answer_hash, x.day, x.started_at, x.n
    from unnest(p_integration_ids, p_answer_hashes, p_days, p_started_at)
      with ordinality as x(integration_id, answer_hash, day, started_at, n)
  ),
  judged as (
    select p.integration_id, p.started_at, p.n,
           case
             when q.status is distinct from 'running' or q.lease_owner is distinct from p_owner
               then 'lease_lost'
             when s.synced_stamp = s.app_stamp
              and s.answer_hash = p.answer_hash
              and s.synced_day = p.day
              and ps.last_full_push_at
                  > p.started_at - make_interval(secs => p_full_push_every_seconds)
              and q.attempts = 0
              and i.is_active and i.status = 'active' and i.last_error is null
              and not exists (select 1 from avito_private.sync_failure_streaks f
                              where f.integration_id = p.integration_id)
               then 'done'
             else 'changed'
           end as status
    from polls p
    left join public.avito_sync_queue q on q.integration_id = p.integration_id
    left join avito_private.sync_steady_state s on s.integration_id = p.integration_id
    left join avito_private.avito_push_state ps on ps.integration_id = p.integration_id
    left join public.integrations i on i.id = p.integration_id
  ),
  -- complete_sync_success's write, with the cadence counted from the poll's start (the
  -- answer's wait must not stretch the interval) and a row made due meanwhile left due.
  -- The lease is checked again on the row's newest version (a claim that took it since).
  completed as (
    update public.avito_sync_queue q
    set status = 'pending',
        next_sync_at = least(q.next_sync_at,
                             greatest(now(), j.started_at
                                             + make_interval(secs => p_interval_seconds))),
        wake_reason = case when q.next_sync_at <= now() then q.wake_reason else 'tick' end,
        attempts = 0,
        last_error = null,
        lease_owner = null,
        lease_expires_at = null
    from judged j
    where j.status = 'done'
      and q.integration_id = j.integration_id
      and q.status = 'running'
      and q.lease_owner = p_owner
    returning q.integration_id
  ),
  counted as (
    update avito_private.sync_steady_state s
    set steady_polls = s.steady_polls + 1,
        last_steady_at = now()
    from completed c
    where s.integration_id = c.integration_id
    returning s.integration_id
  ),
  stamped as (
    update public.integrations i
    set last_sync_at = now()
    from completed c
    where i.id = c.integration_id
      and (i.last_sync_at is null
           or i.last_sync_at <= now() - make_interval(secs => p_last_sync_every_seconds))
    returning i.id
  )
  select j.integration_id,
         case when j.status = 'done' and c.integration_id is null then 'lease_lost'
              else j.status end
  from judged j
  left join completed c on c.integration_id = j.integration_id
  order by j.n;
end;
$$;

comment on function avito_private.finish_steady_polls(text, uuid[], text[], date[],
  timestamptz[], double precision, integer, integer) is
  'Records a batch of steady polls in one statement: done, lease_lost or changed per poll '
  '(migration 20261206110000).';

select avito_private.grant_execute_to_service(
  'avito_private.finish_steady_polls(text, uuid[], text[], date[], timestamptz[],'
  ' double precision, integer, integer)');

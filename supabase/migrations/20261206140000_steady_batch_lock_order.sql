-- Lock order of the batched steady polls (issue #12). The capacity bench, 2 app price changes
-- a second beside 500 steady polls a second, hit a deadlock between an app price change and
-- finish_steady_polls (20261206110000): the app's write locks the steady-state row (stamp
-- trigger) and then the queue row (mark-due trigger); finish_steady_polls updated the queue
-- row first and the steady-state row second. Postgres aborted the host's price change.
--
-- Here finish_steady_polls waits for no row lock at all: it locks the batch's steady-state and
-- queue rows up front with SKIP LOCKED (a poll whose rows an app write holds answers
-- 'changed', and the full sync runs), and moves integrations.last_sync_at only on rows nobody
-- holds. A statement that never waits cannot be part of a deadlock.

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
  v_mine uuid[];
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

  -- The app's writers lock the integration, then its steady-state row (stamp triggers), then
  -- its queue row (mark-due triggers), one statement after another within their transaction.
  -- This statement never waits for a row lock: it takes the steady and queue rows of the
  -- batch up front with SKIP LOCKED, and a poll whose rows an app write holds right now is
  -- 'changed' (that write is a change in flight; the full sync records it, waiting like any
  -- other writer). So no app write can deadlock with it.
  v_mine := array(
    select s.integration_id
    from avito_private.sync_steady_state s
    join public.avito_sync_queue q on q.integration_id = s.integration_id
    where s.integration_id = any(p_integration_ids)
    order by s.integration_id
    for no key update of s, q skip locked);

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
             when p.integration_id = any(v_mine)
              and s.synced_stamp = s.app_stamp
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
  -- last_sync_at only where nobody holds the row (an app write holding it may be waiting
  -- for a row locked above); a skipped one moves on a later poll.
  stale as (
    select i.id
    from public.integrations i
    join completed c on c.integration_id = i.id
    where i.last_sync_at is null
       or i.last_sync_at <= now() - make_interval(secs => p_last_sync_every_seconds)
    for no key update of i skip locked
  ),
  stamped as (
    update public.integrations i
    set last_sync_at = now()
    from stale x
    where i.id = x.id
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
  'Records a batch of steady polls in one statement: done, lease_lost or changed per poll; '
  'it waits for no row lock (migration 20261206140000).';

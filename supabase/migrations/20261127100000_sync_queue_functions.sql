-- The lease-based sync queue: one row per active integration, claimed with
-- FOR UPDATE SKIP LOCKED so that any number of worker processes can share it
-- without ever syncing one integration twice at the same time.
--
-- Life of a row:
--   pending --claim--> running (lease_owner, lease_expires_at)
--   running --complete_sync_success--> pending, due in `interval` seconds
--   running --complete_sync_failure--> pending, due after an exponential, jittered backoff
--   running --lease expires (worker died)--> claimable again by anyone
--   any     --pause (needs_reconnect)--> paused, never claimed until resumed
--
-- While a row is running, `next_sync_at` holds the lease expiry. A change in the
-- app during the run sets it to now(); completion keeps the earlier of the two, so
-- a change that lands mid-sync is synced right after, never lost.

alter table public.avito_sync_queue
  add column if not exists wake_reason text not null default 'tick';

select avito_private.ensure_constraint(
  'public.avito_sync_queue', 'avito_sync_queue_wake_reason_check',
  $$check (wake_reason in ('tick', 'change', 'initial', 'manual'))$$);

comment on column public.avito_sync_queue.wake_reason is
  'Why the row is due: tick (schedule), change (app data changed), initial (just connected), '
  'manual (host asked). Recorded as the trigger of the next sync run.';

create index if not exists avito_sync_queue_lease_idx
  on public.avito_sync_queue (lease_expires_at)
  where status = 'running';


-- Lease the given queue rows (already locked by the caller) to p_owner: the step every claim
-- shares. p_caller names the public function in error messages. Runs with its caller's rights
-- (the claim functions, as their owner); nobody else may execute it.
create or replace function avito_private.lease_sync_rows(
  p_caller text,
  p_owner text,
  p_lease_seconds integer,
  p_queue_ids uuid[]
)
returns table (
  integration_id uuid,
  property_id uuid,
  avito_account_id uuid,
  attempts integer,
  wake_reason text,
  lease_expires_at timestamptz
)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_owner is null or length(p_owner) = 0 then
    raise exception '%: owner is required', p_caller using errcode = '22023';
  end if;
  if p_lease_seconds is null or p_lease_seconds < 1 or p_lease_seconds > 3600 then
    raise exception '%: lease must be 1..3600 seconds', p_caller using errcode = '22023';
  end if;

  return query
  update public.avito_sync_queue q
  set status = 'running',
      lease_owner = p_owner,
      lease_expires_at = now() + make_interval(secs => p_lease_seconds),
      next_sync_at = now() + make_interval(secs => p_lease_seconds)
  from public.integrations i
  where q.id = any (p_queue_ids)
    and i.id = q.integration_id
  returning q.integration_id, i.property_id, i.avito_account_id, q.attempts,
            q.wake_reason, q.lease_expires_at;
end;
$$;


-- Claim up to p_limit due rows for p_owner. Expired leases are reclaimable.
-- Rows of inactive integrations, deleted properties or accounts that need a
-- reconnect are skipped (triggers below also remove or pause them).
create or replace function avito_private.claim_sync_batch(
  p_owner text,
  p_limit integer default 10,
  p_lease_seconds integer default 120
)
returns table (
  integration_id uuid,
  property_id uuid,
  avito_account_id uuid,
  attempts integer,
  wake_reason text,
  lease_expires_at timestamptz
)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'claim_sync_batch: limit must be 1..1000' using errcode = '22023';
  end if;

  return query
  select * from avito_private.lease_sync_rows('claim_sync_batch', p_owner, p_lease_seconds, array(
    select q.id
    from public.avito_sync_queue q
    join public.integrations i on i.id = q.integration_id
    join public.properties p on p.id = i.property_id
    join public.avito_accounts a on a.id = i.avito_account_id
    where (
        (q.status = 'pending' and q.next_sync_at <= now())
        or (q.status = 'running' and q.lease_expires_at <= now())
      )
      and i.is_active
      and p.deleted_at is null
      and a.status = 'active'
    order by q.next_sync_at
    limit p_limit
    for update of q skip locked));
end;
$$;


-- Keep a lease alive during a long sync. False when the lease was lost.
create or replace function avito_private.extend_sync_lease(
  p_integration_id uuid,
  p_owner text,
  p_lease_seconds integer default 120
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_lease_seconds is null or p_lease_seconds < 1 or p_lease_seconds > 3600 then
    raise exception 'extend_sync_lease: lease must be 1..3600 seconds' using errcode = '22023';
  end if;
  update public.avito_sync_queue q
  set lease_expires_at = now() + make_interval(secs => p_lease_seconds),
      next_sync_at = least(q.next_sync_at, now() + make_interval(secs => p_lease_seconds))
  where q.integration_id = p_integration_id
    and q.status = 'running'
    and q.lease_owner = p_owner;
  return found;
end;
$$;


-- Success: due again after p_interval_seconds (or at once if the app changed
-- during the run); attempts reset. False when the lease was lost meanwhile.
-- The first success after failures also brings forward the rows that backed off during the
-- same Avito outage (catch_up_after_outage, 20261206070000).
create or replace function avito_private.complete_sync_success(
  p_integration_id uuid,
  p_owner text,
  p_interval_seconds integer default 10
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_attempts integer;
begin
  if p_interval_seconds is null or p_interval_seconds < 1 or p_interval_seconds > 86400 then
    raise exception 'complete_sync_success: interval must be 1..86400 seconds'
      using errcode = '22023';
  end if;
  select q.attempts into v_attempts
  from public.avito_sync_queue q
  where q.integration_id = p_integration_id;
  update public.avito_sync_queue q
  set status = 'pending',
      next_sync_at = least(q.next_sync_at, now() + make_interval(secs => p_interval_seconds)),
      wake_reason = case when q.next_sync_at <= now() then q.wake_reason else 'tick' end,
      attempts = 0,
      last_error = null,
      lease_owner = null,
      lease_expires_at = null
  where q.integration_id = p_integration_id
    and q.status = 'running'
    and q.lease_owner = p_owner;
  if not found then
    return false;
  end if;
  if v_attempts > 0 then
    perform avito_private.catch_up_after_outage(p_integration_id, p_interval_seconds);
  end if;
  return true;
end;
$$;


-- The backoff before retry number p_attempts: base * 2^(attempts-1), capped,
-- then scaled by a random factor in [0.5, 1) so failing rows spread out.
create or replace function avito_private.sync_backoff(
  p_attempts integer,
  p_base_seconds integer,
  p_cap_seconds integer
)
returns interval
language sql
volatile
set search_path = ''
as $$
  select make_interval(secs =>
    least(p_cap_seconds::double precision,
          p_base_seconds * power(2::double precision, least(greatest(p_attempts, 1) - 1, 30)))
    * (0.5 + random() / 2));
$$;


-- Failure: attempts + 1, last_error kept, due after the backoff. A change in the
-- app does not cut a backoff short (the next attempt pushes the full state anyway).
create or replace function avito_private.complete_sync_failure(
  p_integration_id uuid,
  p_owner text,
  p_error text,
  p_base_seconds integer default 10,
  p_cap_seconds integer default 3600
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_base_seconds is null or p_base_seconds < 1
     or p_cap_seconds is null or p_cap_seconds < p_base_seconds then
    raise exception 'complete_sync_failure: need 1 <= base <= cap' using errcode = '22023';
  end if;
  update public.avito_sync_queue q
  set status = 'pending',
      attempts = q.attempts + 1,
      next_sync_at = now() + avito_private.sync_backoff(q.attempts + 1, p_base_seconds, p_cap_seconds),
      wake_reason = 'tick',
      last_error = left(p_error, 2000),
      lease_owner = null,
      lease_expires_at = null
  where q.integration_id = p_integration_id
    and q.status = 'running'
    and q.lease_owner = p_owner;
  return found;
end;
$$;


-- Put an integration in the queue (or bring it forward): due now for p_reason.
-- A paused row stays paused unless p_resume; the account must be reconnected first.
create or replace function avito_private.enqueue_integration(
  p_integration_id uuid,
  p_reason text default 'manual',
  p_resume boolean default false
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_property_id uuid;
begin
  if p_reason is null or p_reason not in ('tick', 'change', 'initial', 'manual') then
    raise exception 'enqueue_integration: unknown reason %', p_reason using errcode = '22023';
  end if;

  select i.property_id into v_property_id
  from public.integrations i
  join public.properties p on p.id = i.property_id
  where i.id = p_integration_id
    and i.is_active
    and p.deleted_at is null;
  if not found then
    return false;
  end if;

  insert into public.avito_sync_queue as q
    (integration_id, property_id, next_sync_at, status, attempts, wake_reason)
  values (p_integration_id, v_property_id, now(), 'pending', 0, p_reason)
  on conflict (integration_id) do update
  set property_id = excluded.property_id,
      next_sync_at = case when q.status = 'running' then now() else least(q.next_sync_at, now()) end,
      wake_reason = excluded.wake_reason,
      status = case when q.status = 'paused' and p_resume then 'pending' else q.status end,
      attempts = case when q.status = 'paused' and p_resume then 0 else q.attempts end,
      last_error = case when q.status = 'paused' and p_resume then null else q.last_error end;

  perform pg_notify('avito_sync_due', p_integration_id::text);
  return true;
end;
$$;


create or replace function avito_private.remove_integration_from_queue(p_integration_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.avito_sync_queue q
  where q.integration_id = p_integration_id;
  return found;
end;
$$;


create or replace function avito_private.pause_integration_sync(
  p_integration_id uuid,
  p_reason text
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.avito_sync_queue q
  set status = 'paused',
      last_error = left(p_reason, 2000),
      lease_owner = null,
      lease_expires_at = null
  where q.integration_id = p_integration_id;
  return found;
end;
$$;


create or replace function avito_private.resume_integration_sync(p_integration_id uuid)
returns boolean
language sql
security definer
set search_path = ''
as $$
  select avito_private.enqueue_integration(p_integration_id, 'manual', true);
$$;

select avito_private.revoke_execute(
  'avito_private.lease_sync_rows(text, text, integer, uuid[])');
select avito_private.grant_execute_to_service(
  'avito_private.claim_sync_batch(text, integer, integer)',
  'avito_private.extend_sync_lease(uuid, text, integer)',
  'avito_private.complete_sync_success(uuid, text, integer)',
  'avito_private.sync_backoff(integer, integer, integer)',
  'avito_private.complete_sync_failure(uuid, text, text, integer, integer)',
  'avito_private.enqueue_integration(uuid, text, boolean)',
  'avito_private.remove_integration_from_queue(uuid)',
  'avito_private.pause_integration_sync(uuid, text)',
  'avito_private.resume_integration_sync(uuid)');

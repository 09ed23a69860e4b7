-- One Avito account's requests come from one worker at a time (issue #12). Every worker
-- process has its own token buckets (per account, per app: avito/ratelimit.py). With two
-- workers on one queue an account's ten listings were polled by both at once, so the account
-- saw both buckets' worth of requests: the capacity bench replayed the merged requests and
-- found 9 the per-account bucket would not have admitted (up to 8 in one second against a
-- limit of 2/s, burst 5).
--
-- So a worker claims a row only when no other worker may still be sending for its account:
--   * no row of the account is running under another worker's unexpired lease, and
--   * no other worker finished a row of the account in the last p_account_quiet_seconds
--     (the caller passes burst / rate: after that long without a request the other worker's
--     bucket would have been full again, so the merged requests fit one bucket).
-- Claims take a transaction advisory lock first, so two claims never both see an account free
-- and take it together. A worker keeps the accounts it polls as long as it keeps up with
-- them; when it falls behind by more than the quiet time (or stops), another worker takes
-- them over, so two workers still add up. Single-row claims (the host's button, the initial
-- sync after connect) run in the service process with its own buckets and are not held back.
--
-- Due rows woken by the host (a change, the button, a new connection) are claimed before
-- routine polls: a worker at its in-flight limit claims only a few rows at a time, and a
-- price change should not queue behind the polls that fell due before it.

create table if not exists avito_private.account_releases (
  avito_account_id uuid primary key references public.avito_accounts (id) on delete cascade,
  owner text not null check (length(owner) between 1 and 200),
  released_at timestamptz not null
);

comment on table avito_private.account_releases is
  'Per Avito account: the worker that last finished one of its queue rows, and when '
  '(written by a trigger on avito_sync_queue; read by claim_sync_batch).';

alter table avito_private.account_releases enable row level security;
revoke all on table avito_private.account_releases from public, anon, authenticated;
grant select on table avito_private.account_releases to service_role;


-- Every way a running row ends (success, failure, batched steady polls, pause) is an update
-- of the queue row away from 'running': one statement-level trigger sees them all.
create or replace function avito_private.queue_note_releases()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into avito_private.account_releases as r (avito_account_id, owner, released_at)
  select distinct on (i.avito_account_id) i.avito_account_id, o.lease_owner, now()
  from old_rows o
  join new_rows n on n.id = o.id
  join public.integrations i on i.id = o.integration_id
  where o.status = 'running'
    and n.status is distinct from 'running'
    and o.lease_owner is not null
  order by i.avito_account_id, o.lease_owner
  on conflict (avito_account_id) do update
    set owner = excluded.owner, released_at = excluded.released_at;
  return null;
end;
$$;

drop trigger if exists avito_sync_queue_note_releases on public.avito_sync_queue;
create trigger avito_sync_queue_note_releases
  after update on public.avito_sync_queue
  referencing old table as old_rows new table as new_rows
  for each statement execute function avito_private.queue_note_releases();


create or replace function avito_private.claim_sync_batch(
  p_owner text,
  p_limit integer,
  p_lease_seconds integer,
  p_account_quiet_seconds double precision
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
  if p_account_quiet_seconds is null or p_account_quiet_seconds < 0
     or p_account_quiet_seconds > 3600 then
    raise exception 'claim_sync_batch: account quiet time must be 0..3600 seconds'
      using errcode = '22023';
  end if;
  -- One claim at a time across workers: the next one's snapshot sees this one's leases.
  perform pg_advisory_xact_lock(hashtext('avito_private.claim_sync_batch'));

  return query
  select * from avito_private.lease_sync_rows('claim_sync_batch', p_owner, p_lease_seconds, array(
    -- The accounts another worker may still be sending for, found once per claim (the
    -- running rows are few and indexed), not once per candidate row.
    with busy as (
      select si.avito_account_id
      from public.avito_sync_queue sq
      join public.integrations si on si.id = sq.integration_id
      where sq.status = 'running'
        and sq.lease_expires_at > now()
        and sq.lease_owner <> p_owner
      union
      select r.avito_account_id
      from avito_private.account_releases r
      where r.owner <> p_owner
        and r.released_at > now() - make_interval(secs => p_account_quiet_seconds)
    )
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
      and not exists (select 1 from busy b where b.avito_account_id = i.avito_account_id)
    -- What a host did (a change, the button, a new connection) before the routine polls: with
    -- few free slots the claim still takes those first.
    order by q.wake_reason = 'tick', q.next_sync_at
    limit p_limit
    for update of q skip locked));
end;
$$;

comment on function avito_private.claim_sync_batch(text, integer, integer, double precision) is
  'Leases up to p_limit due rows whose Avito account no other worker may still be sending '
  'for, host-triggered rows first (migration 20261206150000).';

-- The three-argument claim (a worker of the previous release, mid-deploy) keeps the account
-- rule without a quiet time.
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
language sql
security definer
set search_path = ''
as $$
  select * from avito_private.claim_sync_batch(p_owner, p_limit, p_lease_seconds, 0::float8);
$$;


create or replace function avito_private.claim_sync_polls(
  p_owner text,
  p_limit integer,
  p_lease_seconds integer,
  p_account_quiet_seconds double precision
)
returns table (
  integration_id uuid,
  property_id uuid,
  avito_account_id uuid,
  attempts integer,
  wake_reason text,
  lease_expires_at timestamptz,
  avito_user_id bigint,
  avito_item_id bigint,
  timezone text
)
language sql
security definer
set search_path = ''
as $$
  select c.integration_id, c.property_id, c.avito_account_id, c.attempts, c.wake_reason,
         c.lease_expires_at, i.avito_user_id::bigint, i.avito_item_id::bigint,
         to_jsonb(p) ->> 'timezone'
  from avito_private.claim_sync_batch(p_owner, p_limit, p_lease_seconds,
                                      p_account_quiet_seconds) c
  join public.integrations i on i.id = c.integration_id
  join public.properties p on p.id = i.property_id;
$$;

select avito_private.revoke_execute('avito_private.queue_note_releases()');
select avito_private.grant_execute_to_service(
  'avito_private.claim_sync_batch(text, integer, integer, double precision)',
  'avito_private.claim_sync_polls(text, integer, integer, double precision)');

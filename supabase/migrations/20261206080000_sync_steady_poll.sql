-- Steady-state polls (issue #12): when nothing changed in the app since the last clean sync
-- and Avito answers exactly what it answered then, the poll is "call Avito, compare, record"
-- in one SQL function call (sync/steady.py), without loading the year of rates and bookings,
-- planning or reading the push state.
--
-- Two facts make that safe:
--   app_stamp    a counter per integration, bumped in the same transaction as every write the
--                plan can read (bookings, property_rates, properties, integrations), whoever
--                makes it (the host, the app, another integration's pull). Unlike the
--                due-marking triggers these have no loop guard: a pull writing a booking of a
--                property changes what every other integration of that property must push.
--   answer_hash  the hash of Avito's raw bookings answer (and its window) the last clean
--                sync pulled.
-- A clean sync (everything pushed, nothing held back or failed) records the stamp it read
-- right after its pull and before loading its input (a change committed in between only
-- makes the next poll plan again), the answer's hash and the property's day. Anything else
-- clears the hash, so the next poll plans again. The 6-hour full re-push still happens:
-- the steady path requires a full push younger than that.

create table if not exists avito_private.sync_steady_state (
  integration_id uuid primary key references public.integrations (id) on delete cascade,
  app_stamp bigint not null default 0,
  synced_stamp bigint,
  answer_hash text check (answer_hash is null or length(answer_hash) <= 128),
  synced_day date,
  updated_at timestamptz not null default now()
);

comment on table avito_private.sync_steady_state is
  'Per integration: a counter of app changes the plan reads (bumped by triggers), and the '
  'counter value, Avito answer hash and day of the last clean sync (steady-state polls).';

alter table avito_private.sync_steady_state enable row level security;
revoke all on table avito_private.sync_steady_state from public, anon, authenticated;
grant select on table avito_private.sync_steady_state to service_role;


-- Bump the stamp of every integration of these properties. Rows are created by
-- sync_app_stamp before a sync reads the stamp, so a missing row has nothing to invalidate.
create or replace function avito_private.bump_app_stamps(p_property_ids uuid[])
returns void
language sql
set search_path = ''
as $$
  update avito_private.sync_steady_state s
  set app_stamp = s.app_stamp + 1, updated_at = now()
  from public.integrations i
  where i.id = s.integration_id
    and i.property_id = any(p_property_ids);
$$;

-- bookings, property_rates: the properties of inserted and deleted rows, and of updated rows
-- whose values changed in any column except the trigger's arguments (updated_at). A column
-- added later counts as a change.
create or replace function avito_private.property_rows_bump_stamp()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform avito_private.bump_app_stamps(
      (select array_agg(distinct n.property_id) from new_rows n));
  elsif tg_op = 'DELETE' then
    perform avito_private.bump_app_stamps(
      (select array_agg(distinct o.property_id) from old_rows o));
  else
    perform avito_private.bump_app_stamps((
      select array_agg(distinct x.property_id)
      from old_rows o
      join new_rows n on n.id = o.id
      cross join lateral (values (o.property_id), (n.property_id)) as x(property_id)
      where (to_jsonb(o) - coalesce(tg_argv, '{}')) is distinct from
            (to_jsonb(n) - coalesce(tg_argv, '{}'))));
  end if;
  return null;
end;
$$;

-- properties: any change but updated_at (price, minimum stay, timezone, deletion, ...).
create or replace function avito_private.properties_bump_stamp()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform avito_private.bump_app_stamps((
    select array_agg(n.id)
    from old_rows o
    join new_rows n on n.id = o.id
    where (to_jsonb(o) - 'updated_at') is distinct from (to_jsonb(n) - 'updated_at')));
  return null;
end;
$$;

create or replace trigger avito_steady_stamp_on_insert after insert on public.bookings
  referencing new table as new_rows
  for each statement execute function avito_private.property_rows_bump_stamp();
create or replace trigger avito_steady_stamp_on_update after update on public.bookings
  referencing old table as old_rows new table as new_rows
  for each statement execute function avito_private.property_rows_bump_stamp('updated_at');
create or replace trigger avito_steady_stamp_on_delete after delete on public.bookings
  referencing old table as old_rows
  for each statement execute function avito_private.property_rows_bump_stamp();

create or replace trigger avito_steady_stamp_on_insert after insert on public.property_rates
  referencing new table as new_rows
  for each statement execute function avito_private.property_rows_bump_stamp();
create or replace trigger avito_steady_stamp_on_update after update on public.property_rates
  referencing old table as old_rows new table as new_rows
  for each statement execute function avito_private.property_rows_bump_stamp('updated_at');
create or replace trigger avito_steady_stamp_on_delete after delete on public.property_rates
  referencing old table as old_rows
  for each statement execute function avito_private.property_rows_bump_stamp();

create or replace trigger avito_steady_stamp_on_update after update on public.properties
  referencing old table as old_rows new table as new_rows
  for each statement execute function avito_private.properties_bump_stamp();

-- integrations: row by row, filtered in the trigger's WHEN, because every sync updates its own
-- row (last_sync_at, status): the common update must cost no function call and no
-- transition table.
create or replace function avito_private.integration_bump_stamp()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform avito_private.bump_app_stamps(array[old.property_id, new.property_id]);
  return null;
end;
$$;

create or replace trigger avito_steady_stamp_on_update after update on public.integrations
  for each row
  when ((to_jsonb(old) - '{updated_at,status,last_sync_at,last_error,token_expires_at,scope}'::text[])
        is distinct from
        (to_jsonb(new) - '{updated_at,status,last_sync_at,last_error,token_expires_at,scope}'::text[]))
  execute function avito_private.integration_bump_stamp();


-- The stamp a sync plans from: read after its pull and before loading its input.
create or replace function avito_private.sync_app_stamp(p_integration_id uuid)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_stamp bigint;
begin
  insert into avito_private.sync_steady_state (integration_id)
  select i.id from public.integrations i where i.id = p_integration_id
  on conflict (integration_id) do nothing;
  select s.app_stamp into v_stamp
  from avito_private.sync_steady_state s where s.integration_id = p_integration_id;
  return v_stamp;
end;
$$;


-- After a sync: p_answer_hash is the hash of the answer it pulled when the sync was clean,
-- null otherwise (the next poll then plans again). Only while p_owner holds the lease.
create or replace function avito_private.record_steady_state(
  p_integration_id uuid,
  p_owner text,
  p_stamp bigint,
  p_answer_hash text,
  p_day date
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_answer_hash is not null and length(p_answer_hash) > 128 then
    raise exception 'record_steady_state: hash too long' using errcode = '22023';
  end if;
  update avito_private.sync_steady_state s
  set synced_stamp = p_stamp,
      answer_hash = p_answer_hash,
      synced_day = p_day,
      updated_at = now()
  where s.integration_id = p_integration_id
    and exists (
      select 1 from public.avito_sync_queue q
      where q.integration_id = p_integration_id
        and q.status = 'running'
        and q.lease_owner = p_owner);
  return found;
end;
$$;


-- The steady-state poll in one call: when the app has not changed since the last clean sync,
-- Avito's answer has the same hash, the property's day is the same and the last full push is
-- younger than p_full_push_every_seconds, record a successful run and schedule the next poll
-- (record_sync_result). Returns 'done', 'lease_lost' (recorded, but another worker holds the
-- row now) or 'changed' (nothing written: the caller runs the full sync).
create or replace function avito_private.finish_steady_poll(
  p_integration_id uuid,
  p_owner text,
  p_trigger text,
  p_answer_hash text,
  p_day date,
  p_now timestamptz,
  p_started_at timestamptz,
  p_full_push_every_seconds double precision,
  p_interval_seconds integer default 10
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_full_push_every_seconds is null or p_full_push_every_seconds <= 0 then
    raise exception 'finish_steady_poll: full push period must be positive'
      using errcode = '22023';
  end if;
  perform 1
  from avito_private.sync_steady_state s
  join avito_private.avito_push_state ps on ps.integration_id = s.integration_id
  where s.integration_id = p_integration_id
    and s.synced_stamp = s.app_stamp
    and s.answer_hash = p_answer_hash
    and s.synced_day = p_day
    and ps.last_full_push_at > p_now - make_interval(secs => p_full_push_every_seconds);
  if not found then
    return 'changed';
  end if;
  if not avito_private.record_sync_result(
       p_integration_id, p_owner, p_trigger, 'success', '{"steady": true}'::jsonb, 1,
       p_started_at, null, p_interval_seconds) then
    return 'lease_lost';
  end if;
  -- The cadence counts from this poll's start, not its end: the answer's wait must not
  -- stretch the interval (a change may have made the row due sooner: that stays).
  update public.avito_sync_queue q
  set next_sync_at = greatest(now(), p_started_at + make_interval(secs => p_interval_seconds))
  where q.integration_id = p_integration_id
    and q.status = 'pending'
    and q.next_sync_at > now()
    and q.next_sync_at > p_started_at + make_interval(secs => p_interval_seconds);
  return 'done';
end;
$$;


-- A batched claim with what a steady poll needs to call Avito (no other round trip).
create or replace function avito_private.claim_sync_polls(
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
  from avito_private.claim_sync_batch(p_owner, p_limit, p_lease_seconds) c
  join public.integrations i on i.id = c.integration_id
  join public.properties p on p.id = i.property_id;
$$;

select avito_private.revoke_execute(
  'avito_private.bump_app_stamps(uuid[])',
  'avito_private.property_rows_bump_stamp()',
  'avito_private.properties_bump_stamp()',
  'avito_private.integration_bump_stamp()');
select avito_private.grant_execute_to_service(
  'avito_private.sync_app_stamp(uuid)',
  'avito_private.record_steady_state(uuid, text, bigint, text, date)',
  'avito_private.finish_steady_poll(uuid, text, text, text, date, timestamptz, timestamptz,'
  ' double precision, integer)',
  'avito_private.claim_sync_polls(text, integer, integer)');

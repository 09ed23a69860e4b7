-- avito_logs: the app's error feed (docs/app-contract.md §2.3, §5). The app subscribes to
-- INSERTs with status=eq.error (a 12-second toast with row.error, then the sync-log dialog) and
-- reads the last 50 error rows with properties(name). Adopts the app's table or creates it.
--
-- Only the service writes it, from inside the transactions that record what happened:
--   * a finished sync run that failed or partly failed      -> action 'sync', status 'error'
--   * a sync that succeeds after a logged 'sync' error       -> action 'sync', status 'success'
--     (one row per recovery; plain successes are not logged: the dialog shows errors only)
--   * an Avito account that needs a reconnect (event)        -> action 'refresh_token', per
--     active integration of the account
--   * a booking conflict from the pull or a 409 from closing dates on Avito (event)
--                                                            -> 'sync_bookings' /
--                                                               'sync_calendar_bookings'
-- Every error row pops a toast, so error rows are deduplicated and rate-limited per
-- integration (avito_private.write_avito_log): the same (action, error) at most once per
-- window (GUC avito_sync.avito_logs_window, default 6 hours; a logged recovery starts a new
-- window), and at most avito_sync.avito_logs_max_errors error rows (default 5) per integration
-- per window. Set them with e.g. `alter database postgres set avito_sync.avito_logs_window =
-- '1 hour'`. Rows carry ids, codes, dates and counts only: no tokens, no guest data.

create table if not exists public.avito_logs (
  id uuid primary key default gen_random_uuid()
);

alter table public.avito_logs
  add column if not exists integration_id uuid,
  add column if not exists property_id uuid,
  add column if not exists action text,
  add column if not exists status text,
  add column if not exists error text,
  add column if not exists details jsonb,
  add column if not exists created_at timestamptz not null default now();

select avito_private.ensure_timestamptz('public.avito_logs', 'created_at');
alter table public.avito_logs alter column created_at set default now();
update public.avito_logs set created_at = now() where created_at is null;
select avito_private.ensure_not_null('public.avito_logs', 'created_at');
select avito_private.ensure_not_null('public.avito_logs', 'action');
select avito_private.ensure_not_null('public.avito_logs', 'status');

do $$
begin
  if not avito_private.has_foreign_key('public.avito_logs', 'integration_id') then
    perform avito_private.ensure_constraint(
      'public.avito_logs', 'avito_logs_integration_id_fkey',
      'foreign key (integration_id) references public.integrations (id) on delete cascade', true);
  end if;
  if not avito_private.has_foreign_key('public.avito_logs', 'property_id') then
    perform avito_private.ensure_constraint(
      'public.avito_logs', 'avito_logs_property_id_fkey',
      'foreign key (property_id) references public.properties (id) on delete cascade', true);
  end if;
end;
$$;

select avito_private.ensure_constraint(
  'public.avito_logs', 'avito_logs_status_check', $$check (status in ('success', 'error'))$$,
  true);

create index if not exists avito_logs_integration_created_idx
  on public.avito_logs (integration_id, created_at desc);
create index if not exists avito_logs_property_created_idx
  on public.avito_logs (property_id, created_at desc);
create index if not exists avito_logs_errors_created_idx
  on public.avito_logs (created_at desc) where status = 'error';

alter table public.avito_logs enable row level security;

-- The old app's policies may let owners write rows; the select policy below replaces them.
do $$
declare
  v_policy record;
begin
  for v_policy in
    select policyname from pg_catalog.pg_policies
    where schemaname = 'public' and tablename = 'avito_logs'
      and policyname <> 'avito_logs_owner_select'
  loop
    execute pg_catalog.format('drop policy %I on public.avito_logs', v_policy.policyname);
  end loop;
end;
$$;

drop policy if exists avito_logs_owner_select on public.avito_logs;
create policy avito_logs_owner_select on public.avito_logs for select to authenticated
  using (exists (select 1 from public.properties p
                 where p.id = avito_logs.property_id and p.owner_id = (select auth.uid())));

revoke all on public.avito_logs from public, anon, authenticated, service_role;
grant select on public.avito_logs to authenticated;
grant select, insert, update, delete on public.avito_logs to service_role;

do $$
begin
  if not (select puballtables from pg_catalog.pg_publication where pubname = 'supabase_realtime')
     and not exists (select 1 from pg_catalog.pg_publication_tables
                     where pubname = 'supabase_realtime' and schemaname = 'public'
                       and tablename = 'avito_logs') then
    alter publication supabase_realtime add table public.avito_logs;
  end if;
end;
$$;


-- Dedupe window and per-integration cap for error rows (see the header).
create or replace function avito_private.avito_logs_window()
returns interval
language sql
stable
set search_path = ''
as $$
  select coalesce(nullif(pg_catalog.current_setting('avito_sync.avito_logs_window', true), '')
                    ::interval,
                  interval '6 hours');
$$;

create or replace function avito_private.avito_logs_max_errors()
returns integer
language sql
stable
set search_path = ''
as $$
  select coalesce(nullif(pg_catalog.current_setting('avito_sync.avito_logs_max_errors', true), '')
                    ::integer,
                  5);
$$;


-- Write one row unless it would repeat or flood. Returns whether a row was written.
create or replace function avito_private.write_avito_log(
  p_integration_id uuid,
  p_action text,
  p_status text,
  p_error text,
  p_details jsonb default '{}'::jsonb
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_property_id uuid;
  v_error text := left(p_error, 500);
  v_since timestamptz;
  v_last_status text;
begin
  if p_status not in ('success', 'error') then
    raise exception 'write_avito_log: unknown status %', p_status using errcode = '22023';
  end if;
  select i.property_id into v_property_id from public.integrations i where i.id = p_integration_id;
  if not found then
    return false;
  end if;

  perform pg_advisory_xact_lock(hashtextextended('avito_sync.avito_logs:' || p_integration_id, 0));

  if p_status = 'success' then
    -- Only a recovery is worth a row: the last row of this action was an error.
    select l.status into v_last_status
    from public.avito_logs l
    where l.integration_id = p_integration_id and l.action = p_action
    order by l.created_at desc, l.id desc
    limit 1;
    if v_last_status is distinct from 'error' then
      return false;
    end if;
  else
    select greatest(now() - avito_private.avito_logs_window(),
                    coalesce(max(l.created_at), '-infinity'::timestamptz))
    into v_since
    from public.avito_logs l
    where l.integration_id = p_integration_id and l.status = 'success';

    if exists (select 1 from public.avito_logs l
               where l.integration_id = p_integration_id
                 and l.action = p_action
                 and l.status = 'error'
                 and l.error is not distinct from v_error
                 and l.created_at >= v_since)
       or (select count(*) from public.avito_logs l
           where l.integration_id = p_integration_id
             and l.status = 'error'
             and l.created_at >= v_since) >= avito_private.avito_logs_max_errors() then
      return false;
    end if;
  end if;

  -- clock_timestamp(): rows written in one transaction still come in order.
  insert into public.avito_logs
    (integration_id, property_id, action, status, error, details, created_at)
  values (p_integration_id, v_property_id, p_action, p_status, v_error,
          coalesce(p_details, '{}'::jsonb), clock_timestamp());
  return true;
end;
$$;


-- Finished sync runs: failures, and the first success after a logged failure.
create or replace function avito_private.avito_sync_runs_log()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.integration_id is null or new.finished_at is null then
    return null;
  end if;
  if new.outcome in ('failed', 'partial') then
    perform avito_private.write_avito_log(
      new.integration_id, 'sync', 'error',
      'Синхронизация с Avito не удалась: ' || coalesce(nullif(new.error, ''), new.outcome),
      jsonb_build_object('run_id', new.id, 'trigger', new.trigger, 'outcome', new.outcome,
                         'push', new.counts -> 'push'));
  elsif new.outcome = 'success' then
    perform avito_private.write_avito_log(
      new.integration_id, 'sync', 'success', 'Синхронизация с Avito восстановлена.',
      jsonb_build_object('run_id', new.id, 'trigger', new.trigger));
  end if;
  return null;
end;
$$;

drop trigger if exists avito_sync_runs_log on public.avito_sync_runs;
create trigger avito_sync_runs_log
  after insert on public.avito_sync_runs
  for each row execute function avito_private.avito_sync_runs_log();


-- Notification events that the host must also see in the app's error feed.
create or replace function avito_private.notification_events_log()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_integration uuid;
begin
  if new.kind = 'needs_reconnect' then
    for v_integration in
      select (e.value #>> '{}')::uuid
      from jsonb_array_elements(coalesce(new.payload -> 'integration_ids', '[]'::jsonb)) e
    loop
      perform avito_private.write_avito_log(
        v_integration, 'refresh_token', 'error',
        'Доступ к Avito истёк или отозван: подключите аккаунт Avito заново.',
        jsonb_build_object('avito_account_id', new.payload -> 'avito_account_id',
                           'event_id', new.id));
    end loop;
  elsif new.kind = 'booking_conflict' and new.integration_id is not null then
    if new.payload ->> 'operation' = 'closures' then
      perform avito_private.write_avito_log(
        new.integration_id, 'sync_calendar_bookings', 'error',
        'Avito не закрыл даты: они пересекаются с бронями на Avito ('
          || jsonb_array_length(coalesce(new.payload -> 'conflicts', '[]'::jsonb))
          || ' конфликт(ов)). Проверьте календарь.',
        jsonb_build_object('event_id', new.id,
                           'conflicts', jsonb_array_length(
                             coalesce(new.payload -> 'conflicts', '[]'::jsonb))));
    elsif new.payload ->> 'reason' = 'held_by_other_property' then
      perform avito_private.write_avito_log(
        new.integration_id, 'sync_bookings', 'error',
        'Бронь Avito № ' || (new.payload ->> 'avito_booking_id')
          || ' уже записана в другом объекте; она не изменена.',
        jsonb_build_object('event_id', new.id,
                           'avito_booking_id', new.payload -> 'avito_booking_id'));
    else
      perform avito_private.write_avito_log(
        new.integration_id, 'sync_bookings', 'error',
        'Бронь Avito № ' || (new.payload ->> 'avito_booking_id') || ' ('
          || (new.payload ->> 'check_in') || ' – ' || (new.payload ->> 'check_out')
          || ') пересекается с другой бронью объекта.',
        jsonb_build_object('event_id', new.id,
                           'avito_booking_id', new.payload -> 'avito_booking_id',
                           'check_in', new.payload -> 'check_in',
                           'check_out', new.payload -> 'check_out'));
    end if;
  end if;
  return null;
end;
$$;

drop trigger if exists notification_events_log on public.notification_events;
create trigger notification_events_log
  after insert on public.notification_events
  for each row execute function avito_private.notification_events_log();

revoke all on function avito_private.avito_logs_window() from public, anon, authenticated;
revoke all on function avito_private.avito_logs_max_errors() from public, anon, authenticated;
revoke all on function avito_private.write_avito_log(uuid, text, text, text, jsonb)
  from public, anon, authenticated;
revoke all on function avito_private.avito_sync_runs_log()
  from public, anon, authenticated, service_role;
revoke all on function avito_private.notification_events_log()
  from public, anon, authenticated, service_role;
grant execute on function avito_private.avito_logs_window() to service_role;
grant execute on function avito_private.avito_logs_max_errors() to service_role;
grant execute on function avito_private.write_avito_log(uuid, text, text, text, jsonb)
  to service_role;

-- "Sync failing" alerts without a flood: one alert when a listing has failed to sync for longer
-- than avito_sync.sync_failing_minutes (default 30), one when it recovers, nothing in between.
-- A failure streak starts at the first failed sync after a success; the row disappears on the
-- next success. Called by avito_private.record_sync_result.

create table if not exists avito_private.sync_failure_streaks (
  integration_id uuid primary key references public.integrations (id) on delete cascade,
  failing_since timestamptz not null default now(),
  alerted_at timestamptz
);

revoke all on avito_private.sync_failure_streaks from public, anon, authenticated, service_role;
alter table avito_private.sync_failure_streaks enable row level security;

-- Minutes of failing before the host hears about it; a bad setting falls back to 30.
create or replace function avito_private.sync_failing_minutes()
returns integer
language plpgsql
stable
set search_path = ''
as $$
declare
  v_value text := current_setting('avito_sync.sync_failing_minutes', true);
begin
  if v_value ~ '^\d{1,5}$' then
    return v_value::integer;
  end if;
  return 30;
end;
$$;

create or replace function avito_private.note_sync_health(
  p_integration_id uuid,
  p_owner_id uuid,
  p_property_id uuid,
  p_ok boolean,
  p_error text
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_streak avito_private.sync_failure_streaks;
  v_minutes integer := avito_private.sync_failing_minutes();
begin
  if p_ok then
    delete from avito_private.sync_failure_streaks s
    where s.integration_id = p_integration_id
    returning * into v_streak;
    if v_streak.alerted_at is not null then
      insert into public.notification_events
        (owner_id, property_id, integration_id, kind, dedupe_key, payload)
      values (
        p_owner_id, p_property_id, p_integration_id, 'sync_recovered',
        'sync_recovered:' || p_integration_id || ':'
          || (extract(epoch from v_streak.failing_since) * 1000)::bigint,
        jsonb_build_object(
          'failing_since', v_streak.failing_since,
          'failing_minutes', floor(extract(epoch from now() - v_streak.failing_since) / 60)))
      on conflict (dedupe_key) do nothing;
      return 'recovered';
    end if;
    return null;
  end if;

  insert into avito_private.sync_failure_streaks (integration_id)
  values (p_integration_id)
  on conflict (integration_id) do nothing;
  update avito_private.sync_failure_streaks s
  set alerted_at = now()
  where s.integration_id = p_integration_id
    and s.alerted_at is null
    and s.failing_since <= now() - pg_catalog.make_interval(mins => v_minutes)
  returning * into v_streak;
  if v_streak.integration_id is null then
    return null;
  end if;
  insert into public.notification_events
    (owner_id, property_id, integration_id, kind, dedupe_key, payload)
  values (
    p_owner_id, p_property_id, p_integration_id, 'sync_failing',
    'sync_failing:' || p_integration_id || ':'
      || (extract(epoch from v_streak.failing_since) * 1000)::bigint,
    jsonb_build_object(
      'failing_since', v_streak.failing_since,
      'failing_minutes', floor(extract(epoch from now() - v_streak.failing_since) / 60),
      'attempts', (select q.attempts from public.avito_sync_queue q
                   where q.integration_id = p_integration_id),
      'error', left(p_error, 500)))
  on conflict (dedupe_key) do nothing;
  return 'failing';
end;
$$;

select avito_private.revoke_execute(
  'avito_private.note_sync_health(uuid, uuid, uuid, boolean, text)');
select avito_private.grant_execute_to_service('avito_private.sync_failing_minutes()');

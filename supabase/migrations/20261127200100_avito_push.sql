-- Push: a consistent snapshot of what the plan needs, and the fingerprints of what Avito last
-- accepted per integration (avito_sync/sync/push.py sends only what differs, plus a periodic
-- full re-push to repair drift). Prices are kept per night (sync/price_diff.py), so that only
-- changed nights are written and never a night of a pending request.

create table if not exists avito_private.avito_push_state (
  integration_id uuid primary key references public.integrations (id) on delete cascade,
  -- operation ('prices', 'intervals', 'closures', 'base_params') -> fingerprint of its body
  fingerprints jsonb not null default '{}'::jsonb check (jsonb_typeof(fingerprints) = 'object'),
  -- prices Avito accepted, per night: {"item_id": n, "ranges": [[from, to, price, min_stay]]}
  prices jsonb check (prices is null or jsonb_typeof(prices) = 'object'),
  last_full_push_at timestamptz,
  last_conflicts jsonb,
  updated_at timestamptz not null default now()
);

comment on table avito_private.avito_push_state is
  'Per integration: fingerprint of the last body Avito accepted for each push operation, the '
  'prices Avito holds per night, the time of the last complete push, and the last 409 '
  'conflicts of core bookings.';

alter table avito_private.avito_push_state enable row level security;
revoke all on table avito_private.avito_push_state from public, anon, authenticated;
grant select, insert, update, delete on table avito_private.avito_push_state to service_role;


-- Everything one sync's plan reads, taken in one statement (one snapshot). Null when the
-- integration does not exist. Rates and bookings are limited to what can touch the window
-- (today's date in any timezone is within a day of the server's).
create or replace function avito_private.load_sync_input(p_integration_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'integration', jsonb_build_object(
      'id', i.id,
      'property_id', i.property_id,
      'avito_account_id', i.avito_account_id,
      'avito_user_id', i.avito_user_id,
      'avito_item_id', i.avito_item_id,
      'avito_markup', i.avito_markup,
      'is_active', i.is_active),
    'property', jsonb_build_object(
      'id', p.id,
      'base_price', p.base_price,
      'minimum_booking_days', p.minimum_booking_days,
      'timezone', to_jsonb(p) ->> 'timezone',
      'deleted_at', p.deleted_at),
    'rates', coalesce((
      select jsonb_agg(jsonb_build_object(
               'date', r.date, 'daily_price', r.daily_price, 'min_stay', r.min_stay)
             order by r.date)
      from public.property_rates r
      where r.property_id = p.id
        and r.date >= current_date - 1
        and r.date <= current_date + 367), '[]'::jsonb),
    'bookings', coalesce((
      select jsonb_agg(jsonb_build_object(
               'id', b.id, 'check_in', b.check_in, 'check_out', b.check_out,
               'status', b.status, 'source', b.source, 'avito_status', b.avito_status)
             order by b.check_in, b.id)
      from public.bookings b
      where b.property_id = p.id
        and b.check_out >= current_date - 1
        and b.check_in <= current_date + 367), '[]'::jsonb))
  from public.integrations i
  join public.properties p on p.id = i.property_id
  where i.id = p_integration_id;
$$;


-- What was last pushed, and whether pushing is allowed at all right now (the integration is
-- active and its property not deleted). No row when the integration does not exist.
create or replace function avito_private.get_push_state(p_integration_id uuid)
returns table (
  fingerprints jsonb, last_full_push_at timestamptz, pushable boolean, prices jsonb)
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(s.fingerprints, '{}'::jsonb), s.last_full_push_at,
         coalesce(i.is_active, false) and p.deleted_at is null, s.prices
  from public.integrations i
  join public.properties p on p.id = i.property_id
  left join avito_private.avito_push_state s on s.integration_id = i.id
  where i.id = p_integration_id;
$$;


-- Avito accepted these bodies (operation -> fingerprint). With p_full_at, every operation was
-- sent or confirmed in this sync: the drift-repair clock restarts then. p_prices, when given,
-- replaces the per-night prices Avito holds.
create or replace function avito_private.record_push(
  p_integration_id uuid,
  p_fingerprints jsonb,
  p_full_at timestamptz,
  p_prices jsonb default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_fingerprints is null or jsonb_typeof(p_fingerprints) <> 'object' then
    raise exception 'record_push: fingerprints must be a JSON object' using errcode = '22023';
  end if;
  if p_prices is not null and jsonb_typeof(p_prices) <> 'object' then
    raise exception 'record_push: prices must be a JSON object' using errcode = '22023';
  end if;
  insert into avito_private.avito_push_state as s
    (integration_id, fingerprints, last_full_push_at, prices)
  values (p_integration_id, p_fingerprints, p_full_at, p_prices)
  on conflict (integration_id) do update
    set fingerprints = s.fingerprints || excluded.fingerprints,
        last_full_push_at = coalesce(excluded.last_full_push_at, s.last_full_push_at),
        prices = coalesce(excluded.prices, s.prices),
        updated_at = now();
end;
$$;


-- Core bookings answered 409: remember the body (so it is not re-sent every poll) and the
-- conflicts, and tell the host once per distinct set of conflicts.
create or replace function avito_private.record_push_conflict(
  p_integration_id uuid,
  p_fingerprint text,
  p_conflicts jsonb
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_property_id uuid;
  v_owner_id uuid;
begin
  if p_conflicts is null or jsonb_typeof(p_conflicts) <> 'array' then
    raise exception 'record_push_conflict: conflicts must be a JSON array' using errcode = '22023';
  end if;
  select o.property_id, o.owner_id into v_property_id, v_owner_id
  from avito_private.integration_owner('record_push_conflict', p_integration_id) o;

  insert into avito_private.avito_push_state as s
    (integration_id, fingerprints, last_conflicts)
  values (p_integration_id, jsonb_build_object('closures', p_fingerprint), p_conflicts)
  on conflict (integration_id) do update
    set fingerprints = s.fingerprints || excluded.fingerprints,
        last_conflicts = excluded.last_conflicts,
        updated_at = now();

  perform avito_private.emit_booking_event(
    'booking_conflict', v_owner_id, v_property_id, p_integration_id, null,
    'avito-closures:' || p_integration_id || ':' || md5(p_conflicts::text),
    jsonb_build_object('operation', 'closures', 'conflicts', p_conflicts));
end;
$$;

select avito_private.grant_execute_to_service(
  'avito_private.load_sync_input(uuid)',
  'avito_private.get_push_state(uuid)',
  'avito_private.record_push(uuid, jsonb, timestamptz, jsonb)',
  'avito_private.record_push_conflict(uuid, text, jsonb)');

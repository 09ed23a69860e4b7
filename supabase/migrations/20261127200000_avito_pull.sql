-- Pull: merge one complete Avito answer (GET bookings for the window) into public.bookings,
-- atomically, without overwriting what the host edited, without deleting anything.
-- Called by the service (avito_sync/sync/pull.py) with the service role.

-- Flags the host can see on a booking row.
alter table public.bookings add column if not exists avito_vanished_at timestamptz;
alter table public.bookings add column if not exists avito_conflict_with uuid[];

comment on column public.bookings.avito_vanished_at is
  'When this Avito booking stopped appearing in Avito''s answer while still inside the sync '
  'window (avito_status is then ''vanished''). Never deleted; cleared if it reappears.';
comment on column public.bookings.avito_conflict_with is
  'Other busy bookings of the same property that this Avito booking overlaps; null when none.';

-- What we imported last, per Avito booking: a field is overwritten only while the booking
-- still holds exactly this value (the host did not edit it). Private: no client role reads it.
create table if not exists avito_private.avito_booking_imports (
  booking_id uuid primary key references public.bookings (id) on delete cascade,
  integration_id uuid references public.integrations (id) on delete set null,
  imported jsonb not null,
  status_changes integer not null default 0 check (status_changes >= 0),
  imported_at timestamptz not null default now()
);

create index if not exists avito_booking_imports_integration_idx
  on avito_private.avito_booking_imports (integration_id);

comment on table avito_private.avito_booking_imports is
  'Last values imported from Avito per booking (host-edit detection) and a counter of Avito '
  'status changes (dedupe key of status events).';

alter table avito_private.avito_booking_imports enable row level security;
revoke all on table avito_private.avito_booking_imports from public, anon, authenticated;
grant select, insert, update, delete on table avito_private.avito_booking_imports to service_role;


-- One notification event, once per dedupe key. Booking events' keys name the owner: an Avito
-- booking id is only unique within one owner's bookings (20261127000500).
create or replace function avito_private.emit_booking_event(
  p_kind text,
  p_owner_id uuid,
  p_property_id uuid,
  p_integration_id uuid,
  p_booking_id uuid,
  p_dedupe_key text,
  p_payload jsonb
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.notification_events
    (owner_id, kind, property_id, integration_id, booking_id, dedupe_key, payload)
  values
    (p_owner_id, p_kind, p_property_id, p_integration_id, p_booking_id, p_dedupe_key, p_payload)
  on conflict (dedupe_key) do nothing;
end;
$$;


create or replace function avito_private.apply_avito_bookings(
  p_integration_id uuid,
  p_window_start date,
  p_window_end date,
  p_bookings jsonb
)
returns table (created integer, updated integer, unchanged integer, vanished integer,
               conflicts integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  v_property_id uuid;
  v_owner_id uuid;
  v_item_id bigint;
  v_in record;
  v_row public.bookings%rowtype;
  v_merged public.bookings%rowtype;
  v_imp avito_private.avito_booking_imports%rowtype;
  v_old jsonb;
  v_new jsonb;
  v_cur jsonb;
  v_patch jsonb;
  v_field text;
  v_ids bigint[] := array[]::bigint[];
  v_changes integer;
  v_conf record;
  v_created integer := 0;
  v_updated integer := 0;
  v_unchanged integer := 0;
  v_vanished integer := 0;
  v_conflicts integer := 0;
  v_first boolean;  -- first import of this listing: one summary event, not one per booking
begin
  if p_bookings is null or jsonb_typeof(p_bookings) <> 'array' then
    raise exception 'apply_avito_bookings: bookings must be a JSON array' using errcode = '22023';
  end if;
  if p_window_start is null or p_window_end is null or p_window_end <= p_window_start then
    raise exception 'apply_avito_bookings: empty window' using errcode = '22023';
  end if;

  select o.property_id, o.owner_id into v_property_id, v_owner_id
  from avito_private.integration_owner('apply_avito_bookings', p_integration_id) o;

  -- One merge per integration at a time; our own writes do not re-trigger a sync.
  perform pg_advisory_xact_lock(hashtextextended('avito_sync.pull:' || p_integration_id, 0));
  perform set_config('avito_sync.sync_write', 'on', true);

  select i.avito_item_id, i.imported_item_id is distinct from i.avito_item_id
  into v_item_id, v_first
  from public.integrations i where i.id = p_integration_id;

  for v_in in
    select *
    from jsonb_to_recordset(p_bookings) as x(
      avito_booking_id bigint, check_in date, check_out date, status text, avito_status text,
      guest_name text, guest_email text, guest_phone text, guests_count integer,
      total_price numeric)
  loop
    if v_in.avito_booking_id is null or v_in.check_in is null or v_in.check_out is null
       or v_in.check_out <= v_in.check_in or v_in.avito_status is null then
      raise exception 'apply_avito_bookings: invalid booking %', v_in.avito_booking_id
        using errcode = '22023';
    end if;
    if v_in.status is not null and v_in.status not in ('pending', 'confirmed', 'cancelled') then
      raise exception 'apply_avito_bookings: invalid status %', v_in.status
        using errcode = '22023';
    end if;
    if v_in.avito_booking_id = any(v_ids) then
      raise exception 'apply_avito_bookings: duplicate booking %', v_in.avito_booking_id
        using errcode = '22023';
    end if;
    v_ids := v_ids || v_in.avito_booking_id;

    v_new := jsonb_build_object(
      'check_in', v_in.check_in, 'check_out', v_in.check_out,
      'guest_name', v_in.guest_name, 'guest_email', v_in.guest_email,
      'guest_phone', v_in.guest_phone, 'guests_count', v_in.guests_count,
      'total_price', v_in.total_price, 'status', v_in.status);

    -- Keyed by the listing within the owner's own properties: another owner's rows are never
    -- looked at, so nothing anyone else holds can hide this booking (issue #10). Rows from
    -- before avito_item_id was recorded match on this owner's properties too.
    select b.* into v_row
    from public.bookings b
    join public.properties p on p.id = b.property_id
    where b.source = 'avito'
      and p.owner_id = v_owner_id
      and (b.avito_booking_id = v_in.avito_booking_id
           or (b.avito_booking_id is null and b.external_id = v_in.avito_booking_id::text))
      and (b.avito_item_id = v_item_id or b.avito_item_id is null)
    order by (b.property_id = v_property_id) desc, (b.avito_item_id is not null) desc, b.id
    limit 1
    for update of b;

    -- Already recorded on another of the owner's properties (the host moved it there):
    -- never overwritten or moved. The owner hears once per (Avito booking, integration).
    if found and v_row.property_id is distinct from v_property_id then
      perform avito_private.emit_booking_event(
        'booking_conflict', v_owner_id, v_property_id, p_integration_id, null,
        'avito-booking:' || v_owner_id || ':' || v_in.avito_booking_id || ':foreign:'
          || p_integration_id,
        jsonb_build_object(
          'reason', 'held_by_other_property', 'avito_booking_id', v_in.avito_booking_id,
          'check_in', v_in.check_in, 'check_out', v_in.check_out));
      continue;
    end if;

    if not found then
      insert into public.bookings as b
        (property_id, source, external_id, avito_booking_id, avito_item_id, check_in,
         check_out, status, avito_status, guest_name, guest_email, guest_phone, guests_count,
         total_price, currency)
      values
        (v_property_id, 'avito', v_in.avito_booking_id::text, v_in.avito_booking_id, v_item_id,
         v_in.check_in, v_in.check_out, coalesce(v_in.status, 'pending'), v_in.avito_status,
         v_in.guest_name, v_in.guest_email, v_in.guest_phone, v_in.guests_count,
         v_in.total_price, 'RUB')
      returning b.* into v_row;

      insert into avito_private.avito_booking_imports (booking_id, integration_id, imported)
      values (v_row.id, p_integration_id,
              v_new || jsonb_build_object('status', v_row.status));
      v_created := v_created + 1;
      continue when v_first;

      perform avito_private.emit_booking_event(
        'booking_created', v_owner_id, v_row.property_id, p_integration_id, v_row.id,
        'avito-booking:' || v_owner_id || ':' || v_in.avito_booking_id || ':created',
        jsonb_build_object(
          'avito_booking_id', v_in.avito_booking_id, 'check_in', v_in.check_in,
          'check_out', v_in.check_out, 'status', v_row.status,
          'avito_status', v_in.avito_status, 'unknown_status', v_in.status is null));
      continue;
    end if;

    select i.* into v_imp
    from avito_private.avito_booking_imports i
    where i.booking_id = v_row.id
    for update;

    v_cur := to_jsonb(v_row);
    -- Without a record (a row from before this service) the current values count as ours.
    v_old := case when found then v_imp.imported else v_cur end;
    -- An unknown Avito status changes nothing: we keep claiming the status we imported.
    if v_in.status is null then
      v_new := v_new || jsonb_build_object('status', v_old -> 'status');
    end if;

    v_patch := '{}'::jsonb;
    -- Dates move together: if the host edited either, both stay.
    if (v_cur -> 'check_in') = (v_old -> 'check_in')
       and (v_cur -> 'check_out') = (v_old -> 'check_out') then
      v_patch := jsonb_build_object('check_in', v_new -> 'check_in',
                                    'check_out', v_new -> 'check_out');
    end if;
    foreach v_field in array array['guest_name', 'guest_email', 'guest_phone', 'guests_count',
                                   'total_price', 'status']
    loop
      if (v_cur -> v_field) is not distinct from coalesce(v_old -> v_field, 'null'::jsonb) then
        v_patch := v_patch || jsonb_build_object(v_field, v_new -> v_field);
      end if;
    end loop;
    -- The guest cancelled on Avito: that wins over any status the host set.
    if v_in.status = 'cancelled' then
      v_patch := v_patch || jsonb_build_object('status', 'cancelled');
    end if;
    v_patch := v_patch || jsonb_build_object(
      'avito_status', v_in.avito_status,
      'avito_booking_id', v_in.avito_booking_id,
      'avito_item_id', v_item_id,
      'avito_vanished_at', null);

    v_merged := jsonb_populate_record(v_row, v_patch);
    v_changes := case when v_row.avito_status is distinct from v_in.avito_status then 1 else 0 end;

    if v_merged is distinct from v_row then
      update public.bookings b
      set check_in = v_merged.check_in,
          check_out = v_merged.check_out,
          guest_name = v_merged.guest_name,
          guest_email = v_merged.guest_email,
          guest_phone = v_merged.guest_phone,
          guests_count = v_merged.guests_count,
          total_price = v_merged.total_price,
          status = v_merged.status,
          avito_status = v_merged.avito_status,
          avito_booking_id = v_merged.avito_booking_id,
          avito_item_id = v_merged.avito_item_id,
          avito_vanished_at = v_merged.avito_vanished_at
      where b.id = v_row.id;
      v_updated := v_updated + 1;
    else
      v_unchanged := v_unchanged + 1;
    end if;

    insert into avito_private.avito_booking_imports as i
      (booking_id, integration_id, imported, status_changes)
    values (v_row.id, p_integration_id, v_new, v_changes)
    on conflict (booking_id) do update
      set integration_id = excluded.integration_id,
          imported = excluded.imported,
          status_changes = i.status_changes + excluded.status_changes,
          imported_at = case when i.imported = excluded.imported then i.imported_at
                             else now() end
    returning i.* into v_imp;

    if v_changes = 1 then
      perform avito_private.emit_booking_event(
        case when v_in.status = 'cancelled' then 'booking_cancelled'
             else 'booking_status_changed' end,
        v_owner_id, v_row.property_id, p_integration_id, v_row.id,
        'avito-booking:' || v_owner_id || ':' || v_in.avito_booking_id || ':status:'
          || v_imp.status_changes,
        jsonb_build_object(
          'avito_booking_id', v_in.avito_booking_id, 'check_in', v_merged.check_in,
          'check_out', v_merged.check_out, 'status', v_merged.status,
          'previous_avito_status', v_row.avito_status, 'avito_status', v_in.avito_status,
          'unknown_status', v_in.status is null));
    end if;
  end loop;

  -- Vanished: ours and on this integration's property, not in this answer, not cancelled,
  -- check-in still inside the window. Stays that began before the window are left alone:
  -- whether Avito returns them is unsure.
  for v_row in
    select b.*
    from public.bookings b
    left join avito_private.avito_booking_imports i on i.booking_id = b.id
    where b.source = 'avito'
      and b.avito_booking_id is not null
      and not (b.avito_booking_id = any(v_ids))
      and b.property_id = v_property_id
      and (i.integration_id = p_integration_id or i.booking_id is null)
      and lower(coalesce(b.avito_status, '')) not in ('canceled', 'cancelled', 'vanished')
      and b.check_in >= p_window_start
      and b.check_in < p_window_end
    for update of b
  loop
    update public.bookings b
    set avito_status = 'vanished', avito_vanished_at = now()
    where b.id = v_row.id;

    insert into avito_private.avito_booking_imports as i
      (booking_id, integration_id, imported, status_changes)
    values (v_row.id, p_integration_id,
            jsonb_build_object(
              'check_in', v_row.check_in, 'check_out', v_row.check_out,
              'guest_name', v_row.guest_name, 'guest_email', v_row.guest_email,
              'guest_phone', v_row.guest_phone, 'guests_count', v_row.guests_count,
              'total_price', v_row.total_price, 'status', v_row.status),
            1)
    on conflict (booking_id) do update
      set status_changes = i.status_changes + 1
    returning i.* into v_imp;
    v_vanished := v_vanished + 1;

    perform avito_private.emit_booking_event(
      'booking_status_changed', v_owner_id, v_row.property_id, p_integration_id, v_row.id,
      'avito-booking:' || v_owner_id || ':' || v_row.avito_booking_id || ':status:'
        || v_imp.status_changes,
      jsonb_build_object(
        'avito_booking_id', v_row.avito_booking_id, 'check_in', v_row.check_in,
        'check_out', v_row.check_out, 'status', v_row.status,
        'previous_avito_status', v_row.avito_status, 'avito_status', 'vanished'));
  end loop;

  -- Conflicts of every booking in this answer on this integration's property, recomputed
  -- against the property's calendar.
  for v_conf in
    select m.id, m.property_id, m.avito_booking_id, m.check_in, m.check_out,
           m.avito_conflict_with as previous,
           case when m.status = 'cancelled'
                     or lower(coalesce(m.avito_status, '')) in ('canceled', 'cancelled')
                then null
                else (select array_agg(o.id order by o.id)
                      from public.bookings o
                      where o.property_id = m.property_id
                        and o.id <> m.id
                        and o.check_in < m.check_out
                        and m.check_in < o.check_out
                        and (o.status in ('confirmed', 'paid')
                             or (o.source = 'avito' and o.avito_status = 'active')))
           end as current
    from public.bookings m
    where m.source = 'avito'
      and m.property_id = v_property_id
      and m.avito_booking_id = any(v_ids)
  loop
    if v_conf.current is not null then
      v_conflicts := v_conflicts + 1;
    end if;
    continue when v_conf.current is not distinct from v_conf.previous;

    update public.bookings b set avito_conflict_with = v_conf.current where b.id = v_conf.id;
    if v_conf.current is not null then
      perform avito_private.emit_booking_event(
        'booking_conflict', v_owner_id, v_conf.property_id, p_integration_id, v_conf.id,
        'avito-booking:' || v_owner_id || ':' || v_conf.avito_booking_id || ':conflict:'
          || md5(array_to_string(v_conf.current, ',')),
        jsonb_build_object(
          'avito_booking_id', v_conf.avito_booking_id, 'check_in', v_conf.check_in,
          'check_out', v_conf.check_out, 'conflicting_booking_ids', to_jsonb(v_conf.current)));
    end if;
  end loop;

  if v_first then
    if v_created > 0 then
      perform avito_private.emit_booking_event(
        'bookings_imported', v_owner_id, v_property_id, p_integration_id, null,
        'bookings-imported:' || p_integration_id || ':' || v_item_id,
        jsonb_build_object('count', v_created, 'integration_id', p_integration_id,
                           'property_id', v_property_id, 'item_id', v_item_id));
    end if;
    update public.integrations i set imported_item_id = v_item_id where i.id = p_integration_id;
  end if;

  return query select v_created, v_updated, v_unchanged, v_vanished, v_conflicts;
end;
$$;

select avito_private.revoke_execute(
  'avito_private.emit_booking_event(text, uuid, uuid, uuid, uuid, text, jsonb)');
select avito_private.grant_execute_to_service(
  'avito_private.apply_avito_bookings(uuid, date, date, jsonb)');

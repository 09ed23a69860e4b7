-- Client roles (the app through PostgREST) cannot write what only the Avito sync may write
-- (issue #10: booking-id squatting). A host used to be able to insert bookings with
-- source 'avito' and the next Avito booking ids on their own property, and the pull skipped
-- the real booking of another host as "held by another property", leaving that calendar open.
--
-- For `authenticated` and `anon` (the service writes as service_role or as a function owner
-- and is never affected):
-- * INSERT: source 'avito' is stored as 'manual'. The app's booking form lets a human pick
--   "Avito" as the channel of a booking typed in by hand; failing that insert would break the
--   form, and such a row is not an Avito booking the sync knows. The Avito-owned columns
--   (avito_booking_id, avito_item_id, avito_status, avito_vanished_at, avito_conflict_with)
--   start empty.
-- * UPDATE: source cannot change to or from 'avito', the Avito-owned columns keep their
--   values, and an Avito row keeps its external_id. Everything else (dates, guest, price,
--   status, notes, the property when dragged) stays the host's to edit, as before.
-- Silently keeping the values, rather than failing, keeps the app's full-row updates working
-- (its edit form sends every column back).

create or replace function avito_private.bookings_client_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.source = 'avito' then
      new.source := 'manual';
    end if;
    new.avito_booking_id := null;
    new.avito_item_id := null;
    new.avito_status := null;
    new.avito_vanished_at := null;
    new.avito_conflict_with := null;
    return new;
  end if;

  if old.source = 'avito' or new.source = 'avito' then
    new.source := old.source;
  end if;
  if old.source = 'avito' then
    new.external_id := old.external_id;
  end if;
  new.avito_booking_id := old.avito_booking_id;
  new.avito_item_id := old.avito_item_id;
  new.avito_status := old.avito_status;
  new.avito_vanished_at := old.avito_vanished_at;
  new.avito_conflict_with := old.avito_conflict_with;
  return new;
end;
$$;

drop trigger if exists bookings_client_guard on public.bookings;
create trigger bookings_client_guard
  before insert or update on public.bookings
  for each row
  when (current_user in ('authenticated', 'anon'))
  execute function avito_private.bookings_client_guard();

select avito_private.revoke_execute('avito_private.bookings_client_guard()');

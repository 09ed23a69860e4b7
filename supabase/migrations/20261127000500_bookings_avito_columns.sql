-- Avito columns on bookings and their keys.
--
-- * Every source but 'avito': unique (source, external_id) (the Excel import's row ids, other
--   channels' ids). NULL external_ids (manual bookings) stay allowed any number of times.
-- * 'avito': Avito's booking id is unique per property (not globally), and avito_item_id
--   records the listing it came from. The pull looks a booking up only among its owner's own
--   properties, so a row on someone else's property can never hide a real Avito booking
--   (issue #10: booking-id squatting). external_id still carries Avito's id as text.
--
-- The app's global partial index idx_bookings_avito_booking_id_unique (avito_booking_id where
-- source = 'avito') is replaced by the per-property key: with it, any row holding an id
-- blocked every other host's import of it. Nothing in the app relies on it (its only user,
-- handleIncomingAvitoBookings, is dead code). Legacy Avito rows that carry only
-- avito_booking_id get external_id filled in. Client roles cannot write source 'avito' or the
-- Avito-owned columns at all (trigger in 20261206040000_bookings_avito_guard.sql).

alter table public.bookings
  add column if not exists source text default 'manual',
  add column if not exists external_id text,
  add column if not exists avito_booking_id bigint,
  add column if not exists avito_item_id bigint,
  add column if not exists avito_status text;

comment on column public.bookings.avito_item_id is
  'The Avito listing an imported booking came from (written only by the sync).';

select avito_private.ensure_constraint(
  'public.bookings', 'bookings_avito_booking_id_check', 'check (avito_booking_id > 0)', true);
select avito_private.ensure_constraint(
  'public.bookings', 'bookings_avito_item_id_check', 'check (avito_item_id > 0)', true);

update public.bookings b
set external_id = b.avito_booking_id::text
where b.source = 'avito' and b.external_id is null and b.avito_booking_id is not null;

do $$
declare
  v_duplicates bigint;
begin
  if avito_private.has_unique_key('public.bookings', array['source', 'external_id']) then
    return;
  end if;
  select pg_catalog.count(*) into v_duplicates
  from (select 1 from public.bookings
        where external_id is not null and source <> 'avito'
        group by source, external_id having pg_catalog.count(*) > 1) d;
  if v_duplicates > 0 then
    raise exception 'bookings: % (source, external_id) pairs occur more than once', v_duplicates
      using errcode = 'unique_violation',
            hint = 'Resolve them first: select source, external_id, array_agg(id) from '
                   'public.bookings where external_id is not null and source <> ''avito'' '
                   'group by 1, 2 having count(*) > 1;';
  end if;
  create unique index if not exists bookings_source_external_id_key
    on public.bookings (source, external_id) where source <> 'avito';
end;
$$;

drop index if exists public.idx_bookings_avito_booking_id_unique;
create unique index if not exists bookings_avito_booking_property_key
  on public.bookings (property_id, avito_booking_id)
  where avito_booking_id is not null and source = 'avito';
create index if not exists bookings_avito_booking_id_idx
  on public.bookings (avito_booking_id) where source = 'avito';

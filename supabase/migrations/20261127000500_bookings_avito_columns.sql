-- Avito columns on bookings and the key the sync upserts on: unique (source, external_id), where
-- external_id is Avito's booking id as text for source 'avito'. NULL external_ids (manual
-- bookings) stay allowed any number of times, as NULLs are distinct in a unique key.
--
-- The app already has a partial unique index on avito_booking_id for source 'avito'; it is kept
-- (and created on empty databases) so both keys agree. Legacy Avito rows that carry only
-- avito_booking_id get external_id filled in, otherwise an upsert on (source, external_id) would
-- miss them and then collide with the partial index.

alter table public.bookings
  add column if not exists source text default 'manual',
  add column if not exists external_id text,
  add column if not exists avito_booking_id bigint,
  add column if not exists avito_status text;

select avito_private.ensure_constraint(
  'public.bookings', 'bookings_avito_booking_id_check', 'check (avito_booking_id > 0)', true);

update public.bookings b
set external_id = b.avito_booking_id::text
where b.source = 'avito' and b.external_id is null and b.avito_booking_id is not null
  and not exists (select 1 from public.bookings o
                  where o.source = 'avito' and o.external_id = b.avito_booking_id::text);

do $$
declare
  v_duplicates bigint;
begin
  if avito_private.has_unique_key('public.bookings', array['source', 'external_id']) then
    return;
  end if;
  select pg_catalog.count(*) into v_duplicates
  from (select 1 from public.bookings
        where external_id is not null
        group by source, external_id having pg_catalog.count(*) > 1) d;
  if v_duplicates > 0 then
    raise exception 'bookings: % (source, external_id) pairs occur more than once', v_duplicates
      using errcode = 'unique_violation',
            hint = 'Resolve them first: select source, external_id, array_agg(id) from '
                   'public.bookings where external_id is not null group by 1, 2 '
                   'having count(*) > 1;';
  end if;
  alter table public.bookings
    add constraint bookings_source_external_id_key unique (source, external_id);
end;
$$;

create unique index if not exists idx_bookings_avito_booking_id_unique
  on public.bookings (avito_booking_id)
  where avito_booking_id is not null and source = 'avito';

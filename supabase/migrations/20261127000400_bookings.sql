-- The app's bookings table (docs/app-contract.md §1.3), created only when missing and extended
-- column by column. check_out is exclusive: a stay from the 26th to the 27th is one night.
-- Avito-specific columns and keys come in the next migration.

create table if not exists public.bookings (
  id uuid primary key default gen_random_uuid()
);

alter table public.bookings
  add column if not exists property_id uuid,
  add column if not exists guest_name text,
  add column if not exists guest_email text,
  add column if not exists guest_phone text,
  add column if not exists check_in date,
  add column if not exists check_out date,
  add column if not exists guests_count integer,
  add column if not exists total_price numeric,
  add column if not exists currency text default 'RUB',
  add column if not exists status text default 'confirmed',
  add column if not exists notes text,
  add column if not exists created_at timestamptz not null default now(),
  add column if not exists updated_at timestamptz not null default now();

select avito_private.ensure_timestamptz('public.bookings', 'created_at');
select avito_private.ensure_timestamptz('public.bookings', 'updated_at');

do $$
begin
  if not avito_private.has_foreign_key('public.bookings', 'property_id') then
    perform avito_private.ensure_constraint(
      'public.bookings', 'bookings_property_id_fkey',
      'foreign key (property_id) references public.properties (id) on delete cascade', true);
  end if;
end;
$$;

select avito_private.ensure_not_null('public.bookings', 'property_id');
select avito_private.ensure_not_null('public.bookings', 'check_in');
select avito_private.ensure_not_null('public.bookings', 'check_out');
select avito_private.ensure_constraint(
  'public.bookings', 'bookings_stay_nights_check', 'check (check_out > check_in)', true);

create index if not exists bookings_property_id_check_in_idx
  on public.bookings (property_id, check_in);

select avito_private.ensure_touch_updated_at('public.bookings');

alter table public.bookings enable row level security;

select avito_private.ensure_owner_policies(
  'public.bookings',
  'exists (select 1 from public.properties p '
  'where p.id = bookings.property_id and p.owner_id = (select auth.uid()))',
  'select', 'insert', 'update', 'delete');

revoke all on public.bookings from public, anon, authenticated, service_role;
grant select, insert, update, delete on public.bookings to authenticated;
grant select, insert, update, delete on public.bookings to service_role;

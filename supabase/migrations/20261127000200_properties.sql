-- The app's properties table (docs/app-contract.md §1.1). Production created it by hand before
-- any migration existed, so it is created only when missing and otherwise extended column by
-- column. Existing policies of the app (owner CRUD, admin select) are left in place; ours add
-- the same owner rule for databases that start empty.

create table if not exists public.properties (
  id uuid primary key default gen_random_uuid()
);

alter table public.properties
  add column if not exists owner_id uuid,
  add column if not exists name text,
  add column if not exists type text,
  add column if not exists address text,
  add column if not exists description text,
  add column if not exists max_guests integer,
  add column if not exists bedrooms integer,
  add column if not exists base_price numeric,
  add column if not exists currency text default 'RUB',
  add column if not exists status text default 'active',
  add column if not exists minimum_booking_days integer default 1,
  add column if not exists image_url text,
  add column if not exists deleted_at timestamptz,
  add column if not exists sort_order integer not null default 0,
  add column if not exists created_at timestamptz not null default now(),
  add column if not exists updated_at timestamptz not null default now();

select avito_private.ensure_timestamptz('public.properties', 'deleted_at');
select avito_private.ensure_timestamptz('public.properties', 'created_at');
select avito_private.ensure_timestamptz('public.properties', 'updated_at');

-- The owner link may already exist under another name (or point at profiles, whose id is the
-- auth user id); add ours only when owner_id has no foreign key at all.
do $$
begin
  if not avito_private.has_foreign_key('public.properties', 'owner_id') then
    perform avito_private.ensure_constraint(
      'public.properties', 'properties_owner_id_fkey',
      'foreign key (owner_id) references auth.users (id) on delete cascade', true);
  end if;
end;
$$;

select avito_private.ensure_not_null('public.properties', 'owner_id');
select avito_private.ensure_constraint(
  'public.properties', 'properties_base_price_check', 'check (base_price >= 0)', true);
select avito_private.ensure_constraint(
  'public.properties', 'properties_minimum_booking_days_check',
  'check (minimum_booking_days >= 1)', true);

create index if not exists properties_owner_id_idx on public.properties (owner_id);

select avito_private.ensure_touch_updated_at('public.properties');

alter table public.properties enable row level security;

select avito_private.ensure_owner_policies(
  'public.properties',
  'owner_id = (select auth.uid())',
  'select', 'insert', 'update', 'delete');

revoke all on public.properties from public, anon, authenticated, service_role;
grant select, insert, update, delete on public.properties to authenticated;
grant select, insert, update, delete on public.properties to service_role;

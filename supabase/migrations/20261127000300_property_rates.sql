-- Per-date prices and minimum stays (docs/app-contract.md §1.2). The app upserts on
-- (property_id, date), so that unique key must exist under any name.

create table if not exists public.property_rates (
  id uuid primary key default gen_random_uuid()
);

alter table public.property_rates
  add column if not exists property_id uuid,
  add column if not exists date date,
  add column if not exists daily_price numeric,
  add column if not exists min_stay integer not null default 1,
  add column if not exists currency text default 'RUB',
  add column if not exists created_at timestamptz not null default now(),
  add column if not exists updated_at timestamptz not null default now();

select avito_private.ensure_timestamptz('public.property_rates', 'created_at');
select avito_private.ensure_timestamptz('public.property_rates', 'updated_at');

do $$
begin
  if not avito_private.has_foreign_key('public.property_rates', 'property_id') then
    perform avito_private.ensure_constraint(
      'public.property_rates', 'property_rates_property_id_fkey',
      'foreign key (property_id) references public.properties (id) on delete cascade', true);
  end if;
  if not avito_private.has_unique_key('public.property_rates', array['property_id', 'date']) then
    alter table public.property_rates
      add constraint property_rates_property_id_date_key unique (property_id, date);
  end if;
end;
$$;

select avito_private.ensure_not_null('public.property_rates', 'property_id');
select avito_private.ensure_not_null('public.property_rates', 'date');
select avito_private.ensure_not_null('public.property_rates', 'daily_price');
select avito_private.ensure_constraint(
  'public.property_rates', 'property_rates_daily_price_check', 'check (daily_price >= 0)', true);
select avito_private.ensure_constraint(
  'public.property_rates', 'property_rates_min_stay_check', 'check (min_stay >= 1)', true);

select avito_private.ensure_touch_updated_at('public.property_rates');

alter table public.property_rates enable row level security;

select avito_private.ensure_owner_policies(
  'public.property_rates',
  'exists (select 1 from public.properties p '
  'where p.id = property_rates.property_id and p.owner_id = (select auth.uid()))',
  'select', 'insert', 'update', 'delete');

revoke all on public.property_rates from public, anon, authenticated, service_role;
grant select, insert, update, delete on public.property_rates to authenticated;
grant select, insert, update, delete on public.property_rates to service_role;

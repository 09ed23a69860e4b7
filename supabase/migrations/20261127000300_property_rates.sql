-- Per-date prices and minimum stays (existing-frontend.md §1.2). The app upserts on
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

drop trigger if exists avito_touch_updated_at on public.property_rates;
create trigger avito_touch_updated_at before update on public.property_rates
  for each row execute function avito_private.touch_updated_at();

alter table public.property_rates enable row level security;

drop policy if exists property_rates_owner_select on public.property_rates;
create policy property_rates_owner_select on public.property_rates for select to authenticated
  using (exists (select 1 from public.properties p
                 where p.id = property_rates.property_id and p.owner_id = (select auth.uid())));
drop policy if exists property_rates_owner_insert on public.property_rates;
create policy property_rates_owner_insert on public.property_rates for insert to authenticated
  with check (exists (select 1 from public.properties p
                      where p.id = property_rates.property_id
                        and p.owner_id = (select auth.uid())));
drop policy if exists property_rates_owner_update on public.property_rates;
create policy property_rates_owner_update on public.property_rates for update to authenticated
  using (exists (select 1 from public.properties p
                 where p.id = property_rates.property_id and p.owner_id = (select auth.uid())))
  with check (exists (select 1 from public.properties p
                      where p.id = property_rates.property_id
                        and p.owner_id = (select auth.uid())));
drop policy if exists property_rates_owner_delete on public.property_rates;
create policy property_rates_owner_delete on public.property_rates for delete to authenticated
  using (exists (select 1 from public.properties p
                 where p.id = property_rates.property_id and p.owner_id = (select auth.uid())));

revoke all on public.property_rates from public, anon, authenticated, service_role;
grant select, insert, update, delete on public.property_rates to authenticated;
grant select, insert, update, delete on public.property_rates to service_role;

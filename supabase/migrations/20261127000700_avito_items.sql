-- Listings of an Avito account, as the service last fetched them. An integration may only point
-- at a listing recorded here for its account (foreign key in the integrations migration), which
-- is how the service proves a host owns the listing before it syncs anything.
--
-- Production has an older, unused avito_items (avito_account_id varchar holding an Avito user id,
-- keyed by property). It is moved aside to avito_private.legacy_avito_items, rows intact, so the
-- name can hold the new table; no client role can reach it there.

do $$
begin
  if exists (
    select 1 from pg_catalog.pg_attribute a
    where a.attrelid = pg_catalog.to_regclass('public.avito_items') and a.attname = 'avito_account_id'
      and not a.attisdropped and a.atttypid <> 'pg_catalog.uuid'::pg_catalog.regtype
  ) then
    alter table public.avito_items set schema avito_private;
    alter table avito_private.avito_items rename to legacy_avito_items;
    alter table avito_private.legacy_avito_items enable row level security;
    revoke all on avito_private.legacy_avito_items from public, anon, authenticated, service_role;
  end if;
end;
$$;

create table if not exists public.avito_items (
  id uuid primary key default gen_random_uuid(),
  avito_account_id uuid not null references public.avito_accounts (id) on delete cascade,
  avito_item_id bigint not null,
  title text,
  status text,
  url text,
  data jsonb not null default '{}'::jsonb,
  synced_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

select avito_private.ensure_constraint(
  'public.avito_items', 'avito_items_avito_item_id_check', 'check (avito_item_id > 0)');
select avito_private.ensure_constraint(
  'public.avito_items', 'avito_items_data_check', $$check (jsonb_typeof(data) = 'object')$$);
select avito_private.ensure_constraint(
  'public.avito_items', 'avito_items_avito_account_id_avito_item_id_key',
  'unique (avito_account_id, avito_item_id)');

select avito_private.ensure_touch_updated_at('public.avito_items');

alter table public.avito_items enable row level security;

select avito_private.ensure_owner_policies(
  'public.avito_items',
  'exists (select 1 from public.avito_accounts a '
  'where a.id = avito_items.avito_account_id and a.owner_id = (select auth.uid()))',
  'select');

revoke all on public.avito_items from public, anon, authenticated, service_role;
grant select on public.avito_items to authenticated;
grant select, insert, update, delete on public.avito_items to service_role;

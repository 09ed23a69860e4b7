-- Property ↔ Avito listing. Adopts the app's existing integrations table (docs/app-contract.md
-- §2.1) or creates it. What changes for an existing table:
--   * a legacy avito_account_id that is not a uuid (an Avito user id the old code kept as a
--     fallback) is renamed legacy_avito_account_id; avito_account_id becomes the uuid link to
--     avito_accounts;
--   * a text avito_item_id becomes bigint (the migration stops with a clear error when a value is
--     not a number rather than guessing);
--   * timestamps become timestamptz, read as UTC (the app appended "Z" to them by hand);
--   * rows without the new status get 'needs_reconnect' (no usable tokens yet: the legacy ones are
--     imported by `avito-sync cutover apply`) or 'disconnected' when inactive;
--   * NULL markups become 0, which is what the old sync applied for them; NULL is_active becomes
--     false (the app treated it as inactive);
--   * avito_markup keeps the app's convention (docs/app-contract.md §10): >= 0 is a percent
--     (0–100), < 0 a fixed RUB surcharge of abs(value) (1–100 000 ₽). decimal(5,2) cannot hold
--     -1000, so the column is widened to numeric(8,2). Existing values are kept as they are;
--     only a value outside both ranges (which the app cannot write) moves to
--     legacy_avito_markup and becomes 0, with a note in last_error, because a CHECK, even NOT
--     VALID, is re-checked on every UPDATE (the row would become un-updatable otherwise);
--   * other checks that legacy rows may break are added NOT VALID: old rows stay readable, new
--     writes must follow them.
-- unique (property_id, platform) stays: the app upserts on it.
--
-- The app itself still writes integrations (the connect modal upserts avito_user_id,
-- avito_item_id, avito_markup, external_id, is_active; disconnect sets is_active or deletes), so
-- authenticated keeps INSERT/UPDATE on exactly those columns and DELETE, under RLS. Everything
-- the service decides (the account link, status, sync times, errors, token expiry, scope) is
-- writable by service_role only. An integration can only use an account of the same Avito user
-- and a listing the service recorded for that account (composite foreign keys), so a client
-- cannot point its row at somebody else's account or listing.

create table if not exists public.integrations (
  id uuid primary key default gen_random_uuid()
);

-- The old app's token "encryption" trigger re-encrypted tokens on every UPDATE (docs/app-contract.md
-- §9.4); it must go before this migration updates any row.
drop trigger if exists trigger_encrypt_integration_tokens on public.integrations;

do $$
begin
  if exists (
    select 1 from pg_catalog.pg_attribute a
    where a.attrelid = 'public.integrations'::regclass and a.attname = 'avito_account_id'
      and not a.attisdropped and a.atttypid <> 'pg_catalog.uuid'::pg_catalog.regtype
  ) then
    alter table public.integrations rename column avito_account_id to legacy_avito_account_id;
  end if;

  if exists (
    select 1 from pg_catalog.pg_attribute a
    where a.attrelid = 'public.integrations'::regclass and a.attname = 'avito_item_id'
      and not a.attisdropped and a.atttypid in ('pg_catalog.text'::pg_catalog.regtype,
                                                'pg_catalog.varchar'::pg_catalog.regtype)
  ) then
    if exists (select 1 from public.integrations
               where avito_item_id::text !~ '^\s*[0-9]{1,18}\s*$') then
      raise exception 'integrations.avito_item_id holds values that are not Avito item ids'
        using errcode = 'invalid_text_representation',
              hint = 'Fix them first: select id, avito_item_id from public.integrations '
                     'where avito_item_id !~ ''^\s*[0-9]{1,18}\s*$'';';
    end if;
    alter table public.integrations
      alter column avito_item_id type bigint using pg_catalog.btrim(avito_item_id::text)::bigint;
  end if;
end;
$$;

alter table public.integrations
  add column if not exists property_id uuid,
  add column if not exists platform varchar(50) default 'avito',
  add column if not exists avito_account_id uuid,
  add column if not exists avito_user_id bigint,
  add column if not exists avito_item_id bigint,
  add column if not exists avito_markup numeric(8, 2) default 15,
  add column if not exists is_active boolean default true,
  add column if not exists status text not null default 'needs_reconnect',
  add column if not exists last_sync_at timestamptz,
  add column if not exists last_error text,
  add column if not exists token_expires_at timestamptz,
  add column if not exists scope text,
  add column if not exists external_id text,
  add column if not exists created_at timestamptz not null default now(),
  add column if not exists updated_at timestamptz not null default now(),
  -- Service-only: when the service should check the typed listing on Avito and link the row
  -- (set by the app-write trigger when the app changes the listing; NULL = nothing to check).
  add column if not exists link_check_after timestamptz,
  -- Service-only: the listing whose bookings were imported (first import = one summary event).
  add column if not exists imported_item_id bigint;

-- decimal(5,2) (the app's table) overflows at a -1000 RUB surcharge: widen, never narrow.
do $$
begin
  if exists (
    select 1 from pg_catalog.pg_attribute a
    where a.attrelid = 'public.integrations'::regclass and a.attname = 'avito_markup'
      and not a.attisdropped
      and (a.atttypid <> 'pg_catalog.numeric'::pg_catalog.regtype
           or (a.atttypmod > 0 and ((a.atttypmod - 4) >> 16) < 8))
  ) then
    alter table public.integrations alter column avito_markup type numeric(8, 2);
  end if;
end;
$$;

select avito_private.ensure_timestamptz('public.integrations', 'token_expires_at');
select avito_private.ensure_timestamptz('public.integrations', 'last_sync_at');
select avito_private.ensure_timestamptz('public.integrations', 'created_at');
select avito_private.ensure_timestamptz('public.integrations', 'updated_at');

alter table public.integrations
  alter column platform set default 'avito',
  alter column avito_markup set default 15,
  alter column is_active set default true,
  alter column created_at set default now(),
  alter column updated_at set default now();

update public.integrations set avito_markup = 0 where avito_markup is null;
update public.integrations set is_active = false where is_active is null;
update public.integrations set created_at = now() where created_at is null;
update public.integrations set updated_at = now() where updated_at is null;
do $$
begin
  if exists (select 1 from public.integrations
             where avito_markup > 100 or avito_markup < -100000) then
    alter table public.integrations add column if not exists legacy_avito_markup numeric;
    update public.integrations
    set legacy_avito_markup = avito_markup,
        avito_markup = 0,
        last_error = 'Наценка ' || avito_markup::text || ' вне допустимых пределов '
                     || '(0–100 % или 1–100 000 ₽) и сохранена в legacy_avito_markup. '
                     || 'Задайте наценку заново.'
    where avito_markup > 100 or avito_markup < -100000;
  end if;
end;
$$;
update public.integrations set status = 'disconnected'
where not is_active and status = 'needs_reconnect' and avito_account_id is null;

select avito_private.ensure_not_null('public.integrations', 'property_id');
select avito_private.ensure_not_null('public.integrations', 'platform');
select avito_private.ensure_not_null('public.integrations', 'avito_user_id');
select avito_private.ensure_not_null('public.integrations', 'avito_item_id');
select avito_private.ensure_not_null('public.integrations', 'avito_markup');
select avito_private.ensure_not_null('public.integrations', 'is_active');
select avito_private.ensure_not_null('public.integrations', 'created_at');
select avito_private.ensure_not_null('public.integrations', 'updated_at');

do $$
begin
  if not avito_private.has_foreign_key('public.integrations', 'property_id') then
    perform avito_private.ensure_constraint(
      'public.integrations', 'integrations_property_id_fkey',
      'foreign key (property_id) references public.properties (id) on delete cascade', true);
  end if;
  if not avito_private.has_unique_key('public.integrations', array['property_id', 'platform']) then
    alter table public.integrations
      add constraint integrations_property_id_platform_key unique (property_id, platform);
  end if;
end;
$$;

select avito_private.ensure_constraint(
  'public.integrations', 'integrations_platform_check', $$check (platform = 'avito')$$, true);
select avito_private.ensure_constraint(
  'public.integrations', 'integrations_avito_user_id_check', 'check (avito_user_id > 0)', true);
select avito_private.ensure_constraint(
  'public.integrations', 'integrations_avito_item_id_check', 'check (avito_item_id > 0)', true);
select avito_private.ensure_constraint(
  'public.integrations', 'integrations_avito_markup_check',
  'check (avito_markup <= 100 and avito_markup >= -100000)', true);
select avito_private.ensure_constraint(
  'public.integrations', 'integrations_status_check',
  $$check (status in ('active', 'needs_reconnect', 'error', 'disconnected'))$$, true);
select avito_private.ensure_constraint(
  'public.integrations', 'integrations_property_id_avito_item_id_key',
  'unique (property_id, avito_item_id)');
-- Target of avito_sync_queue's (integration_id, property_id) foreign key.
select avito_private.ensure_constraint(
  'public.integrations', 'integrations_id_property_id_key', 'unique (id, property_id)');
select avito_private.ensure_constraint(
  'public.integrations', 'integrations_avito_account_fkey',
  'foreign key (avito_account_id, avito_user_id) '
  'references public.avito_accounts (id, avito_user_id) on delete set null (avito_account_id)',
  true);
-- Deferred so that deleting an account (which deletes its listings and unlinks integrations in
-- the same statement) is checked once everything has settled.
select avito_private.ensure_constraint(
  'public.integrations', 'integrations_avito_item_fkey',
  'foreign key (avito_account_id, avito_item_id) '
  'references public.avito_items (avito_account_id, avito_item_id) '
  'deferrable initially deferred',
  true);

create unique index if not exists integrations_one_active_per_property
  on public.integrations (property_id) where is_active and platform = 'avito';
-- A listing is held by at most one active integration that the service has linked to an
-- account. Rows the app typed in without an account cannot block a real owner's listing.
create unique index if not exists integrations_one_active_per_item
  on public.integrations (avito_item_id) where is_active and avito_account_id is not null;
create index if not exists integrations_avito_account_id_idx
  on public.integrations (avito_account_id, avito_item_id);
-- The worker's scan for rows whose listing it must check on Avito (avito_sync.sync.relink).
create index if not exists integrations_link_check_idx
  on public.integrations (link_check_after)
  where link_check_after is not null and avito_account_id is null;

select avito_private.ensure_touch_updated_at('public.integrations');

alter table public.integrations enable row level security;

-- Policies from the old app (e.g. "Users own integrations", FOR ALL) let owners write every
-- column; the rules below replace them. Writes must also keep any linked account the owner's.
select avito_private.drop_foreign_policies('public.integrations');
select avito_private.ensure_owner_policies(
  'public.integrations',
  'exists (select 1 from public.properties p '
  'where p.id = integrations.property_id and p.owner_id = (select auth.uid()))',
  'select', 'delete');
drop policy if exists integrations_owner_insert on public.integrations;
create policy integrations_owner_insert on public.integrations for insert to authenticated
  with check (
    exists (select 1 from public.properties p
            where p.id = integrations.property_id and p.owner_id = (select auth.uid())
              and p.deleted_at is null)
    and (integrations.avito_account_id is null
         or exists (select 1 from public.avito_accounts a
                    where a.id = integrations.avito_account_id
                      and a.owner_id = (select auth.uid()))));
drop policy if exists integrations_owner_update on public.integrations;
create policy integrations_owner_update on public.integrations for update to authenticated
  using (exists (select 1 from public.properties p
                 where p.id = integrations.property_id and p.owner_id = (select auth.uid())))
  with check (
    exists (select 1 from public.properties p
            where p.id = integrations.property_id and p.owner_id = (select auth.uid()))
    and (integrations.avito_account_id is null
         or exists (select 1 from public.avito_accounts a
                    where a.id = integrations.avito_account_id
                      and a.owner_id = (select auth.uid()))));

revoke all on public.integrations from public, anon, authenticated, service_role;
grant select, delete on public.integrations to authenticated;
grant insert (property_id, platform, avito_user_id, avito_item_id, avito_markup, external_id,
              is_active)
  on public.integrations to authenticated;
grant update (property_id, platform, avito_user_id, avito_item_id, avito_markup, external_id,
              is_active)
  on public.integrations to authenticated;
grant select, insert, update, delete on public.integrations to service_role;

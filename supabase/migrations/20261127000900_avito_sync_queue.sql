-- One queue row per integration: when it is due, whether a worker holds it (lease), how often it
-- failed. The claim/lease functions come with the sync engine's migrations (20261127100000+).
--
-- Adopts the app's existing queue (docs/app-contract.md §2.2): timestamps become timestamptz
-- (read as UTC), and duplicate rows per integration, which the old app created on every connect,
-- are collapsed to the earliest-due one before the unique key is added.
--
-- The app inserts a row when it connects a property and deletes rows when it disconnects, so
-- authenticated keeps INSERT (integration_id, property_id) and DELETE on its own rows; scheduling
-- and lease columns are the service's alone.

create table if not exists public.avito_sync_queue (
  id uuid primary key default gen_random_uuid()
);

alter table public.avito_sync_queue
  add column if not exists integration_id uuid,
  add column if not exists property_id uuid,
  add column if not exists next_sync_at timestamptz not null default now(),
  add column if not exists status varchar(20) not null default 'pending',
  add column if not exists attempts integer not null default 0,
  add column if not exists lease_owner text,
  add column if not exists lease_expires_at timestamptz,
  add column if not exists last_error text,
  add column if not exists created_at timestamptz not null default now(),
  add column if not exists updated_at timestamptz not null default now();

select avito_private.ensure_timestamptz('public.avito_sync_queue', 'next_sync_at');
select avito_private.ensure_timestamptz('public.avito_sync_queue', 'created_at');

alter table public.avito_sync_queue
  alter column next_sync_at set default now(),
  alter column status set default 'pending',
  alter column created_at set default now();

update public.avito_sync_queue set next_sync_at = now() where next_sync_at is null;
update public.avito_sync_queue set status = 'pending' where status is null;
update public.avito_sync_queue set created_at = now() where created_at is null;

update public.avito_sync_queue q
set property_id = i.property_id
from public.integrations i
where i.id = q.integration_id and q.property_id is null;

delete from public.avito_sync_queue q
using (
  select id, row_number() over (partition by integration_id
                                order by next_sync_at, created_at, id) as n
  from public.avito_sync_queue
) d
where d.id = q.id and d.n > 1;

select avito_private.ensure_not_null('public.avito_sync_queue', 'integration_id');
select avito_private.ensure_not_null('public.avito_sync_queue', 'property_id');
select avito_private.ensure_not_null('public.avito_sync_queue', 'next_sync_at');
select avito_private.ensure_not_null('public.avito_sync_queue', 'status');
select avito_private.ensure_not_null('public.avito_sync_queue', 'created_at');

select avito_private.ensure_constraint(
  'public.avito_sync_queue', 'avito_sync_queue_integration_id_key', 'unique (integration_id)');
-- The row's property must be its integration's property (covers the legacy single-column
-- foreign keys too; those stay as they are).
select avito_private.ensure_constraint(
  'public.avito_sync_queue', 'avito_sync_queue_integration_fkey',
  'foreign key (integration_id, property_id) '
  'references public.integrations (id, property_id) on delete cascade on update cascade',
  true);
select avito_private.ensure_constraint(
  'public.avito_sync_queue', 'avito_sync_queue_status_check',
  $$check (status in ('pending', 'running', 'paused'))$$, true);
select avito_private.ensure_constraint(
  'public.avito_sync_queue', 'avito_sync_queue_attempts_check', 'check (attempts >= 0)', true);
select avito_private.ensure_constraint(
  'public.avito_sync_queue', 'avito_sync_queue_lease_check',
  'check ((lease_owner is null) = (lease_expires_at is null))', true);

create index if not exists avito_sync_queue_due_idx
  on public.avito_sync_queue (next_sync_at) where status = 'pending';
create index if not exists avito_sync_queue_property_id_idx
  on public.avito_sync_queue (property_id);

select avito_private.ensure_touch_updated_at('public.avito_sync_queue');

alter table public.avito_sync_queue enable row level security;

select avito_private.drop_foreign_policies('public.avito_sync_queue');
select avito_private.ensure_owner_policies(
  'public.avito_sync_queue',
  'exists (select 1 from public.properties p '
  'where p.id = avito_sync_queue.property_id and p.owner_id = (select auth.uid()))',
  'select', 'insert', 'delete');

revoke all on public.avito_sync_queue from public, anon, authenticated, service_role;
grant select, delete on public.avito_sync_queue to authenticated;
grant insert (integration_id, property_id, next_sync_at, status)
  on public.avito_sync_queue to authenticated;
grant select, insert, update, delete on public.avito_sync_queue to service_role;

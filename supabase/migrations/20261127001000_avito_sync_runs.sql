-- Audit log of every sync of one integration: why it ran, how it ended, what it changed, how many
-- Avito calls it made and how long it took. Written by the service; owners read their own.
-- Runs outlive a deleted integration (integration_id becomes NULL) but go with their property.

create table if not exists public.avito_sync_runs (
  id bigint generated always as identity primary key,
  integration_id uuid references public.integrations (id) on delete set null,
  property_id uuid not null references public.properties (id) on delete cascade,
  trigger text not null,
  outcome text,
  counts jsonb not null default '{}'::jsonb,
  api_calls integer not null default 0,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  duration_ms integer,
  error text
);

select avito_private.ensure_constraint(
  'public.avito_sync_runs', 'avito_sync_runs_trigger_check',
  $$check (trigger in ('tick', 'change', 'initial', 'manual'))$$);
select avito_private.ensure_constraint(
  'public.avito_sync_runs', 'avito_sync_runs_outcome_check',
  $$check (outcome in ('success', 'partial', 'failed', 'needs_reconnect', 'skipped'))$$);
select avito_private.ensure_constraint(
  'public.avito_sync_runs', 'avito_sync_runs_counts_check',
  $$check (jsonb_typeof(counts) = 'object')$$);
select avito_private.ensure_constraint(
  'public.avito_sync_runs', 'avito_sync_runs_api_calls_check', 'check (api_calls >= 0)');
select avito_private.ensure_constraint(
  'public.avito_sync_runs', 'avito_sync_runs_duration_ms_check', 'check (duration_ms >= 0)');
select avito_private.ensure_constraint(
  'public.avito_sync_runs', 'avito_sync_runs_finished_check',
  'check (finished_at is null or (finished_at >= started_at and outcome is not null))');

create index if not exists avito_sync_runs_integration_id_idx
  on public.avito_sync_runs (integration_id, started_at desc);
create index if not exists avito_sync_runs_property_id_idx
  on public.avito_sync_runs (property_id, started_at desc);

alter table public.avito_sync_runs enable row level security;

select avito_private.ensure_owner_policies(
  'public.avito_sync_runs',
  'exists (select 1 from public.properties p '
  'where p.id = avito_sync_runs.property_id and p.owner_id = (select auth.uid()))',
  'select');

revoke all on public.avito_sync_runs from public, anon, authenticated, service_role;
grant select on public.avito_sync_runs to authenticated;
grant select, insert, update, delete on public.avito_sync_runs to service_role;
revoke all on sequence public.avito_sync_runs_id_seq from public, anon, authenticated, service_role;
grant usage, select on sequence public.avito_sync_runs_id_seq to service_role;

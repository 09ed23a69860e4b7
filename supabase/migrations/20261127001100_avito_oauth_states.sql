-- Server-issued OAuth state for the connect flow: bound to the user (and usually a property),
-- valid for one hour, usable once, and carrying the connect progress (step, account, item,
-- markup) so a reload can resume. Only a hash of the state travels into the table; the state
-- itself exists only in the authorize URL. The service writes; owners may read their own.

create table if not exists public.avito_oauth_states (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  property_id uuid references public.properties (id) on delete cascade,
  state_hash text not null,
  expires_at timestamptz not null default now() + interval '1 hour',
  used_at timestamptz,
  progress jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

select avito_private.ensure_constraint(
  'public.avito_oauth_states', 'avito_oauth_states_state_hash_key', 'unique (state_hash)');
select avito_private.ensure_constraint(
  'public.avito_oauth_states', 'avito_oauth_states_state_hash_check',
  'check (char_length(state_hash) between 32 and 128)');
-- One hour of validity; the extra minute absorbs the gap between a service clock that computed
-- expires_at and the transaction start that set created_at.
select avito_private.ensure_constraint(
  'public.avito_oauth_states', 'avito_oauth_states_expires_at_check',
  $$check (expires_at > created_at and expires_at <= created_at + interval '61 minutes')$$);
select avito_private.ensure_constraint(
  'public.avito_oauth_states', 'avito_oauth_states_used_at_check',
  'check (used_at >= created_at)');
select avito_private.ensure_constraint(
  'public.avito_oauth_states', 'avito_oauth_states_progress_check',
  $$check (jsonb_typeof(progress) = 'object')$$);

create index if not exists avito_oauth_states_owner_id_idx
  on public.avito_oauth_states (owner_id, created_at desc);
create index if not exists avito_oauth_states_property_id_idx
  on public.avito_oauth_states (property_id);
create index if not exists avito_oauth_states_expires_at_idx
  on public.avito_oauth_states (expires_at);

alter table public.avito_oauth_states enable row level security;

select avito_private.ensure_owner_policies(
  'public.avito_oauth_states',
  'owner_id = (select auth.uid())',
  'select');

revoke all on public.avito_oauth_states from public, anon, authenticated, service_role;
grant select on public.avito_oauth_states to authenticated;
grant select, insert, update, delete on public.avito_oauth_states to service_role;

-- One OAuth grant of one app user to one Avito account. avito_user_id comes from
-- GET /core/v1/accounts/self, never from the host's typing. Tokens are not here: they live in
-- Vault, referenced from avito_private.account_tokens (a later migration). Clients may read
-- their own accounts; only the service (service_role) writes them.

create table if not exists public.avito_accounts (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  avito_user_id bigint not null,
  name text not null,
  email text,
  scope text,
  token_expires_at timestamptz,
  status text not null default 'needs_reconnect',
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

select avito_private.ensure_constraint(
  'public.avito_accounts', 'avito_accounts_avito_user_id_check', 'check (avito_user_id > 0)');
select avito_private.ensure_constraint(
  'public.avito_accounts', 'avito_accounts_status_check',
  $$check (status in ('active', 'needs_reconnect', 'revoked'))$$);
select avito_private.ensure_constraint(
  'public.avito_accounts', 'avito_accounts_owner_id_avito_user_id_key',
  'unique (owner_id, avito_user_id)');
-- Lets integrations reference (account, Avito user id) together, so an integration's
-- avito_user_id can never disagree with the account it uses.
select avito_private.ensure_constraint(
  'public.avito_accounts', 'avito_accounts_id_avito_user_id_key', 'unique (id, avito_user_id)');

select avito_private.ensure_touch_updated_at('public.avito_accounts');

alter table public.avito_accounts enable row level security;

select avito_private.ensure_owner_policies(
  'public.avito_accounts',
  'owner_id = (select auth.uid())',
  'select');

revoke all on public.avito_accounts from public, anon, authenticated, service_role;
grant select on public.avito_accounts to authenticated;
grant select, insert, update, delete on public.avito_accounts to service_role;

-- Avito access and refresh tokens live in Vault; this private table holds only the two secret
-- ids per account. There can be no foreign key to vault.secrets (no REFERENCES privilege on
-- Supabase), so an AFTER DELETE trigger removes the secrets, and deleting an account cascades
-- here. Secret names are deterministic ("avito:<account uuid>:access|refresh") and carry no
-- secret. The three functions below are the only way in or out; they run as their owner
-- (SECURITY DEFINER, empty search_path) and only service_role may execute them.

create table if not exists avito_private.account_tokens (
  avito_account_id uuid primary key references public.avito_accounts (id) on delete cascade,
  access_token_secret_id uuid not null,
  refresh_token_secret_id uuid,  -- NULL: Avito issued no refresh token (reconnect at expiry)
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

revoke all on avito_private.account_tokens from public, anon, authenticated, service_role;
alter table avito_private.account_tokens enable row level security;

create or replace function avito_private.delete_account_token_secrets() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from vault.secrets
  where id in (old.access_token_secret_id, old.refresh_token_secret_id);
  return null;
end;
$$;

drop trigger if exists delete_account_token_secrets on avito_private.account_tokens;
create trigger delete_account_token_secrets after delete on avito_private.account_tokens
  for each row execute function avito_private.delete_account_token_secrets();

-- Upserts a named Vault secret and returns its id. A leftover secret with the same name (from a
-- token row removed without its trigger) is replaced rather than tripping the unique name.
create or replace function avito_private.put_secret(p_secret_id uuid, p_name text, p_value text)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_secret_id is not null
     and exists (select 1 from vault.secrets s where s.id = p_secret_id) then
    perform vault.update_secret(p_secret_id, p_value, p_name);
    return p_secret_id;
  end if;
  delete from vault.secrets s where s.name = p_name;
  return vault.create_secret(p_value, p_name, 'Avito OAuth token (avito-sync)');
end;
$$;

create or replace function avito_private.store_account_tokens(
  p_account_id uuid, p_access_token text, p_refresh_token text, p_expires_at timestamptz,
  p_scope text
) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_tokens avito_private.account_tokens%rowtype;
begin
  if coalesce(p_access_token, '') = '' or p_refresh_token = '' then
    raise exception 'store_account_tokens: an access token is required, a refresh token is '
                    'NULL (none issued) or non-empty'
      using errcode = 'invalid_parameter_value';
  end if;
  if p_expires_at is null then
    raise exception 'store_account_tokens: expires_at is required'
      using errcode = 'invalid_parameter_value';
  end if;
  perform 1 from public.avito_accounts a where a.id = p_account_id for update;
  if not found then
    raise exception 'store_account_tokens: avito account % does not exist', p_account_id
      using errcode = 'no_data_found';
  end if;

  select * into v_tokens from avito_private.account_tokens t
  where t.avito_account_id = p_account_id for update;

  v_tokens.access_token_secret_id := avito_private.put_secret(
    v_tokens.access_token_secret_id, 'avito:' || p_account_id::text || ':access', p_access_token);
  if p_refresh_token is not null then
    v_tokens.refresh_token_secret_id := avito_private.put_secret(
      v_tokens.refresh_token_secret_id, 'avito:' || p_account_id::text || ':refresh',
      p_refresh_token);
  elsif v_tokens.refresh_token_secret_id is not null then
    -- This grant came without a refresh token: an older one must not outlive it.
    delete from vault.secrets s where s.id = v_tokens.refresh_token_secret_id;
    v_tokens.refresh_token_secret_id := null;
  end if;

  insert into avito_private.account_tokens as t
    (avito_account_id, access_token_secret_id, refresh_token_secret_id)
  values (p_account_id, v_tokens.access_token_secret_id, v_tokens.refresh_token_secret_id)
  on conflict (avito_account_id) do update
    set access_token_secret_id = excluded.access_token_secret_id,
        refresh_token_secret_id = excluded.refresh_token_secret_id,
        updated_at = pg_catalog.now();

  update public.avito_accounts a
  set token_expires_at = p_expires_at, scope = p_scope, status = 'active', last_error = null
  where a.id = p_account_id;
  -- The app reads expiry and scope from its integrations rows (docs/app-contract.md §2.1, §6).
  update public.integrations i
  set token_expires_at = p_expires_at, scope = p_scope
  where i.avito_account_id = p_account_id;
end;
$$;

create or replace function avito_private.rotate_account_tokens(
  p_account_id uuid, p_access_token text, p_refresh_token text, p_expires_at timestamptz
) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_tokens avito_private.account_tokens%rowtype;
begin
  if coalesce(p_access_token, '') = '' then
    raise exception 'rotate_account_tokens: access token is required'
      using errcode = 'invalid_parameter_value';
  end if;
  if p_refresh_token = '' then
    raise exception 'rotate_account_tokens: refresh token must be NULL (keep) or non-empty'
      using errcode = 'invalid_parameter_value';
  end if;
  if p_expires_at is null then
    raise exception 'rotate_account_tokens: expires_at is required'
      using errcode = 'invalid_parameter_value';
  end if;
  perform 1 from public.avito_accounts a where a.id = p_account_id for update;
  select * into v_tokens from avito_private.account_tokens t
  where t.avito_account_id = p_account_id for update;
  if not found then
    raise exception 'rotate_account_tokens: avito account % has no stored tokens', p_account_id
      using errcode = 'no_data_found';
  end if;

  perform vault.update_secret(v_tokens.access_token_secret_id, p_access_token);
  if p_refresh_token is not null then
    v_tokens.refresh_token_secret_id := avito_private.put_secret(
      v_tokens.refresh_token_secret_id, 'avito:' || p_account_id::text || ':refresh',
      p_refresh_token);
  end if;
  update avito_private.account_tokens t
  set refresh_token_secret_id = v_tokens.refresh_token_secret_id
  where t.avito_account_id = p_account_id;
  update avito_private.account_tokens t set updated_at = pg_catalog.now()
  where t.avito_account_id = p_account_id;

  update public.avito_accounts a set token_expires_at = p_expires_at where a.id = p_account_id;
  update public.integrations i set token_expires_at = p_expires_at
  where i.avito_account_id = p_account_id;
end;
$$;

create or replace function avito_private.read_account_tokens(p_account_id uuid)
returns table (access_token text, refresh_token text, expires_at timestamptz, scope text)
language sql
stable
security definer
set search_path = ''
as $$
  select acc.decrypted_secret, ref.decrypted_secret, a.token_expires_at, a.scope
  from avito_private.account_tokens t
  join public.avito_accounts a on a.id = t.avito_account_id
  join vault.decrypted_secrets acc on acc.id = t.access_token_secret_id
  left join vault.decrypted_secrets ref on ref.id = t.refresh_token_secret_id
  where t.avito_account_id = p_account_id;
$$;

select avito_private.revoke_execute(
  'avito_private.delete_account_token_secrets()',
  'avito_private.put_secret(uuid, text, text)');
select avito_private.grant_execute_to_service(
  'avito_private.store_account_tokens(uuid, text, text, timestamptz, text)',
  'avito_private.rotate_account_tokens(uuid, text, text, timestamptz)',
  'avito_private.read_account_tokens(uuid)');

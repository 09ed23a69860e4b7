-- Vault stand-in with supabase_vault 0.3's public interface and privileges
-- (docs/supabase-platform.md §1, docs/local-postgres.md §5.2). Only the cryptography differs:
-- AES-256-CBC (pgcrypto) under a per-row key derived from the root key, the row id and a random
-- nonce, plus an HMAC-SHA256 tag, so ciphertext moved to another row fails to decrypt.
-- The 32-byte root key is the file `avito_vault_root.key` in the data directory (written by
-- `avito-sync db up/reset`, mode 600); only the superuser-owned vault._root_key() reads it.
create schema if not exists vault;

create table if not exists vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
create unique index if not exists secrets_name_idx on vault.secrets (name) where name is not null;
comment on table vault.secrets is
  'Local stand-in for supabase_vault: encrypted secrets; write through vault.create_secret/update_secret.';

create or replace function vault._root_key() returns bytea
language plpgsql volatile security definer set search_path = ''
as $$
declare
  root bytea := pg_catalog.pg_read_binary_file('avito_vault_root.key', 0, 64, true);
begin
  if root is null or pg_catalog.length(root) <> 32 then
    raise exception 'vault root key file avito_vault_root.key is missing or malformed'
      using hint = 'run `avito-sync db up` to create it';
  end if;
  return root;
end
$$;
revoke all on function vault._root_key() from public;

-- Row key material: 64 bytes = AES-256 key || HMAC key, bound to the row id and nonce.
create or replace function vault._row_keys(secret_id uuid, nonce bytea) returns bytea
language sql volatile security definer set search_path = ''
as $$
  select extensions.hmac(pg_catalog.convert_to(secret_id::text, 'utf8') || nonce || '\x01'::bytea,
                         vault._root_key(), 'sha256')
      || extensions.hmac(pg_catalog.convert_to(secret_id::text, 'utf8') || nonce || '\x02'::bytea,
                         vault._root_key(), 'sha256')
$$;
revoke all on function vault._row_keys(uuid, bytea) from public;

create or replace function vault._encrypt(plaintext text, secret_id uuid, nonce bytea) returns text
language plpgsql volatile security definer set search_path = ''
as $$
declare
  k bytea := vault._row_keys(secret_id, nonce);
  ct bytea;
begin
  ct := extensions.encrypt_iv(pg_catalog.convert_to(plaintext, 'utf8'),
                              pg_catalog.substr(k, 1, 32), nonce, 'aes-cbc/pad:pkcs');
  return pg_catalog.encode(
    ct || extensions.hmac(ct, pg_catalog.substr(k, 33, 32), 'sha256'), 'base64');
end
$$;
revoke all on function vault._encrypt(text, uuid, bytea) from public;

-- The internal decrypt function the view calls; like Vault's, granted to whoever may read the view.
create or replace function vault._decrypt(secret text, secret_id uuid, nonce bytea) returns text
language plpgsql stable security definer set search_path = ''
as $$
declare
  k bytea := vault._row_keys(secret_id, nonce);
  raw bytea := pg_catalog.decode(secret, 'base64');
  ct bytea := pg_catalog.substr(raw, 1, pg_catalog.length(raw) - 32);
begin
  if pg_catalog.length(raw) <= 32
     or extensions.hmac(ct, pg_catalog.substr(k, 33, 32), 'sha256')
        <> pg_catalog.substr(raw, pg_catalog.length(raw) - 31) then
    raise exception 'vault: secret % failed authentication', secret_id using errcode = '39000';
  end if;
  return pg_catalog.convert_from(
    extensions.decrypt_iv(ct, pg_catalog.substr(k, 1, 32), nonce, 'aes-cbc/pad:pkcs'),
    'utf8');
end
$$;
revoke all on function vault._decrypt(text, uuid, bytea) from public;

create or replace view vault.decrypted_secrets as
select s.id,
       s.name,
       s.description,
       s.secret,
       vault._decrypt(s.secret, s.id, s.nonce) as decrypted_secret,
       s.key_id,
       s.nonce,
       s.created_at,
       s.updated_at
from vault.secrets s;

create or replace function vault.create_secret(
  new_secret text,
  new_name text = null,
  new_description text = '',
  new_key_id uuid = null
) returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  new_id uuid := pg_catalog.gen_random_uuid();
  new_nonce bytea := extensions.gen_random_bytes(16);
begin
  -- Unlike Vault 0.3 the plaintext never reaches the table: it is encrypted before the insert.
  insert into vault.secrets (id, name, description, secret, key_id, nonce)
  values (new_id, new_name, new_description, vault._encrypt(new_secret, new_id, new_nonce),
          null, new_nonce);
  return new_id;
end
$$;

create or replace function vault.update_secret(
  secret_id uuid,
  new_secret text = null,
  new_name text = null,
  new_description text = null,
  new_key_id uuid = null
) returns void
language plpgsql security definer set search_path = ''
as $$
declare
  new_nonce bytea := extensions.gen_random_bytes(16);
begin
  update vault.secrets s
     set secret = case when new_secret is null then s.secret
                       else vault._encrypt(new_secret, s.id, new_nonce) end,
         nonce = case when new_secret is null then s.nonce else new_nonce end,
         name = coalesce(new_name, s.name),
         description = coalesce(new_description, s.description),
         updated_at = pg_catalog.now()
   where s.id = secret_id;
end
$$;

-- Privileges as on Supabase: postgres (the owner here) and service_role only.
revoke all on schema vault from public;
revoke all on vault.secrets, vault.decrypted_secrets from public, anon, authenticated, service_role;
revoke all on function vault.create_secret(text, text, text, uuid),
                       vault.update_secret(uuid, text, text, text, uuid) from public;
grant usage on schema vault to service_role;
grant select, delete on vault.secrets, vault.decrypted_secrets to service_role;
grant execute on function vault.create_secret(text, text, text, uuid),
                          vault.update_secret(uuid, text, text, text, uuid),
                          vault._decrypt(text, uuid, bytea) to service_role;

-- The old app kept OAuth tokens on integrations rows (access_token_encrypted,
-- refresh_token_encrypted, messenger_token_json), readable and writable by the owner's browser,
-- some in plain text, some encrypted by a scheme that re-encrypted on every update
-- (existing-frontend.md §2.1, §9.2, §9.4). The new service cannot use them (it connects accounts
-- afresh through OAuth), but they are not thrown away either: each non-empty value moves into a
-- Vault secret whose id is kept in avito_private.legacy_integration_secrets, then the column is
-- cleared and a check keeps it empty. The columns themselves stay so that the app's
-- select('*') keeps working (the trigger that "encrypted" them went in the integrations
-- migration).
-- On a database without those columns this migration only creates the (empty) table.

create table if not exists avito_private.legacy_integration_secrets (
  integration_id uuid not null references public.integrations (id) on delete cascade,
  column_name text not null,
  secret_id uuid not null,
  moved_at timestamptz not null default now(),
  primary key (integration_id, column_name)
);

revoke all on avito_private.legacy_integration_secrets
  from public, anon, authenticated, service_role;
alter table avito_private.legacy_integration_secrets enable row level security;

create or replace function avito_private.delete_legacy_integration_secret() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from vault.secrets where id = old.secret_id;
  return null;
end;
$$;

select avito_private.revoke_execute(
  'avito_private.delete_legacy_integration_secret()');

drop trigger if exists delete_legacy_integration_secret
  on avito_private.legacy_integration_secrets;
create trigger delete_legacy_integration_secret
  after delete on avito_private.legacy_integration_secrets
  for each row execute function avito_private.delete_legacy_integration_secret();

do $$
declare
  v_column text;
  v_columns text[] := array[]::text[];
  v_row record;
begin
  for v_column in
    select a.attname::text from pg_catalog.pg_attribute a
    where a.attrelid = 'public.integrations'::regclass and not a.attisdropped
      and a.attname in ('access_token_encrypted', 'refresh_token_encrypted',
                        'messenger_token_json')
    order by a.attname
  loop
    v_columns := v_columns || v_column;
    for v_row in execute pg_catalog.format(
      'select id, %1$I::text as value from public.integrations '
      'where %1$I is not null and %1$I::text <> %2$L', v_column, '')
    loop
      insert into avito_private.legacy_integration_secrets (integration_id, column_name, secret_id)
      values (v_row.id, v_column,
              vault.create_secret(v_row.value,
                                  'avito-legacy:' || v_row.id::text || ':' || v_column,
                                  'legacy integrations.' || v_column || ' moved by migration'));
    end loop;
    execute pg_catalog.format('update public.integrations set %1$I = null where %1$I is not null',
                              v_column);
  end loop;

  if pg_catalog.cardinality(v_columns) > 0 then
    perform avito_private.ensure_constraint(
      'public.integrations', 'integrations_no_legacy_tokens',
      'check (' || (select pg_catalog.string_agg(pg_catalog.format('%I is null', c), ' and ')
                    from pg_catalog.unnest(v_columns) c) || ')');
  end if;
end;
$$;

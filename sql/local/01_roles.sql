-- Supabase's API roles (docs/supabase-platform.md §4.1). Roles are cluster-wide, hence
-- "if not exists": the layer is applied to every database of the cluster (dev, test, scratch).
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login inherit;
  end if;
end
$$;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

grant anon, authenticated, service_role to authenticator;
-- postgres can SET ROLE to each of them (tests do `set local role ...`); as a superuser it could
-- anyway, but the membership mirrors Supabase where postgres is not a superuser.
grant anon, authenticated, service_role to postgres;

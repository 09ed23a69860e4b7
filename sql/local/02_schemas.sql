-- Schemas and extensions Supabase provides out of the box.
create schema if not exists extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pgtap with schema extensions;

grant usage on schema public, extensions to anon, authenticated, service_role;

-- pg_cron can be created only in the database named by cron.database_name
-- (docs/local-postgres.md §4); scratch databases simply go without it.
do $$
begin
  if current_database() = current_setting('cron.database_name', true) then
    create extension if not exists pg_cron with schema pg_catalog;
  end if;
end
$$;

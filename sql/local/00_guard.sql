-- Local-only layer, step 0: refuse to run anywhere but a plain local cluster.
-- On Supabase these objects exist for real (supabase_vault, pg_net, auth); applying the stand-ins
-- there would shadow them, so stop before touching anything.
do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    raise exception 'sql/local must be applied by a superuser (a local cluster), not by %', current_user;
  end if;
  if exists (select from pg_extension where extname in ('supabase_vault', 'pg_net', 'pgsodium')) then
    raise exception 'sql/local is for local clusters only: this database has Supabase extensions';
  end if;
end
$$;

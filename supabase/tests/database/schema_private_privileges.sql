-- Privileges of every private object: each avito_private function by role (anon,
-- authenticated, service_role, PUBLIC), SECURITY DEFINER with an empty search_path where it runs
-- as its owner, the private schema, tables and admin views, the public view and sequences.
-- Privilege functions answer for the named role; nothing here asserts access as postgres.
begin;
select plan(136);

-- EXECUTE for PUBLIC shows as an ACL entry with grantee 0; a NULL ACL means the default, which
-- grants PUBLIC EXECUTE.
create function pg_temp.public_cannot_execute(p_function regprocedure) returns boolean
language sql
as $fn$
  select p.proacl is not null
     and not exists (select 1 from aclexplode(p.proacl) a
                     where a.grantee = 0 and a.privilege_type = 'EXECUTE')
  from pg_proc p where p.oid = p_function
$fn$;

-- The token functions, their internals and the migration helpers, five checks each: anon,
-- authenticated, service_role (only for what the service calls), PUBLIC, and whether the function
-- runs as its owner, always with an empty search_path.
create function pg_temp.private_functions()
returns table (n integer, fn regprocedure, service_calls boolean, definer boolean)
language sql
as $m$
  values
    (1, 'avito_private.store_account_tokens(uuid, text, text, timestamptz, text)'::regprocedure,
     true, true),
    (2, 'avito_private.rotate_account_tokens(uuid, text, text, timestamptz)',
     true, true),
    (3, 'avito_private.read_account_tokens(uuid)',
     true, true),
    (4, 'avito_private.put_secret(uuid, text, text)',
     false, true),
    (5, 'avito_private.delete_account_token_secrets()',
     false, true),
    (6, 'avito_private.import_legacy_tokens()',
     true, true),
    (7, 'avito_private.ensure_constraint(regclass, text, text, boolean)',
     false, false),
    (8, 'avito_private.ensure_timestamptz(regclass, text)',
     false, false),
    (9, 'avito_private.ensure_not_null(regclass, text)',
     false, false),
    (10, 'avito_private.has_unique_key(regclass, text[])',
     false, false),
    (11, 'avito_private.has_foreign_key(regclass, text)',
     false, false),
    (12, 'avito_private.touch_updated_at()',
     false, false),
    (13, 'avito_private.ensure_touch_updated_at(regclass)',
     false, false),
    (14, 'avito_private.ensure_owner_policies(regclass, text, text[])',
     false, false),
    (15, 'avito_private.drop_foreign_policies(regclass)',
     false, false),
    (16, 'avito_private.revoke_execute(regprocedure[])',
     false, false),
    (17, 'avito_private.grant_execute_to_service(regprocedure[])',
     false, false),
    (18, 'avito_private.lease_sync_rows(text, text, integer, uuid[])',
     false, false),
    (19, 'avito_private.integration_owner(text, uuid)',
     false, false),
    (20, 'avito_private.legacy_token_plaintext(text, text[])',
     false, true)
$m$;

select ok(c.passed, format('%s: %s', p.proname, c.what))
from pg_temp.private_functions() f
join pg_proc p on p.oid = f.fn
cross join lateral (values
  (1, not has_function_privilege('anon', f.fn, 'execute'), 'anon cannot execute'),
  (2, not has_function_privilege('authenticated', f.fn, 'execute'),
   'authenticated cannot execute'),
  (3, has_function_privilege('service_role', f.fn, 'execute') = f.service_calls,
   case when f.service_calls then 'service_role can execute'
        else 'service_role cannot execute (internal)' end),
  (4, pg_temp.public_cannot_execute(f.fn), 'no EXECUTE for PUBLIC'),
  (5, p.prosecdef = f.definer and p.proconfig = array['search_path=""'],
   case when f.definer then 'security definer' else 'security invoker' end
   || ', empty search_path')) c (k, passed, what)
order by f.n, c.k;

-- Every function in avito_private, including those later migrations add.
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'avito_private'::regnamespace
      and (has_function_privilege('anon', p.oid, 'execute')
           or has_function_privilege('authenticated', p.oid, 'execute'))$$,
  'no avito_private function is executable by anon or authenticated');
select is_empty(
  $$select p.oid::regprocedure from pg_proc p
    where p.pronamespace = 'avito_private'::regnamespace and p.prosecdef
      and not coalesce(p.proconfig @> array['search_path=""'], false)$$,
  'every SECURITY DEFINER function in avito_private has an empty search_path');

-- The schema itself.
select ok(not has_schema_privilege('anon', 'avito_private', 'usage'), 'anon cannot use avito_private');
select ok(not has_schema_privilege('authenticated', 'avito_private', 'usage'),
  'authenticated cannot use avito_private');
select ok(has_schema_privilege('service_role', 'avito_private', 'usage'),
  'service_role can use avito_private');
select ok(not has_schema_privilege('service_role', 'avito_private', 'create'),
  'service_role cannot create objects in avito_private');

-- Private tables: only their functions reach them.
select ok(not has_table_privilege('anon', 'avito_private.account_tokens', 'select, insert, update, delete'),
  'account_tokens: anon has no access');
select ok(not has_table_privilege('authenticated', 'avito_private.account_tokens', 'select, insert, update, delete'),
  'account_tokens: authenticated has no access');
select ok(not has_table_privilege('service_role', 'avito_private.account_tokens', 'select, insert, update, delete'),
  'account_tokens: service_role has no direct access either');
select ok(not has_table_privilege('anon', 'avito_private.legacy_token_imports', 'select, insert, update, delete'),
  'legacy_token_imports: anon has no access');
select ok(not has_table_privilege('authenticated', 'avito_private.legacy_token_imports', 'select, insert, update, delete'),
  'legacy_token_imports: authenticated has no access');
select ok(not has_table_privilege('service_role', 'avito_private.legacy_token_imports', 'select, insert, update, delete'),
  'legacy_token_imports: service_role has no access');

-- Admin views: the dashboard (postgres) and the service, nobody else.
select ok(not has_table_privilege('anon', 'avito_private.sync_health', 'select'),
  'sync_health: anon cannot read');
select ok(not has_table_privilege('authenticated', 'avito_private.sync_health', 'select'),
  'sync_health: authenticated cannot read');
select ok(has_table_privilege('service_role', 'avito_private.sync_health', 'select'),
  'sync_health: service_role can read');
select ok(not has_table_privilege('anon', 'avito_private.failing_syncs', 'select'),
  'failing_syncs: anon cannot read');
select ok(not has_table_privilege('authenticated', 'avito_private.failing_syncs', 'select'),
  'failing_syncs: authenticated cannot read');
select ok(has_table_privilege('service_role', 'avito_private.failing_syncs', 'select'),
  'failing_syncs: service_role can read');

-- The frontend's status view.
select ok(not has_table_privilege('anon', 'public.avito_integration_status', 'select'),
  'avito_integration_status: anon cannot read');
select ok(has_table_privilege('authenticated', 'public.avito_integration_status', 'select'),
  'avito_integration_status: authenticated can read (RLS applies)');
select ok(has_table_privilege('service_role', 'public.avito_integration_status', 'select'),
  'avito_integration_status: service_role can read');

-- Identity sequences: only the writer role draws ids.
select ok(not has_sequence_privilege('authenticated', 'public.avito_sync_runs_id_seq', 'usage'),
  'avito_sync_runs_id_seq: authenticated has no usage');
select ok(has_sequence_privilege('service_role', 'public.avito_sync_runs_id_seq', 'usage'),
  'avito_sync_runs_id_seq: service_role has usage');
select ok(not has_sequence_privilege('authenticated', 'public.notification_events_id_seq', 'usage'),
  'notification_events_id_seq: authenticated has no usage');
select ok(has_sequence_privilege('service_role', 'public.notification_events_id_seq', 'usage'),
  'notification_events_id_seq: service_role has usage');
select ok(not has_sequence_privilege('authenticated', 'public.notification_deliveries_id_seq', 'usage'),
  'notification_deliveries_id_seq: authenticated has no usage');
select ok(has_sequence_privilege('service_role', 'public.notification_deliveries_id_seq', 'usage'),
  'notification_deliveries_id_seq: service_role has usage');

-- Across the public schema.
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'public'::regnamespace
      and case when c.relkind in ('r', 'v', 'm', 'p')
            then has_table_privilege('anon', c.oid,
                                     'select, insert, update, delete, truncate, references, trigger')
          end$$,
  'anon holds no privilege on any table or view in public');
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'public'::regnamespace
      and case when c.relkind = 'S' then has_sequence_privilege('anon', c.oid, 'usage, select, update')
          end$$,
  'anon holds no privilege on any sequence in public');
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace in ('public'::regnamespace, 'avito_private'::regnamespace)
      and c.relkind in ('r', 'p') and not c.relrowsecurity$$,
  'every table in public and avito_private has RLS enabled');
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'v'
      and not coalesce(c.reloptions @> array['security_invoker=true'], false)$$,
  'every view in public runs with the caller''s rights (security_invoker)');

-- Policies: for signed-in users only (anon gets nothing), with auth.uid() evaluated once per
-- statement through a sub-select (Splinter lint auth_rls_initplan), never once per row.
select is_empty(
  $$select tablename || '.' || policyname from pg_policies
    where schemaname = 'public' and roles <> '{authenticated}'::name[]$$,
  'every policy in public applies to authenticated only');
select is_empty(
  $$select tablename || '.' || policyname from pg_policies
    where schemaname = 'public'
      and replace(coalesce(qual, '') || coalesce(with_check, ''),
                  '( SELECT auth.uid() AS uid)', '') like '%auth.uid()%'$$,
  'every policy in public calls auth.uid() through a sub-select');

-- Supabase no longer grants anything on new objects by itself: each needs its explicit grant.
select is_empty(
  $$select c.oid::regclass from pg_class c
    where c.relnamespace = 'public'::regnamespace
      and case when c.relkind = 'S' then not has_sequence_privilege('service_role', c.oid, 'usage')
               when c.relkind in ('r', 'v', 'm', 'p')
                 then not has_table_privilege('service_role', c.oid, 'select')
          end$$,
  'service_role holds an explicit grant on every table, view and sequence in public');

-- What `supabase db lint` runs: plpgsql_check finds no error and no warning in any plpgsql
-- function of avito_private (trigger functions checked against their table and the transition
-- tables old_rows/new_rows the statement triggers declare).
create extension if not exists plpgsql_check;
select is_empty(
  $$select p.oid::regprocedure || ': ' || c.message
    from pg_proc p
    join pg_language l on l.oid = p.prolang and l.lanname = 'plpgsql'
    left join lateral (select t.tgrelid from pg_trigger t where t.tgfoid = p.oid
                       order by t.tgrelid limit 1) tg on true
    cross join lateral plpgsql_check_function_tb(
      p.oid, coalesce(tg.tgrelid, 0),
      oldtable => case when tg.tgrelid is not null then 'old_rows' end,
      newtable => case when tg.tgrelid is not null then 'new_rows' end) c
    where p.pronamespace = 'avito_private'::regnamespace
      and (p.prorettype <> 'trigger'::regtype or tg.tgrelid is not null)
      and c.level in ('error', 'warning')$$,
  'plpgsql_check: no error or warning in any avito_private function');

-- The policy helper takes only the four commands (it builds SQL from them).
select throws_ok(
  $$select avito_private.ensure_owner_policies('public.properties', 'true', 'all; drop table x')$$,
  '22023', null, 'ensure_owner_policies refuses anything but select/insert/update/delete');

select * from finish();
rollback;

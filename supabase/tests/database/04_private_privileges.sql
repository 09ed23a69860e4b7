-- Privileges of every private object: each avito_private function by role (anon,
-- authenticated, service_role, PUBLIC), SECURITY DEFINER with an empty search_path where it runs
-- as its owner, the private schema, tables and admin views, the public view and sequences.
-- Privilege functions answer for the named role; nothing here asserts access as postgres.
begin;
select plan(91);

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

-- store_account_tokens
select ok(not has_function_privilege('anon', 'avito_private.store_account_tokens(uuid, text, text, timestamptz, text)', 'execute'),
  'store_account_tokens: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.store_account_tokens(uuid, text, text, timestamptz, text)', 'execute'),
  'store_account_tokens: authenticated cannot execute');
select ok(has_function_privilege('service_role', 'avito_private.store_account_tokens(uuid, text, text, timestamptz, text)', 'execute'),
  'store_account_tokens: service_role can execute');
select ok(pg_temp.public_cannot_execute('avito_private.store_account_tokens(uuid, text, text, timestamptz, text)'),
  'store_account_tokens: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.store_account_tokens(uuid, text, text, timestamptz, text)'::regprocedure),
  array['true', 'search_path=""'],
  'store_account_tokens: ' || 'security definer' || ', empty search_path');

-- rotate_account_tokens
select ok(not has_function_privilege('anon', 'avito_private.rotate_account_tokens(uuid, text, text, timestamptz)', 'execute'),
  'rotate_account_tokens: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.rotate_account_tokens(uuid, text, text, timestamptz)', 'execute'),
  'rotate_account_tokens: authenticated cannot execute');
select ok(has_function_privilege('service_role', 'avito_private.rotate_account_tokens(uuid, text, text, timestamptz)', 'execute'),
  'rotate_account_tokens: service_role can execute');
select ok(pg_temp.public_cannot_execute('avito_private.rotate_account_tokens(uuid, text, text, timestamptz)'),
  'rotate_account_tokens: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.rotate_account_tokens(uuid, text, text, timestamptz)'::regprocedure),
  array['true', 'search_path=""'],
  'rotate_account_tokens: ' || 'security definer' || ', empty search_path');

-- read_account_tokens
select ok(not has_function_privilege('anon', 'avito_private.read_account_tokens(uuid)', 'execute'),
  'read_account_tokens: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.read_account_tokens(uuid)', 'execute'),
  'read_account_tokens: authenticated cannot execute');
select ok(has_function_privilege('service_role', 'avito_private.read_account_tokens(uuid)', 'execute'),
  'read_account_tokens: service_role can execute');
select ok(pg_temp.public_cannot_execute('avito_private.read_account_tokens(uuid)'),
  'read_account_tokens: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.read_account_tokens(uuid)'::regprocedure),
  array['true', 'search_path=""'],
  'read_account_tokens: ' || 'security definer' || ', empty search_path');

-- put_secret
select ok(not has_function_privilege('anon', 'avito_private.put_secret(uuid, text, text)', 'execute'),
  'put_secret: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.put_secret(uuid, text, text)', 'execute'),
  'put_secret: authenticated cannot execute');
select ok(not has_function_privilege('service_role', 'avito_private.put_secret(uuid, text, text)', 'execute'),
  'put_secret: service_role cannot execute (internal)');
select ok(pg_temp.public_cannot_execute('avito_private.put_secret(uuid, text, text)'),
  'put_secret: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.put_secret(uuid, text, text)'::regprocedure),
  array['true', 'search_path=""'],
  'put_secret: ' || 'security definer' || ', empty search_path');

-- delete_account_token_secrets
select ok(not has_function_privilege('anon', 'avito_private.delete_account_token_secrets()', 'execute'),
  'delete_account_token_secrets: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.delete_account_token_secrets()', 'execute'),
  'delete_account_token_secrets: authenticated cannot execute');
select ok(not has_function_privilege('service_role', 'avito_private.delete_account_token_secrets()', 'execute'),
  'delete_account_token_secrets: service_role cannot execute (internal)');
select ok(pg_temp.public_cannot_execute('avito_private.delete_account_token_secrets()'),
  'delete_account_token_secrets: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.delete_account_token_secrets()'::regprocedure),
  array['true', 'search_path=""'],
  'delete_account_token_secrets: ' || 'security definer' || ', empty search_path');

-- delete_legacy_integration_secret
select ok(not has_function_privilege('anon', 'avito_private.delete_legacy_integration_secret()', 'execute'),
  'delete_legacy_integration_secret: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.delete_legacy_integration_secret()', 'execute'),
  'delete_legacy_integration_secret: authenticated cannot execute');
select ok(not has_function_privilege('service_role', 'avito_private.delete_legacy_integration_secret()', 'execute'),
  'delete_legacy_integration_secret: service_role cannot execute (internal)');
select ok(pg_temp.public_cannot_execute('avito_private.delete_legacy_integration_secret()'),
  'delete_legacy_integration_secret: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.delete_legacy_integration_secret()'::regprocedure),
  array['true', 'search_path=""'],
  'delete_legacy_integration_secret: ' || 'security definer' || ', empty search_path');

-- ensure_constraint
select ok(not has_function_privilege('anon', 'avito_private.ensure_constraint(regclass, text, text, boolean)', 'execute'),
  'ensure_constraint: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.ensure_constraint(regclass, text, text, boolean)', 'execute'),
  'ensure_constraint: authenticated cannot execute');
select ok(not has_function_privilege('service_role', 'avito_private.ensure_constraint(regclass, text, text, boolean)', 'execute'),
  'ensure_constraint: service_role cannot execute (internal)');
select ok(pg_temp.public_cannot_execute('avito_private.ensure_constraint(regclass, text, text, boolean)'),
  'ensure_constraint: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.ensure_constraint(regclass, text, text, boolean)'::regprocedure),
  array['false', 'search_path=""'],
  'ensure_constraint: ' || 'security invoker' || ', empty search_path');

-- ensure_timestamptz
select ok(not has_function_privilege('anon', 'avito_private.ensure_timestamptz(regclass, text)', 'execute'),
  'ensure_timestamptz: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.ensure_timestamptz(regclass, text)', 'execute'),
  'ensure_timestamptz: authenticated cannot execute');
select ok(not has_function_privilege('service_role', 'avito_private.ensure_timestamptz(regclass, text)', 'execute'),
  'ensure_timestamptz: service_role cannot execute (internal)');
select ok(pg_temp.public_cannot_execute('avito_private.ensure_timestamptz(regclass, text)'),
  'ensure_timestamptz: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.ensure_timestamptz(regclass, text)'::regprocedure),
  array['false', 'search_path=""'],
  'ensure_timestamptz: ' || 'security invoker' || ', empty search_path');

-- ensure_not_null
select ok(not has_function_privilege('anon', 'avito_private.ensure_not_null(regclass, text)', 'execute'),
  'ensure_not_null: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.ensure_not_null(regclass, text)', 'execute'),
  'ensure_not_null: authenticated cannot execute');
select ok(not has_function_privilege('service_role', 'avito_private.ensure_not_null(regclass, text)', 'execute'),
  'ensure_not_null: service_role cannot execute (internal)');
select ok(pg_temp.public_cannot_execute('avito_private.ensure_not_null(regclass, text)'),
  'ensure_not_null: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.ensure_not_null(regclass, text)'::regprocedure),
  array['false', 'search_path=""'],
  'ensure_not_null: ' || 'security invoker' || ', empty search_path');

-- has_unique_key
select ok(not has_function_privilege('anon', 'avito_private.has_unique_key(regclass, text[])', 'execute'),
  'has_unique_key: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.has_unique_key(regclass, text[])', 'execute'),
  'has_unique_key: authenticated cannot execute');
select ok(not has_function_privilege('service_role', 'avito_private.has_unique_key(regclass, text[])', 'execute'),
  'has_unique_key: service_role cannot execute (internal)');
select ok(pg_temp.public_cannot_execute('avito_private.has_unique_key(regclass, text[])'),
  'has_unique_key: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.has_unique_key(regclass, text[])'::regprocedure),
  array['false', 'search_path=""'],
  'has_unique_key: ' || 'security invoker' || ', empty search_path');

-- has_foreign_key
select ok(not has_function_privilege('anon', 'avito_private.has_foreign_key(regclass, text)', 'execute'),
  'has_foreign_key: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.has_foreign_key(regclass, text)', 'execute'),
  'has_foreign_key: authenticated cannot execute');
select ok(not has_function_privilege('service_role', 'avito_private.has_foreign_key(regclass, text)', 'execute'),
  'has_foreign_key: service_role cannot execute (internal)');
select ok(pg_temp.public_cannot_execute('avito_private.has_foreign_key(regclass, text)'),
  'has_foreign_key: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.has_foreign_key(regclass, text)'::regprocedure),
  array['false', 'search_path=""'],
  'has_foreign_key: ' || 'security invoker' || ', empty search_path');

-- touch_updated_at
select ok(not has_function_privilege('anon', 'avito_private.touch_updated_at()', 'execute'),
  'touch_updated_at: anon cannot execute');
select ok(not has_function_privilege('authenticated', 'avito_private.touch_updated_at()', 'execute'),
  'touch_updated_at: authenticated cannot execute');
select ok(not has_function_privilege('service_role', 'avito_private.touch_updated_at()', 'execute'),
  'touch_updated_at: service_role cannot execute (internal)');
select ok(pg_temp.public_cannot_execute('avito_private.touch_updated_at()'),
  'touch_updated_at: no EXECUTE for PUBLIC');
select is((select array[prosecdef::text, array_to_string(proconfig, ',')] from pg_proc
           where oid = 'avito_private.touch_updated_at()'::regprocedure),
  array['false', 'search_path=""'],
  'touch_updated_at: ' || 'security invoker' || ', empty search_path');

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
select ok(not has_table_privilege('anon', 'avito_private.legacy_integration_secrets', 'select, insert, update, delete'),
  'legacy_integration_secrets: anon has no access');
select ok(not has_table_privilege('authenticated', 'avito_private.legacy_integration_secrets', 'select, insert, update, delete'),
  'legacy_integration_secrets: authenticated has no access');
select ok(not has_table_privilege('service_role', 'avito_private.legacy_integration_secrets', 'select, insert, update, delete'),
  'legacy_integration_secrets: service_role has no access');

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

select * from finish();
rollback;

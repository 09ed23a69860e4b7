-- Steady-state polls (20261206080000, 20261206110000): the service may call the entry points and nothing
-- else; the stamp helpers run only inside their triggers; the state table is not the app's.
begin;
select plan(6);

select is(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'avito_private'
     and p.proname in ('sync_app_stamp', 'record_steady_state', 'finish_steady_poll',
                       'claim_sync_polls', 'finish_steady_polls')
     and p.prosecdef and p.proconfig = array['search_path=""']
     and has_function_privilege('service_role', p.oid, 'execute')
     and not has_function_privilege('authenticated', p.oid, 'execute')
     and not has_function_privilege('anon', p.oid, 'execute')),
  -- 6: claim_sync_polls has a three- and a four-argument form (20261206150000).
  6, 'every steady-poll function is definer, search_path-pinned, service_role only');

select is(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'avito_private'
     and p.proname in ('bump_app_stamps', 'property_rows_bump_stamp', 'properties_bump_stamp',
                       'integration_bump_stamp')
     and p.proconfig = array['search_path=""']
     and not has_function_privilege('service_role', p.oid, 'execute')
     and not has_function_privilege('authenticated', p.oid, 'execute')
     and not has_function_privilege('anon', p.oid, 'execute')),
  4, 'the stamp helpers run only inside their triggers');

select ok(
  not has_table_privilege('authenticated', 'avito_private.sync_steady_state', 'select')
  and not has_table_privilege('anon', 'avito_private.sync_steady_state', 'select'),
  'the app cannot read the steady state');

select ok(
  not has_table_privilege('service_role', 'avito_private.sync_steady_state', 'update'),
  'the service changes the steady state only through its functions');

-- The batched record (20261206110000) refuses arrays that do not line up.
select throws_ok(
  $$select * from avito_private.finish_steady_polls('w', array[gen_random_uuid()],
      array['a', 'b'], array[current_date], array[now()], 3600, 10, 60)$$,
  '22023', null, 'finish_steady_polls refuses arrays of different lengths');

select is(
  (select count(*)::int from avito_private.finish_steady_polls('w', '{}'::uuid[], '{}'::text[],
     '{}'::date[], '{}'::timestamptz[], 3600, 10, 60)),
  0, 'an empty batch records nothing');

select * from finish();
rollback;

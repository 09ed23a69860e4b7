-- The frontend's status view (one word per connected property, the caller's rows only), the
-- admin health views (service only) and the realtime publication.
begin;
select plan(19);

insert into auth.users (id, email) values
  ('00000000-0000-4000-a000-00000000000a', 'a@example.test'),
  ('00000000-0000-4000-a000-00000000000b', 'b@example.test');
insert into public.properties (id, owner_id, name) values
  ('10000000-0000-4000-a000-0000000000a1', '00000000-0000-4000-a000-00000000000a', 'A1 synced'),
  ('10000000-0000-4000-a000-0000000000a2', '00000000-0000-4000-a000-00000000000a', 'A2 typed in'),
  ('10000000-0000-4000-a000-0000000000a3', '00000000-0000-4000-a000-00000000000a', 'A3 switched off'),
  ('10000000-0000-4000-a000-0000000000a4', '00000000-0000-4000-a000-00000000000a', 'A4 failing'),
  ('10000000-0000-4000-a000-0000000000a5', '00000000-0000-4000-a000-00000000000a', 'A5 waiting'),
  ('10000000-0000-4000-a000-0000000000b1', '00000000-0000-4000-a000-00000000000b', 'B1 synced');
insert into public.avito_accounts (id, owner_id, avito_user_id, name, status, token_expires_at) values
  ('40000000-0000-4000-a000-00000000000a', '00000000-0000-4000-a000-00000000000a', 1001, 'A',
   'active', '2026-12-01 10:00:00+00'),
  ('40000000-0000-4000-a000-00000000000b', '00000000-0000-4000-a000-00000000000b', 2002, 'B',
   'active', '2026-12-01 10:00:00+00');
insert into public.avito_items (avito_account_id, avito_item_id) values
  ('40000000-0000-4000-a000-00000000000a', 3000000001),
  ('40000000-0000-4000-a000-00000000000a', 3000000004),
  ('40000000-0000-4000-a000-00000000000a', 3000000005),
  ('40000000-0000-4000-a000-00000000000b', 3000000002);
insert into public.integrations
  (id, property_id, avito_account_id, avito_user_id, avito_item_id, status, is_active,
   last_error, last_sync_at) values
  ('60000000-0000-4000-a000-0000000000a1', '10000000-0000-4000-a000-0000000000a1',
   '40000000-0000-4000-a000-00000000000a', 1001, 3000000001, 'active', true, null, now()),
  ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2',
   null, 1001, 3000000003, 'needs_reconnect', true, null, null),
  ('60000000-0000-4000-a000-0000000000a3', '10000000-0000-4000-a000-0000000000a3',
   '40000000-0000-4000-a000-00000000000a', 1001, 3000000001, 'disconnected', false, null, now()),
  ('60000000-0000-4000-a000-0000000000a4', '10000000-0000-4000-a000-0000000000a4',
   '40000000-0000-4000-a000-00000000000a', 1001, 3000000004, 'error', true, 'Avito said 422',
   now()),
  ('60000000-0000-4000-a000-0000000000a5', '10000000-0000-4000-a000-0000000000a5',
   '40000000-0000-4000-a000-00000000000a', 1001, 3000000005, 'active', true, null, null),
  ('60000000-0000-4000-a000-0000000000b1', '10000000-0000-4000-a000-0000000000b1',
   '40000000-0000-4000-a000-00000000000b', 2002, 3000000002, 'active', true, null, now());
insert into public.avito_sync_queue (integration_id, property_id, next_sync_at, attempts) values
  ('60000000-0000-4000-a000-0000000000a1', '10000000-0000-4000-a000-0000000000a1',
   now() - interval '10 minutes', 0),
  ('60000000-0000-4000-a000-0000000000a4', '10000000-0000-4000-a000-0000000000a4',
   now() + interval '5 minutes', 3),
  ('60000000-0000-4000-a000-0000000000b1', '10000000-0000-4000-a000-0000000000b1',
   now() + interval '1 minute', 0);

select is(
  (select array_agg(tablename::text order by tablename) from pg_publication_tables
   where pubname = 'supabase_realtime' and schemaname = 'public'
     and tablename in ('bookings', 'notification_events')),
  array['bookings', 'notification_events'],
  'bookings and notification_events are in supabase_realtime');
select ok(has_table_privilege('authenticated', 'public.bookings', 'select')
          and has_table_privilege('authenticated', 'public.notification_events', 'select'),
  'authenticated may SELECT both (Realtime delivers only what the subscriber can select)');

select is(
  (select array_agg(column_name::text order by ordinal_position) from information_schema.columns
   where table_schema = 'public' and table_name = 'avito_integration_status'),
  array['integration_id', 'property_id', 'property_name', 'owner_id', 'avito_account_id',
        'avito_account_name', 'avito_user_id', 'avito_item_id', 'avito_markup', 'is_active',
        'connection_status', 'integration_status', 'account_status', 'last_sync_at', 'last_error',
        'token_expires_at', 'next_sync_at', 'queue_status', 'queue_attempts'],
  'the status view has exactly these columns: no token, no secret id');

-- The vocabulary the view and the service share (20261206130000): pure, so the view's readers
-- and the service may run it; anon and PUBLIC may not.
select ok(has_function_privilege('authenticated', 'public.avito_connection_state(boolean, text,'
          ' uuid, text, text, text, text, timestamptz)', 'execute')
          and has_function_privilege('service_role', 'public.avito_connection_state(boolean,'
          ' text, uuid, text, text, text, text, timestamptz)', 'execute'),
  'authenticated and service_role may run avito_connection_state');
select ok(not has_function_privilege('anon', 'public.avito_connection_state(boolean, text,'
          ' uuid, text, text, text, text, timestamptz)', 'execute'),
  'anon cannot run avito_connection_state');
select ok((select p.proacl is not null
                  and not exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0)
           from pg_proc p where p.proname = 'avito_connection_state'),
  'PUBLIC holds no grant on avito_connection_state');

set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "00000000-0000-4000-a000-00000000000a", "role": "authenticated"}', true);
select results_eq(
  $$select property_name, connection_status from public.avito_integration_status
    order by property_name$$,
  $$values ('A1 synced', 'synced'), ('A2 typed in', 'needs_reconnect'),
           ('A3 switched off', 'disconnected'), ('A4 failing', 'error'),
           ('A5 waiting', 'pending')$$,
  'owner: one status per own integration, nothing of B');
select is(
  (select row(token_expires_at, last_error, queue_attempts)::text
   from public.avito_integration_status where property_name = 'A4 failing'),
  row('2026-12-01 10:00:00+00'::timestamptz, 'Avito said 422', 3)::text,
  'owner: token expiry comes from the account, error and attempts from the sync');
select throws_ok($$select * from avito_private.sync_health$$, '42501', null,
  'owner: the admin summary is out of reach');
select throws_ok($$select * from avito_private.failing_syncs$$, '42501', null,
  'owner: the admin list is out of reach');

select set_config('request.jwt.claims',
  '{"sub": "00000000-0000-4000-a000-00000000000b", "role": "authenticated"}', true);
select results_eq(
  $$select property_name, connection_status from public.avito_integration_status$$,
  $$values ('B1 synced', 'synced')$$,
  'another host sees only their own');

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok($$select * from public.avito_integration_status$$, '42501', null,
  'anon cannot read the status view');
select throws_ok($$select * from avito_private.sync_health$$, '42501', null,
  'anon cannot read the admin summary');

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is(
  (select row(integrations_total, integrations_active, integrations_needs_reconnect,
              integrations_error, integrations_disconnected)::text
   from avito_private.sync_health),
  row(6, 3, 1, 1, 1)::text,
  'service: integrations by status');
select is(
  (select row(queue_due, queue_failing)::text from avito_private.sync_health),
  row(1, 1)::text,
  'service: one queue row due, one failing');
select ok(
  (select queue_max_lag_seconds between 600 and 3600 from avito_private.sync_health),
  'service: the queue lag is the age of the oldest due row');
select results_eq(
  $$select integration_id::text, attempts from avito_private.failing_syncs$$,
  $$values ('60000000-0000-4000-a000-0000000000a4', 3),
           ('60000000-0000-4000-a000-0000000000a2', null::integer)$$,
  'service: failing syncs, worst first, healthy and switched-off ones left out');
select is(
  (select count(*) from public.avito_integration_status), 6::bigint,
  'service: the status view shows every host');

reset role;
select is(
  (select count(*) from avito_private.sync_health), 1::bigint,
  'the dashboard (postgres) reads the summary as one row');

select * from finish();
rollback;

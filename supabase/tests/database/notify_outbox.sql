-- Notifier outbox functions: private, SECURITY DEFINER with an empty search_path, service_role
-- only; inserting an event fans out to active telegram/webhook channels once; claims lease,
-- outcomes are fenced by the attempt number, delivered_at is set once, retries are scheduled.
begin;
select plan(21);

select is(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'avito_private'
     and p.proname in ('notify_fan_out', 'notify_fan_out_trigger', 'notify_claim_deliveries',
                       'notify_delivery_succeeded', 'notify_delivery_failed',
                       'notify_seconds_until_due')
     and p.prosecdef and p.proconfig = array['search_path=""']
     and not has_function_privilege('authenticated', p.oid, 'execute')
     and not has_function_privilege('anon', p.oid, 'execute')
     and not exists (select 1 from aclexplode(p.proacl) a
                     where a.grantee = 0 and a.privilege_type = 'EXECUTE')),
  6, 'every notify function is definer, search_path-pinned, closed to anon/authenticated/PUBLIC');
select is(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'avito_private'
     and p.proname in ('notify_fan_out', 'notify_claim_deliveries', 'notify_delivery_succeeded',
                       'notify_delivery_failed', 'notify_seconds_until_due')
     and has_function_privilege('service_role', p.oid, 'execute')),
  5, 'service_role may call the five callable notify functions');

insert into auth.users (id, aud, role, email) values
  ('00000000-0000-4000-8000-00000000e001', 'authenticated', 'authenticated', 'n1@example.test'),
  ('00000000-0000-4000-8000-00000000e002', 'authenticated', 'authenticated', 'n2@example.test');
insert into public.properties (id, owner_id, name)
values ('00000000-0000-4000-8000-00000000e0a1', '00000000-0000-4000-8000-00000000e001', 'Лофт');
insert into public.notification_channels (id, owner_id, kind, config, is_active) values
  ('00000000-0000-4000-8000-00000000ec01', '00000000-0000-4000-8000-00000000e001', 'telegram',
   '{"chat_id": 1}', true),
  ('00000000-0000-4000-8000-00000000ec02', '00000000-0000-4000-8000-00000000e001', 'webhook',
   '{"url": "https://example.test/h"}', true),
  ('00000000-0000-4000-8000-00000000ec03', '00000000-0000-4000-8000-00000000e001', 'telegram',
   '{"chat_id": 2}', false),
  ('00000000-0000-4000-8000-00000000ec04', '00000000-0000-4000-8000-00000000e001', 'web_push',
   '{}', true),
  ('00000000-0000-4000-8000-00000000ec05', '00000000-0000-4000-8000-00000000e002', 'telegram',
   '{"chat_id": 3}', true);

select is(
  (select count(*)::int from pg_catalog.pg_publication_tables
   where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'notification_events'),
  1, 'the outbox is in supabase_realtime (the notifier subscribes to its inserts)');

insert into public.notification_events (id, owner_id, property_id, kind, payload, dedupe_key)
overriding system value
values (900001, '00000000-0000-4000-8000-00000000e001', '00000000-0000-4000-8000-00000000e0a1',
        'booking_created', '{"avito_booking_id": 1}', 'pgtap:notify:1');

select is(
  (select array_agg(channel_id order by channel_id)::text from public.notification_deliveries),
  '{00000000-0000-4000-8000-00000000ec01,00000000-0000-4000-8000-00000000ec02}',
  'the insert fans out to the owner''s active telegram and webhook channels only');
select is((select status from public.notification_deliveries limit 1), 'pending',
          'new deliveries are pending');
select is(avito_private.notify_fan_out(900001), 0, 'a second fan-out adds nothing');
select is((select count(*)::int from public.notification_deliveries), 2, 'still two deliveries');
select is(avito_private.notify_seconds_until_due(), 0::double precision, 'due now');

select is((select count(*)::int from avito_private.notify_claim_deliveries(10, 60)), 2,
          'both are claimed');
select is((select count(*)::int from avito_private.notify_claim_deliveries(10, 60)), 0,
          'leased deliveries are not claimed again');
select ok(avito_private.notify_seconds_until_due() between 59 and 60,
          'the lease is the next due time');
select is((select property_name from avito_private.notify_claim_deliveries(10, 60)), null,
          'nothing more to claim');

update public.notification_deliveries set next_attempt_at = now()
where channel_id = '00000000-0000-4000-8000-00000000ec01';
select is((select attempt from avito_private.notify_claim_deliveries(10, 60)), 2,
          'an expired lease is claimed again with the next attempt number');
select ok(not avito_private.notify_delivery_succeeded(
            (select id from public.notification_deliveries
             where channel_id = '00000000-0000-4000-8000-00000000ec01'), 1),
          'the superseded claim cannot mark it delivered');
select ok(avito_private.notify_delivery_succeeded(
            (select id from public.notification_deliveries
             where channel_id = '00000000-0000-4000-8000-00000000ec01'), 2),
          'the current claim marks it delivered');
select ok(not avito_private.notify_delivery_succeeded(
            (select id from public.notification_deliveries
             where channel_id = '00000000-0000-4000-8000-00000000ec01'), 2),
          'delivered once: a repeat changes nothing');

select is(avito_private.notify_delivery_failed(
            (select id from public.notification_deliveries
             where channel_id = '00000000-0000-4000-8000-00000000ec02'), 1, 'webhook: HTTP 500', 30),
          'pending', 'a retryable failure stays pending');
select ok((select next_attempt_at between now() + interval '29 seconds' and now() + interval '31 seconds'
           from public.notification_deliveries
           where channel_id = '00000000-0000-4000-8000-00000000ec02'),
          'and is due after the given delay');
select is(avito_private.notify_delivery_failed(
            (select id from public.notification_deliveries
             where channel_id = '00000000-0000-4000-8000-00000000ec02'), 1, 'webhook: HTTP 500', null),
          'failed', 'giving up marks it failed');
select throws_ok(
  $$select avito_private.notify_delivery_failed(1, 1, 'x', -1)$$, '22023', null,
  'a negative retry delay is refused');

set local role authenticated;
select throws_ok($$select * from avito_private.notify_claim_deliveries(10, 60)$$, '42501', null,
                 'authenticated cannot claim deliveries');
reset role;

select * from finish();
rollback;

-- The deployed app's own writes keep working: its typed integrations row links to the owner's
-- account (never to somebody else's), a negative markup gets a clear error, a duplicate queue
-- insert wakes the existing row, and avito_logs is owner-readable, client-unwritable,
-- published to Realtime and deduplicated.
begin;
select plan(27);
\ir fixtures/two_hosts.psql

-- A's second listing, known to the service (as after get-items).
insert into public.avito_items (avito_account_id, avito_item_id)
values ('40000000-0000-4000-a000-00000000000a', 3000000007);

create function pg_temp.app_upsert(p_user bigint, p_item bigint, p_markup numeric default 10)
returns text language sql as $f$
  select pg_temp.attempt(format(
    'insert into public.integrations (property_id, platform, avito_user_id, avito_item_id,'
    ' avito_markup, external_id, is_active) values (%L, %L, %s, %s, %s, %L, true)'
    ' on conflict (property_id, platform) do update set avito_user_id = excluded.avito_user_id,'
    ' avito_item_id = excluded.avito_item_id, avito_markup = excluded.avito_markup,'
    ' external_id = excluded.external_id, is_active = excluded.is_active',
    '10000000-0000-4000-a000-0000000000a3', 'avito', p_user, p_item, p_markup, p_item::text),
    'authenticated', '00000000-0000-4000-a000-00000000000a');
$f$;

create function pg_temp.attempt_message(p_sql text) returns text language plpgsql as $f$
begin
  execute p_sql;
  return 'no error';
exception when others then
  return sqlerrm;
end;
$f$;

-- Attempts are undone; run the write for real as A to look at the row afterwards.
create function pg_temp.app_upsert_kept(p_user bigint, p_item bigint) returns void
language plpgsql as $f$
begin
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims',
    '{"sub": "00000000-0000-4000-a000-00000000000a", "role": "authenticated"}', true);
  insert into public.integrations (property_id, platform, avito_user_id, avito_item_id,
                                   avito_markup, external_id, is_active)
  values ('10000000-0000-4000-a000-0000000000a3', 'avito', p_user, p_item, 10, p_item::text, true)
  on conflict (property_id, platform) do update
    set avito_user_id = excluded.avito_user_id, avito_item_id = excluded.avito_item_id;
  execute 'reset role';
end;
$f$;

-- 1. B's Avito user id and B's listing typed by A: written, never linked.
select is(pg_temp.app_upsert(2002, 3000000002), 'ok:1', 'A may type B''s ids');
select pg_temp.app_upsert_kept(2002, 3000000002);
select is((select avito_account_id from public.integrations
           where property_id = '10000000-0000-4000-a000-0000000000a3'), null,
  'a typed Avito user id of another owner never links to their account');

-- 2. A listing held by A's other active integration: not linked (the upsert still works).
select pg_temp.app_upsert_kept(1001, 3000000001);
select is((select avito_account_id from public.integrations
           where property_id = '10000000-0000-4000-a000-0000000000a3'), null,
  'a listing held by another active integration is not linked twice');

-- 3. A's own recorded listing with a mistyped user id: linked, user id corrected.
select pg_temp.app_upsert_kept(7654321, 3000000007);
select results_eq(
  $$select avito_account_id, avito_user_id, status from public.integrations
    where property_id = '10000000-0000-4000-a000-0000000000a3'$$,
  $$values ('40000000-0000-4000-a000-00000000000a'::uuid, 1001::bigint, 'active'::text)$$,
  'the owner''s account holding the listing is linked and the typed id corrected');

-- 4. Several accounts of A hold the listing and none matches the typed id: no guess.
insert into public.avito_accounts (id, owner_id, avito_user_id, name, status) values
  ('40000000-0000-4000-a000-0000000000a2', '00000000-0000-4000-a000-00000000000a', 1003, 'A2', 'active');
insert into public.avito_items (avito_account_id, avito_item_id)
values ('40000000-0000-4000-a000-0000000000a2', 3000000008),
       ('40000000-0000-4000-a000-00000000000a', 3000000008);
select is((select avito_account_id from avito_private.resolve_app_account(
             '00000000-0000-4000-a000-00000000000a', 5, 3000000008, null, true)), null,
  'ambiguous accounts without a matching typed id are not linked');
select is((select avito_account_id from avito_private.resolve_app_account(
             '00000000-0000-4000-a000-00000000000a', 1003, 3000000008, null, true)),
  '40000000-0000-4000-a000-0000000000a2'::uuid,
  'the account named by the typed id wins');
select is((select avito_account_id from avito_private.resolve_app_account(
             '00000000-0000-4000-a000-00000000000b', 1001, 3000000009, null, false)),
  '40000000-0000-4000-a000-00000000000b'::uuid,
  'the service''s candidate is always one of the caller''s own accounts');

-- 5. Markup: a negative value is the app's fixed RUB surcharge, kept as written; out of
-- bounds gets a clear Russian message.
select lives_ok(
  $$update public.integrations set avito_markup = -500
    where id = '60000000-0000-4000-a000-00000000000a'$$,
  'a fixed RUB surcharge (negative markup) is accepted');
select is((select avito_markup from public.integrations
           where id = '60000000-0000-4000-a000-00000000000a'), -500.00::numeric,
          'and kept as the app wrote it');
select lives_ok(
  $$update public.integrations set avito_markup = -1500
    where id = '60000000-0000-4000-a000-00000000000a'$$,
  'a surcharge of 1 500 ₽ fits (decimal(5,2) overflowed at 1 000)');
select throws_ok(
  $$update public.integrations set avito_markup = -100001
    where id = '60000000-0000-4000-a000-00000000000a'$$,
  '23514', null, 'a RUB markup above 100 000 is refused with check_violation');
select matches(
  (select pg_temp.attempt_message(
     $$update public.integrations set avito_markup = -0.5
       where id = '60000000-0000-4000-a000-00000000000a'$$)),
  'от 1 до 100 000', 'the RUB markup error says what is allowed');
select matches(
  (select pg_temp.attempt_message(
     $$update public.integrations set avito_markup = 150
       where id = '60000000-0000-4000-a000-00000000000a'$$)),
  'от 0 до 100', 'the percent markup error says what is allowed');
select is(pg_temp.app_upsert(1001, 3000000007, 100), 'ok:1', 'a markup of 100 % is fine');

-- 6. The app's duplicate queue insert wakes the existing row instead of failing.
update public.avito_sync_queue set next_sync_at = now() + interval '1 hour'
where id = '70000000-0000-4000-a000-00000000000a';
select is(pg_temp.attempt(
  $$insert into public.avito_sync_queue (property_id, integration_id)
    values ('10000000-0000-4000-a000-00000000000a', '60000000-0000-4000-a000-00000000000a')$$,
  'authenticated', '00000000-0000-4000-a000-00000000000a'), 'ok:0',
  'a duplicate insert by the owner inserts nothing and does not fail');
select set_config('request.jwt.claims',
  '{"sub": "00000000-0000-4000-a000-00000000000a", "role": "authenticated"}', true);
set local role authenticated;
insert into public.avito_sync_queue (property_id, integration_id)
values ('10000000-0000-4000-a000-00000000000a', '60000000-0000-4000-a000-00000000000a');
reset role;
select results_eq(
  $$select count(*)::int, bool_and(next_sync_at <= now()), min(wake_reason)
    from public.avito_sync_queue where integration_id = '60000000-0000-4000-a000-00000000000a'$$,
  $$values (1, true, 'initial'::text)$$,
  'the existing row is due now');
select is(pg_temp.attempt(
  $$insert into public.avito_sync_queue (property_id, integration_id)
    values ('10000000-0000-4000-a000-00000000000a', '60000000-0000-4000-a000-00000000000a')$$,
  'authenticated', '00000000-0000-4000-a000-00000000000b'), '42501',
  'another user''s duplicate insert is refused as before');
select ok(avito_private.enqueue_integration('60000000-0000-4000-a000-00000000000a', 'change'),
  'the service''s enqueue still upserts');
select is((select wake_reason from public.avito_sync_queue
           where integration_id = '60000000-0000-4000-a000-00000000000a'), 'change',
  'the service''s enqueue is not rewritten by the app path');

-- 7. avito_logs: published, owner-only, no client writes, deduplicated.
select ok(exists (select 1 from pg_publication_tables
                  where pubname = 'supabase_realtime' and tablename = 'avito_logs'),
  'avito_logs is in supabase_realtime');
select is(pg_temp.attempt(
  $$insert into public.avito_logs (property_id, action, status)
    values ('10000000-0000-4000-a000-00000000000a', 'sync', 'error')$$,
  'authenticated', '00000000-0000-4000-a000-00000000000a'), '42501',
  'clients cannot write avito_logs');
select is(pg_temp.attempt($$select 1 from public.avito_logs$$,
  'authenticated', '00000000-0000-4000-a000-00000000000a'), 'ok:0',
  'A does not see B''s failed run in the log');
select is(pg_temp.attempt($$select 1 from public.avito_logs$$,
  'authenticated', '00000000-0000-4000-a000-00000000000b'), 'ok:1',
  'B sees the log row of B''s failed run');

set local avito_sync.avito_logs_max_errors = '2';
select results_eq(
  $$select array[
      avito_private.write_avito_log('60000000-0000-4000-a000-00000000000a', 'sync', 'error', 'e1'),
      avito_private.write_avito_log('60000000-0000-4000-a000-00000000000a', 'sync', 'error', 'e1'),
      avito_private.write_avito_log('60000000-0000-4000-a000-00000000000a', 'sync', 'error', 'e2'),
      avito_private.write_avito_log('60000000-0000-4000-a000-00000000000a', 'sync', 'error', 'e3')]$$,
  $$values (array[true, false, true, false])$$,
  'the same error once per window, at most max_errors rows per integration');
select results_eq(
  $$select array[
      avito_private.write_avito_log('60000000-0000-4000-a000-00000000000a', 'sync', 'success', 'ok'),
      avito_private.write_avito_log('60000000-0000-4000-a000-00000000000a', 'sync', 'success', 'ok'),
      avito_private.write_avito_log('60000000-0000-4000-a000-00000000000a', 'sync', 'error', 'e1')]$$,
  $$values (array[true, false, true])$$,
  'a recovery is logged once and starts a new window');

-- 8. Reconnect and conflict events reach the feed, one row per integration.
reset avito_sync.avito_logs_max_errors;
select avito_private.mark_account_needs_reconnect('40000000-0000-4000-a000-00000000000b', 'refused');
select results_eq(
  $$select integration_id, error from public.avito_logs where action = 'refresh_token'$$,
  $$values ('60000000-0000-4000-a000-00000000000b'::uuid,
            'Доступ к Avito истёк или отозван: подключите аккаунт Avito заново.'::text)$$,
  'an account needing a reconnect logs one refresh_token error per active integration');
select avito_private.emit_booking_event(
  'booking_conflict', '00000000-0000-4000-a000-00000000000b', '10000000-0000-4000-a000-00000000000b',
  '60000000-0000-4000-a000-00000000000b', null, 'compat-conflict',
  '{"avito_booking_id": 777, "check_in": "2027-03-01", "check_out": "2027-03-03",
    "guest_name": "Not logged"}');
select results_eq(
  $$select error, details ? 'guest_name' from public.avito_logs where action = 'sync_bookings'$$,
  $$values ('Бронь Avito № 777 (2027-03-01 – 2027-03-03) пересекается с другой бронью объекта.'::text,
            false)$$,
  'a booking conflict logs ids and dates only');

select * from finish();
rollback;

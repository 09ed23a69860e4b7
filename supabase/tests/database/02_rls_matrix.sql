-- RLS and grants matrix: owner, another user, anon and service_role against every table, for
-- select, insert, update and delete. Every attempt runs through pg_temp.attempt, which executes
-- the statement as the current role (set with `set local role` and request.jwt.claims, as
-- PostgREST does), reports 'ok:<rows>' or the SQLSTATE, and always undoes it, so attempts do
-- not affect each other. 42501 is both "permission denied" (no grant) and "violates row-level
-- security policy"; ok:0 is RLS silently hiding a row.
begin;
select plan(202);

create function pg_temp.attempt(p_sql text) returns text
language plpgsql
as $fn$
declare
  v_rows bigint;
begin
  begin
    execute p_sql;
    get diagnostics v_rows = row_count;
    raise exception using errcode = 'P0099', message = v_rows::text;
  exception
    when sqlstate 'P0099' then return 'ok:' || sqlerrm;
    when others then return sqlstate;
  end;
end;
$fn$;

-- Two hosts, A and B, each with one row in every table (A also has spare rows the insert
-- attempts need). Written as postgres: the set-up, not an assertion.
insert into auth.users (id, email) values
  ('00000000-0000-4000-a000-00000000000a', 'a@example.test'),
  ('00000000-0000-4000-a000-00000000000b', 'b@example.test');
insert into public.properties (id, owner_id, name, base_price) values
  ('10000000-0000-4000-a000-00000000000a', '00000000-0000-4000-a000-00000000000a', 'A loft', 5000),
  ('10000000-0000-4000-a000-0000000000a2', '00000000-0000-4000-a000-00000000000a', 'A studio', 3000),
  ('10000000-0000-4000-a000-0000000000a3', '00000000-0000-4000-a000-00000000000a', 'A cottage', 9000),
  ('10000000-0000-4000-a000-00000000000b', '00000000-0000-4000-a000-00000000000b', 'B flat', 4000);
insert into public.properties (id, owner_id, name, deleted_at) values
  ('10000000-0000-4000-a000-0000000000a4', '00000000-0000-4000-a000-00000000000a', 'A sold', now());
insert into public.property_rates (id, property_id, date, daily_price) values
  ('20000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', '2027-01-01', 6000),
  ('20000000-0000-4000-a000-00000000000b', '10000000-0000-4000-a000-00000000000b', '2027-01-01', 4500);
insert into public.bookings (id, property_id, source, external_id, check_in, check_out) values
  ('30000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'manual', null, '2027-01-10', '2027-01-12'),
  ('30000000-0000-4000-a000-00000000000b', '10000000-0000-4000-a000-00000000000b', 'avito', '5550001', '2027-01-10', '2027-01-12');
insert into public.avito_accounts (id, owner_id, avito_user_id, name, status) values
  ('40000000-0000-4000-a000-00000000000a', '00000000-0000-4000-a000-00000000000a', 1001, 'A on Avito', 'active'),
  ('40000000-0000-4000-a000-00000000000b', '00000000-0000-4000-a000-00000000000b', 2002, 'B on Avito', 'active');
insert into public.avito_items (id, avito_account_id, avito_item_id, title) values
  ('50000000-0000-4000-a000-00000000000a', '40000000-0000-4000-a000-00000000000a', 3000000001, 'A listing'),
  ('50000000-0000-4000-a000-00000000000b', '40000000-0000-4000-a000-00000000000b', 3000000002, 'B listing');
insert into public.integrations
  (id, property_id, avito_account_id, avito_user_id, avito_item_id, status, is_active) values
  ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', '40000000-0000-4000-a000-00000000000a', 1001, 3000000001, 'active', true),
  ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2', null, 1001, 3000000005, 'needs_reconnect', true),
  ('60000000-0000-4000-a000-00000000000b', '10000000-0000-4000-a000-00000000000b', '40000000-0000-4000-a000-00000000000b', 2002, 3000000002, 'active', true);
insert into public.avito_sync_queue (id, integration_id, property_id) values
  ('70000000-0000-4000-a000-00000000000a', '60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a'),
  ('70000000-0000-4000-a000-00000000000b', '60000000-0000-4000-a000-00000000000b', '10000000-0000-4000-a000-00000000000b');
insert into public.avito_sync_runs
  (id, integration_id, property_id, trigger, outcome, finished_at) overriding system value values
  (1001, '60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'tick', 'success', now()),
  (1002, '60000000-0000-4000-a000-00000000000b', '10000000-0000-4000-a000-00000000000b', 'tick', 'failed', now());
insert into public.avito_oauth_states (id, owner_id, property_id, state_hash) values
  ('80000000-0000-4000-a000-00000000000a', '00000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', repeat('a', 64)),
  ('80000000-0000-4000-a000-00000000000b', '00000000-0000-4000-a000-00000000000b', '10000000-0000-4000-a000-00000000000b', repeat('b', 64));
insert into public.notification_events (id, owner_id, property_id, kind, dedupe_key)
  overriding system value values
  (2001, '00000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'booking_created', 'a-1'),
  (2002, '00000000-0000-4000-a000-00000000000b', '10000000-0000-4000-a000-00000000000b', 'booking_created', 'b-1');
insert into public.notification_channels (id, owner_id, kind, config) values
  ('90000000-0000-4000-a000-00000000000a', '00000000-0000-4000-a000-00000000000a', 'telegram', '{"chat_id": 1}'),
  ('90000000-0000-4000-a000-0000000000a2', '00000000-0000-4000-a000-00000000000a', 'webhook', '{}'),
  ('90000000-0000-4000-a000-00000000000b', '00000000-0000-4000-a000-00000000000b', 'telegram', '{"chat_id": 2}');
insert into public.notification_deliveries (id, event_id, channel_id) overriding system value values
  (3001, 2001, '90000000-0000-4000-a000-00000000000a'),
  (3002, 2002, '90000000-0000-4000-a000-00000000000b');

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-a000-00000000000a", "role": "authenticated"}', true);
-- Owner A: sees and changes own rows where the app may write; read-only tables refuse writes.
select is(pg_temp.attempt($$select id from public.properties where id = '10000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: select own properties');
select is(pg_temp.attempt($$insert into public.properties (owner_id, name) values ('00000000-0000-4000-a000-00000000000a', 'new')$$), 'ok:1',
  'owner: insert properties allowed');
select is(pg_temp.attempt($$update public.properties set name = 'renamed' where id = '10000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: update own properties allowed');
select is(pg_temp.attempt($$delete from public.properties where id = '10000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: delete own properties allowed');
select is(pg_temp.attempt($$select id from public.property_rates where id = '20000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: select own property_rates');
select is(pg_temp.attempt($$insert into public.property_rates (property_id, date, daily_price) values ('10000000-0000-4000-a000-00000000000a', '2027-02-01', 7000)$$), 'ok:1',
  'owner: insert property_rates allowed');
select is(pg_temp.attempt($$update public.property_rates set daily_price = 6500 where id = '20000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: update own property_rates allowed');
select is(pg_temp.attempt($$delete from public.property_rates where id = '20000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: delete own property_rates allowed');
select is(pg_temp.attempt($$select id from public.bookings where id = '30000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: select own bookings');
select is(pg_temp.attempt($$insert into public.bookings (property_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', '2027-03-01', '2027-03-02')$$), 'ok:1',
  'owner: insert bookings allowed');
select is(pg_temp.attempt($$update public.bookings set guest_name = 'Ivan' where id = '30000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: update own bookings allowed');
select is(pg_temp.attempt($$delete from public.bookings where id = '30000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: delete own bookings allowed');
select is(pg_temp.attempt($$select id from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: select own avito_accounts');
select is(pg_temp.attempt($$insert into public.avito_accounts (owner_id, avito_user_id, name) values ('00000000-0000-4000-a000-00000000000a', 1009, 'x')$$), '42501',
  'owner: insert avito_accounts refused');
select is(pg_temp.attempt($$update public.avito_accounts set name = 'renamed' where id = '40000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: update own avito_accounts refused');
select is(pg_temp.attempt($$delete from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: delete own avito_accounts refused');
select is(pg_temp.attempt($$select id from public.avito_items where id = '50000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: select own avito_items');
select is(pg_temp.attempt($$insert into public.avito_items (avito_account_id, avito_item_id) values ('40000000-0000-4000-a000-00000000000a', 3000000009)$$), '42501',
  'owner: insert avito_items refused');
select is(pg_temp.attempt($$update public.avito_items set title = 'renamed' where id = '50000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: update own avito_items refused');
select is(pg_temp.attempt($$delete from public.avito_items where id = '50000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: delete own avito_items refused');
select is(pg_temp.attempt($$select id from public.integrations where id = '60000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: select own integrations');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000009)$$), 'ok:1',
  'owner: insert integrations allowed');
select is(pg_temp.attempt($$update public.integrations set avito_markup = 20 where id = '60000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: update own integrations allowed');
select is(pg_temp.attempt($$delete from public.integrations where id = '60000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: delete own integrations allowed');
select is(pg_temp.attempt($$select id from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: select own avito_sync_queue');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2')$$), 'ok:1',
  'owner: insert avito_sync_queue allowed');
select is(pg_temp.attempt($$update public.avito_sync_queue set next_sync_at = now() where id = '70000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: update own avito_sync_queue refused');
select is(pg_temp.attempt($$delete from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: delete own avito_sync_queue allowed');
select is(pg_temp.attempt($$select id from public.avito_sync_runs where id = 1001$$), 'ok:1',
  'owner: select own avito_sync_runs');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'manual')$$), '42501',
  'owner: insert avito_sync_runs refused');
select is(pg_temp.attempt($$update public.avito_sync_runs set error = 'x' where id = 1001$$), '42501',
  'owner: update own avito_sync_runs refused');
select is(pg_temp.attempt($$delete from public.avito_sync_runs where id = 1001$$), '42501',
  'owner: delete own avito_sync_runs refused');
select is(pg_temp.attempt($$select id from public.avito_oauth_states where id = '80000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: select own avito_oauth_states');
select is(pg_temp.attempt($$insert into public.avito_oauth_states (owner_id, state_hash) values ('00000000-0000-4000-a000-00000000000a', repeat('c', 64))$$), '42501',
  'owner: insert avito_oauth_states refused');
select is(pg_temp.attempt($$update public.avito_oauth_states set used_at = now() where id = '80000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: update own avito_oauth_states refused');
select is(pg_temp.attempt($$delete from public.avito_oauth_states where id = '80000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: delete own avito_oauth_states refused');
select is(pg_temp.attempt($$select id from public.notification_events where id = 2001$$), 'ok:1',
  'owner: select own notification_events');
select is(pg_temp.attempt($$insert into public.notification_events (owner_id, kind, dedupe_key) values ('00000000-0000-4000-a000-00000000000a', 'sync_failing', 'a-2')$$), '42501',
  'owner: insert notification_events refused');
select is(pg_temp.attempt($$update public.notification_events set payload = '{"x": 1}' where id = 2001$$), '42501',
  'owner: update own notification_events refused');
select is(pg_temp.attempt($$delete from public.notification_events where id = 2001$$), '42501',
  'owner: delete own notification_events refused');
select is(pg_temp.attempt($$select id from public.notification_channels where id = '90000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: select own notification_channels');
select is(pg_temp.attempt($$insert into public.notification_channels (owner_id, kind) values ('00000000-0000-4000-a000-00000000000a', 'telegram')$$), '42501',
  'owner: insert notification_channels refused');
select is(pg_temp.attempt($$update public.notification_channels set is_active = false where id = '90000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'owner: update own notification_channels allowed');
select is(pg_temp.attempt($$delete from public.notification_channels where id = '90000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: delete own notification_channels refused');
select is(pg_temp.attempt($$select id from public.notification_deliveries where id = 3001$$), 'ok:1',
  'owner: select own notification_deliveries');
select is(pg_temp.attempt($$insert into public.notification_deliveries (event_id, channel_id) values (2001, '90000000-0000-4000-a000-0000000000a2')$$), '42501',
  'owner: insert notification_deliveries refused');
select is(pg_temp.attempt($$update public.notification_deliveries set attempts = 1 where id = 3001$$), '42501',
  'owner: update own notification_deliveries refused');
select is(pg_temp.attempt($$delete from public.notification_deliveries where id = 3001$$), '42501',
  'owner: delete own notification_deliveries refused');
-- Columns only the service decides stay out of the owner's reach.
select is(pg_temp.attempt($$update public.integrations set status = 'active' where id = '60000000-0000-4000-a000-0000000000a2'$$), '42501',
  'owner: cannot set integrations.status');
select is(pg_temp.attempt($$update public.integrations set avito_account_id = '40000000-0000-4000-a000-00000000000a' where id = '60000000-0000-4000-a000-0000000000a2'$$), '42501',
  'owner: cannot link an account');
select is(pg_temp.attempt($$update public.integrations set last_sync_at = now(), last_error = null where id = '60000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: cannot write sync results');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_account_id) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000001, '40000000-0000-4000-a000-00000000000a')$$), '42501',
  'owner: cannot insert a linked integration');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id, next_sync_at) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2', now())$$), '42501',
  'owner: cannot choose the queue schedule');
select is(pg_temp.attempt($$update public.notification_channels set config = '{}' where id = '90000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: cannot rewrite a channel config');
select is(pg_temp.attempt($$update public.integrations set property_id = '10000000-0000-4000-a000-00000000000b' where id = '60000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: cannot move an integration to a foreign property');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id) values ('10000000-0000-4000-a000-00000000000a', 1001, 3000000009)$$), '23505',
  'owner: one avito integration per property');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id) values ('10000000-0000-4000-a000-0000000000a4', 1001, 3000000009)$$), '42501',
  'owner: cannot connect a deleted property');

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-a000-00000000000b", "role": "authenticated"}', true);
-- Another host B: none of A's rows, in any direction.
select is(pg_temp.attempt($$select id from public.properties where id = '10000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot see properties of A');
select is(pg_temp.attempt($$insert into public.properties (owner_id, name) values ('00000000-0000-4000-a000-00000000000a', 'new')$$), '42501',
  'other user: cannot insert properties for A');
select is(pg_temp.attempt($$update public.properties set name = 'renamed' where id = '10000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot update properties of A');
select is(pg_temp.attempt($$delete from public.properties where id = '10000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot delete properties of A');
select is(pg_temp.attempt($$select id from public.property_rates where id = '20000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot see property_rates of A');
select is(pg_temp.attempt($$insert into public.property_rates (property_id, date, daily_price) values ('10000000-0000-4000-a000-00000000000a', '2027-02-01', 7000)$$), '42501',
  'other user: cannot insert property_rates for A');
select is(pg_temp.attempt($$update public.property_rates set daily_price = 6500 where id = '20000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot update property_rates of A');
select is(pg_temp.attempt($$delete from public.property_rates where id = '20000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot delete property_rates of A');
select is(pg_temp.attempt($$select id from public.bookings where id = '30000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot see bookings of A');
select is(pg_temp.attempt($$insert into public.bookings (property_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', '2027-03-01', '2027-03-02')$$), '42501',
  'other user: cannot insert bookings for A');
select is(pg_temp.attempt($$update public.bookings set guest_name = 'Ivan' where id = '30000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot update bookings of A');
select is(pg_temp.attempt($$delete from public.bookings where id = '30000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot delete bookings of A');
select is(pg_temp.attempt($$select id from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot see avito_accounts of A');
select is(pg_temp.attempt($$insert into public.avito_accounts (owner_id, avito_user_id, name) values ('00000000-0000-4000-a000-00000000000a', 1009, 'x')$$), '42501',
  'other user: cannot insert avito_accounts for A');
select is(pg_temp.attempt($$update public.avito_accounts set name = 'renamed' where id = '40000000-0000-4000-a000-00000000000a'$$), '42501',
  'other user: cannot update avito_accounts of A');
select is(pg_temp.attempt($$delete from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a'$$), '42501',
  'other user: cannot delete avito_accounts of A');
select is(pg_temp.attempt($$select id from public.avito_items where id = '50000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot see avito_items of A');
select is(pg_temp.attempt($$insert into public.avito_items (avito_account_id, avito_item_id) values ('40000000-0000-4000-a000-00000000000a', 3000000009)$$), '42501',
  'other user: cannot insert avito_items for A');
select is(pg_temp.attempt($$update public.avito_items set title = 'renamed' where id = '50000000-0000-4000-a000-00000000000a'$$), '42501',
  'other user: cannot update avito_items of A');
select is(pg_temp.attempt($$delete from public.avito_items where id = '50000000-0000-4000-a000-00000000000a'$$), '42501',
  'other user: cannot delete avito_items of A');
select is(pg_temp.attempt($$select id from public.integrations where id = '60000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot see integrations of A');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000009)$$), '42501',
  'other user: cannot insert integrations for A');
select is(pg_temp.attempt($$update public.integrations set avito_markup = 20 where id = '60000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot update integrations of A');
select is(pg_temp.attempt($$delete from public.integrations where id = '60000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot delete integrations of A');
select is(pg_temp.attempt($$select id from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot see avito_sync_queue of A');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2')$$), '42501',
  'other user: cannot insert avito_sync_queue for A');
select is(pg_temp.attempt($$update public.avito_sync_queue set next_sync_at = now() where id = '70000000-0000-4000-a000-00000000000a'$$), '42501',
  'other user: cannot update avito_sync_queue of A');
select is(pg_temp.attempt($$delete from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot delete avito_sync_queue of A');
select is(pg_temp.attempt($$select id from public.avito_sync_runs where id = 1001$$), 'ok:0',
  'other user: cannot see avito_sync_runs of A');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'manual')$$), '42501',
  'other user: cannot insert avito_sync_runs for A');
select is(pg_temp.attempt($$update public.avito_sync_runs set error = 'x' where id = 1001$$), '42501',
  'other user: cannot update avito_sync_runs of A');
select is(pg_temp.attempt($$delete from public.avito_sync_runs where id = 1001$$), '42501',
  'other user: cannot delete avito_sync_runs of A');
select is(pg_temp.attempt($$select id from public.avito_oauth_states where id = '80000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot see avito_oauth_states of A');
select is(pg_temp.attempt($$insert into public.avito_oauth_states (owner_id, state_hash) values ('00000000-0000-4000-a000-00000000000a', repeat('c', 64))$$), '42501',
  'other user: cannot insert avito_oauth_states for A');
select is(pg_temp.attempt($$update public.avito_oauth_states set used_at = now() where id = '80000000-0000-4000-a000-00000000000a'$$), '42501',
  'other user: cannot update avito_oauth_states of A');
select is(pg_temp.attempt($$delete from public.avito_oauth_states where id = '80000000-0000-4000-a000-00000000000a'$$), '42501',
  'other user: cannot delete avito_oauth_states of A');
select is(pg_temp.attempt($$select id from public.notification_events where id = 2001$$), 'ok:0',
  'other user: cannot see notification_events of A');
select is(pg_temp.attempt($$insert into public.notification_events (owner_id, kind, dedupe_key) values ('00000000-0000-4000-a000-00000000000a', 'sync_failing', 'a-2')$$), '42501',
  'other user: cannot insert notification_events for A');
select is(pg_temp.attempt($$update public.notification_events set payload = '{"x": 1}' where id = 2001$$), '42501',
  'other user: cannot update notification_events of A');
select is(pg_temp.attempt($$delete from public.notification_events where id = 2001$$), '42501',
  'other user: cannot delete notification_events of A');
select is(pg_temp.attempt($$select id from public.notification_channels where id = '90000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot see notification_channels of A');
select is(pg_temp.attempt($$insert into public.notification_channels (owner_id, kind) values ('00000000-0000-4000-a000-00000000000a', 'telegram')$$), '42501',
  'other user: cannot insert notification_channels for A');
select is(pg_temp.attempt($$update public.notification_channels set is_active = false where id = '90000000-0000-4000-a000-00000000000a'$$), 'ok:0',
  'other user: cannot update notification_channels of A');
select is(pg_temp.attempt($$delete from public.notification_channels where id = '90000000-0000-4000-a000-00000000000a'$$), '42501',
  'other user: cannot delete notification_channels of A');
select is(pg_temp.attempt($$select id from public.notification_deliveries where id = 3001$$), 'ok:0',
  'other user: cannot see notification_deliveries of A');
select is(pg_temp.attempt($$insert into public.notification_deliveries (event_id, channel_id) values (2001, '90000000-0000-4000-a000-0000000000a2')$$), '42501',
  'other user: cannot insert notification_deliveries for A');
select is(pg_temp.attempt($$update public.notification_deliveries set attempts = 1 where id = 3001$$), '42501',
  'other user: cannot update notification_deliveries of A');
select is(pg_temp.attempt($$delete from public.notification_deliveries where id = 3001$$), '42501',
  'other user: cannot delete notification_deliveries of A');

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
-- anon: nothing at all.
select is(pg_temp.attempt($$select id from public.properties where id = '10000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot select properties');
select is(pg_temp.attempt($$insert into public.properties (owner_id, name) values ('00000000-0000-4000-a000-00000000000a', 'new')$$), '42501',
  'anon: cannot insert properties');
select is(pg_temp.attempt($$update public.properties set name = 'renamed' where id = '10000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot update properties');
select is(pg_temp.attempt($$delete from public.properties where id = '10000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot delete properties');
select is(pg_temp.attempt($$select id from public.property_rates where id = '20000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot select property_rates');
select is(pg_temp.attempt($$insert into public.property_rates (property_id, date, daily_price) values ('10000000-0000-4000-a000-00000000000a', '2027-02-01', 7000)$$), '42501',
  'anon: cannot insert property_rates');
select is(pg_temp.attempt($$update public.property_rates set daily_price = 6500 where id = '20000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot update property_rates');
select is(pg_temp.attempt($$delete from public.property_rates where id = '20000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot delete property_rates');
select is(pg_temp.attempt($$select id from public.bookings where id = '30000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot select bookings');
select is(pg_temp.attempt($$insert into public.bookings (property_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', '2027-03-01', '2027-03-02')$$), '42501',
  'anon: cannot insert bookings');
select is(pg_temp.attempt($$update public.bookings set guest_name = 'Ivan' where id = '30000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot update bookings');
select is(pg_temp.attempt($$delete from public.bookings where id = '30000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot delete bookings');
select is(pg_temp.attempt($$select id from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot select avito_accounts');
select is(pg_temp.attempt($$insert into public.avito_accounts (owner_id, avito_user_id, name) values ('00000000-0000-4000-a000-00000000000a', 1009, 'x')$$), '42501',
  'anon: cannot insert avito_accounts');
select is(pg_temp.attempt($$update public.avito_accounts set name = 'renamed' where id = '40000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot update avito_accounts');
select is(pg_temp.attempt($$delete from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot delete avito_accounts');
select is(pg_temp.attempt($$select id from public.avito_items where id = '50000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot select avito_items');
select is(pg_temp.attempt($$insert into public.avito_items (avito_account_id, avito_item_id) values ('40000000-0000-4000-a000-00000000000a', 3000000009)$$), '42501',
  'anon: cannot insert avito_items');
select is(pg_temp.attempt($$update public.avito_items set title = 'renamed' where id = '50000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot update avito_items');
select is(pg_temp.attempt($$delete from public.avito_items where id = '50000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot delete avito_items');
select is(pg_temp.attempt($$select id from public.integrations where id = '60000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot select integrations');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000009)$$), '42501',
  'anon: cannot insert integrations');
select is(pg_temp.attempt($$update public.integrations set avito_markup = 20 where id = '60000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot update integrations');
select is(pg_temp.attempt($$delete from public.integrations where id = '60000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot delete integrations');
select is(pg_temp.attempt($$select id from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot select avito_sync_queue');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2')$$), '42501',
  'anon: cannot insert avito_sync_queue');
select is(pg_temp.attempt($$update public.avito_sync_queue set next_sync_at = now() where id = '70000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot update avito_sync_queue');
select is(pg_temp.attempt($$delete from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot delete avito_sync_queue');
select is(pg_temp.attempt($$select id from public.avito_sync_runs where id = 1001$$), '42501',
  'anon: cannot select avito_sync_runs');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'manual')$$), '42501',
  'anon: cannot insert avito_sync_runs');
select is(pg_temp.attempt($$update public.avito_sync_runs set error = 'x' where id = 1001$$), '42501',
  'anon: cannot update avito_sync_runs');
select is(pg_temp.attempt($$delete from public.avito_sync_runs where id = 1001$$), '42501',
  'anon: cannot delete avito_sync_runs');
select is(pg_temp.attempt($$select id from public.avito_oauth_states where id = '80000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot select avito_oauth_states');
select is(pg_temp.attempt($$insert into public.avito_oauth_states (owner_id, state_hash) values ('00000000-0000-4000-a000-00000000000a', repeat('c', 64))$$), '42501',
  'anon: cannot insert avito_oauth_states');
select is(pg_temp.attempt($$update public.avito_oauth_states set used_at = now() where id = '80000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot update avito_oauth_states');
select is(pg_temp.attempt($$delete from public.avito_oauth_states where id = '80000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot delete avito_oauth_states');
select is(pg_temp.attempt($$select id from public.notification_events where id = 2001$$), '42501',
  'anon: cannot select notification_events');
select is(pg_temp.attempt($$insert into public.notification_events (owner_id, kind, dedupe_key) values ('00000000-0000-4000-a000-00000000000a', 'sync_failing', 'a-2')$$), '42501',
  'anon: cannot insert notification_events');
select is(pg_temp.attempt($$update public.notification_events set payload = '{"x": 1}' where id = 2001$$), '42501',
  'anon: cannot update notification_events');
select is(pg_temp.attempt($$delete from public.notification_events where id = 2001$$), '42501',
  'anon: cannot delete notification_events');
select is(pg_temp.attempt($$select id from public.notification_channels where id = '90000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot select notification_channels');
select is(pg_temp.attempt($$insert into public.notification_channels (owner_id, kind) values ('00000000-0000-4000-a000-00000000000a', 'telegram')$$), '42501',
  'anon: cannot insert notification_channels');
select is(pg_temp.attempt($$update public.notification_channels set is_active = false where id = '90000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot update notification_channels');
select is(pg_temp.attempt($$delete from public.notification_channels where id = '90000000-0000-4000-a000-00000000000a'$$), '42501',
  'anon: cannot delete notification_channels');
select is(pg_temp.attempt($$select id from public.notification_deliveries where id = 3001$$), '42501',
  'anon: cannot select notification_deliveries');
select is(pg_temp.attempt($$insert into public.notification_deliveries (event_id, channel_id) values (2001, '90000000-0000-4000-a000-0000000000a2')$$), '42501',
  'anon: cannot insert notification_deliveries');
select is(pg_temp.attempt($$update public.notification_deliveries set attempts = 1 where id = 3001$$), '42501',
  'anon: cannot update notification_deliveries');
select is(pg_temp.attempt($$delete from public.notification_deliveries where id = 3001$$), '42501',
  'anon: cannot delete notification_deliveries');

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
-- service_role: the backend reads and writes everything (BYPASSRLS plus explicit grants).
select is(pg_temp.attempt($$select id from public.properties where id = '10000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: select properties');
select is(pg_temp.attempt($$insert into public.properties (owner_id, name) values ('00000000-0000-4000-a000-00000000000a', 'new')$$), 'ok:1',
  'service_role: insert properties');
select is(pg_temp.attempt($$update public.properties set name = 'renamed' where id = '10000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: update properties');
select is(pg_temp.attempt($$delete from public.properties where id = '10000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: delete properties');
select is(pg_temp.attempt($$select id from public.property_rates where id = '20000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: select property_rates');
select is(pg_temp.attempt($$insert into public.property_rates (property_id, date, daily_price) values ('10000000-0000-4000-a000-00000000000a', '2027-02-01', 7000)$$), 'ok:1',
  'service_role: insert property_rates');
select is(pg_temp.attempt($$update public.property_rates set daily_price = 6500 where id = '20000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: update property_rates');
select is(pg_temp.attempt($$delete from public.property_rates where id = '20000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: delete property_rates');
select is(pg_temp.attempt($$select id from public.bookings where id = '30000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: select bookings');
select is(pg_temp.attempt($$insert into public.bookings (property_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', '2027-03-01', '2027-03-02')$$), 'ok:1',
  'service_role: insert bookings');
select is(pg_temp.attempt($$update public.bookings set guest_name = 'Ivan' where id = '30000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: update bookings');
select is(pg_temp.attempt($$delete from public.bookings where id = '30000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: delete bookings');
select is(pg_temp.attempt($$select id from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: select avito_accounts');
select is(pg_temp.attempt($$insert into public.avito_accounts (owner_id, avito_user_id, name) values ('00000000-0000-4000-a000-00000000000a', 1009, 'x')$$), 'ok:1',
  'service_role: insert avito_accounts');
select is(pg_temp.attempt($$update public.avito_accounts set name = 'renamed' where id = '40000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: update avito_accounts');
select is(pg_temp.attempt($$delete from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: delete avito_accounts');
select is(pg_temp.attempt($$select id from public.avito_items where id = '50000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: select avito_items');
select is(pg_temp.attempt($$insert into public.avito_items (avito_account_id, avito_item_id) values ('40000000-0000-4000-a000-00000000000a', 3000000009)$$), 'ok:1',
  'service_role: insert avito_items');
select is(pg_temp.attempt($$update public.avito_items set title = 'renamed' where id = '50000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: update avito_items');
select is(pg_temp.attempt($$delete from public.avito_items where id = '50000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: delete avito_items');
select is(pg_temp.attempt($$select id from public.integrations where id = '60000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: select integrations');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000009)$$), 'ok:1',
  'service_role: insert integrations');
select is(pg_temp.attempt($$update public.integrations set avito_markup = 20 where id = '60000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: update integrations');
select is(pg_temp.attempt($$delete from public.integrations where id = '60000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: delete integrations');
select is(pg_temp.attempt($$select id from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: select avito_sync_queue');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2')$$), 'ok:1',
  'service_role: insert avito_sync_queue');
select is(pg_temp.attempt($$update public.avito_sync_queue set next_sync_at = now() where id = '70000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: update avito_sync_queue');
select is(pg_temp.attempt($$delete from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: delete avito_sync_queue');
select is(pg_temp.attempt($$select id from public.avito_sync_runs where id = 1001$$), 'ok:1',
  'service_role: select avito_sync_runs');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'manual')$$), 'ok:1',
  'service_role: insert avito_sync_runs');
select is(pg_temp.attempt($$update public.avito_sync_runs set error = 'x' where id = 1001$$), 'ok:1',
  'service_role: update avito_sync_runs');
select is(pg_temp.attempt($$delete from public.avito_sync_runs where id = 1001$$), 'ok:1',
  'service_role: delete avito_sync_runs');
select is(pg_temp.attempt($$select id from public.avito_oauth_states where id = '80000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: select avito_oauth_states');
select is(pg_temp.attempt($$insert into public.avito_oauth_states (owner_id, state_hash) values ('00000000-0000-4000-a000-00000000000a', repeat('c', 64))$$), 'ok:1',
  'service_role: insert avito_oauth_states');
select is(pg_temp.attempt($$update public.avito_oauth_states set used_at = now() where id = '80000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: update avito_oauth_states');
select is(pg_temp.attempt($$delete from public.avito_oauth_states where id = '80000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: delete avito_oauth_states');
select is(pg_temp.attempt($$select id from public.notification_events where id = 2001$$), 'ok:1',
  'service_role: select notification_events');
select is(pg_temp.attempt($$insert into public.notification_events (owner_id, kind, dedupe_key) values ('00000000-0000-4000-a000-00000000000a', 'sync_failing', 'a-2')$$), 'ok:1',
  'service_role: insert notification_events');
select is(pg_temp.attempt($$update public.notification_events set payload = '{"x": 1}' where id = 2001$$), 'ok:1',
  'service_role: update notification_events');
select is(pg_temp.attempt($$delete from public.notification_events where id = 2001$$), 'ok:1',
  'service_role: delete notification_events');
select is(pg_temp.attempt($$select id from public.notification_channels where id = '90000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: select notification_channels');
select is(pg_temp.attempt($$insert into public.notification_channels (owner_id, kind) values ('00000000-0000-4000-a000-00000000000a', 'telegram')$$), 'ok:1',
  'service_role: insert notification_channels');
select is(pg_temp.attempt($$update public.notification_channels set is_active = false where id = '90000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: update notification_channels');
select is(pg_temp.attempt($$delete from public.notification_channels where id = '90000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'service_role: delete notification_channels');
select is(pg_temp.attempt($$select id from public.notification_deliveries where id = 3001$$), 'ok:1',
  'service_role: select notification_deliveries');
select is(pg_temp.attempt($$insert into public.notification_deliveries (event_id, channel_id) values (2001, '90000000-0000-4000-a000-0000000000a2')$$), 'ok:1',
  'service_role: insert notification_deliveries');
select is(pg_temp.attempt($$update public.notification_deliveries set attempts = 1 where id = 3001$$), 'ok:1',
  'service_role: update notification_deliveries');
select is(pg_temp.attempt($$delete from public.notification_deliveries where id = 3001$$), 'ok:1',
  'service_role: delete notification_deliveries');
select is(pg_temp.attempt($$select id from public.integrations$$), 'ok:3',
  'service_role: sees the integrations of every host');
reset role;
select * from finish();
rollback;

-- Every unique and check constraint of the schema rejects what it should, and the boundary just
-- inside is accepted. Attempts run as service_role, the role that writes these tables, through
-- pg_temp.attempt (outcome 'ok:<rows>' or the SQLSTATE; always undone). SQLSTATEs: 23505
-- unique, 23514 check, 23503 foreign key, 23502 not null.
begin;
select plan(76);
\ir fixtures/two_hosts.psql

set local role service_role;
-- The listing key of integrations is deferred (checked at commit); check it per statement here.
set constraints all immediate;

select is(pg_temp.attempt($$insert into public.properties (owner_id, name, base_price) values ('00000000-0000-4000-a000-00000000000a', 'x', -1)$$), '23514',
  'properties: negative base_price refused');
select is(pg_temp.attempt($$insert into public.properties (owner_id, name, minimum_booking_days) values ('00000000-0000-4000-a000-00000000000a', 'x', 0)$$), '23514',
  'properties: minimum_booking_days below 1 refused');
select is(pg_temp.attempt($$insert into public.properties (name) values ('no owner')$$), '23502',
  'properties: owner_id required');
select is(pg_temp.attempt($$insert into public.properties (owner_id, name) values ('00000000-0000-4000-a000-0000000000ff', 'x')$$), '23503',
  'properties: owner must be an auth user');
select is(pg_temp.attempt($$insert into public.property_rates (property_id, date, daily_price) values ('10000000-0000-4000-a000-00000000000a', '2027-01-01', 1)$$), '23505',
  'property_rates: one rate per property and date');
select is(pg_temp.attempt($$insert into public.property_rates (property_id, date, daily_price) values ('10000000-0000-4000-a000-00000000000a', '2027-01-02', -1)$$), '23514',
  'property_rates: negative price refused');
select is(pg_temp.attempt($$insert into public.property_rates (property_id, date, daily_price, min_stay) values ('10000000-0000-4000-a000-00000000000a', '2027-01-02', 1, 0)$$), '23514',
  'property_rates: min_stay below 1 refused');
select is(pg_temp.attempt($$insert into public.property_rates (property_id, date, daily_price) values ('10000000-0000-4000-a000-00000000000a', '2027-01-02', 0)$$), 'ok:1',
  'property_rates: a zero price is allowed');
select is(pg_temp.attempt($$insert into public.bookings (property_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', '2027-02-02', '2027-02-02')$$), '23514',
  'bookings: check_out must be after check_in (exclusive)');
select is(pg_temp.attempt($$insert into public.bookings (property_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', '2027-02-02', '2027-02-03')$$), 'ok:1',
  'bookings: one night (check_out = next day) is allowed');
select is(pg_temp.attempt($$insert into public.bookings (property_id, source, external_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', 'cian', '5550002', '2027-02-02', '2027-02-03'), ('10000000-0000-4000-a000-00000000000b', 'cian', '5550002', '2027-02-04', '2027-02-05')$$), '23505',
  'bookings: (source, external_id) is unique for sources other than avito');
select is(pg_temp.attempt($$insert into public.bookings (property_id, source, external_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', 'cian', '5550001', '2027-02-02', '2027-02-03')$$), 'ok:1',
  'bookings: the same external id from another source is fine');
select is(pg_temp.attempt($$insert into public.bookings (property_id, source, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', 'manual', '2027-02-02', '2027-02-03'), ('10000000-0000-4000-a000-00000000000a', 'manual', '2027-02-04', '2027-02-05')$$), 'ok:2',
  'bookings: any number of NULL external ids');
select is(pg_temp.attempt($$insert into public.bookings (property_id, source, avito_booking_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', 'avito', 0, '2027-02-02', '2027-02-03')$$), '23514',
  'bookings: avito_booking_id must be positive');
select is(pg_temp.attempt($$insert into public.bookings (property_id, source, external_id, avito_booking_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', 'avito', '77', 77, '2027-02-02', '2027-02-03'), ('10000000-0000-4000-a000-00000000000a', 'avito', '77b', 77, '2027-02-04', '2027-02-05')$$), '23505',
  'bookings: one avito row per avito_booking_id and property');
select is(pg_temp.attempt($$insert into public.bookings (property_id, source, external_id, avito_booking_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', 'avito', '78', 78, '2027-02-02', '2027-02-03'), ('10000000-0000-4000-a000-00000000000b', 'avito', '78', 78, '2027-02-04', '2027-02-05')$$), 'ok:2',
  'bookings: an Avito booking id held on one property never blocks another property');
select is(pg_temp.attempt($$insert into public.avito_accounts (owner_id, avito_user_id, name) values ('00000000-0000-4000-a000-00000000000a', 0, 'x')$$), '23514',
  'avito_accounts: avito_user_id must be positive');
select is(pg_temp.attempt($$insert into public.avito_accounts (owner_id, avito_user_id, name, status) values ('00000000-0000-4000-a000-00000000000a', 1009, 'x', 'paused')$$), '23514',
  'avito_accounts: unknown status refused');
select is(pg_temp.attempt($$insert into public.avito_accounts (owner_id, avito_user_id, name) values ('00000000-0000-4000-a000-00000000000a', 1001, 'again')$$), '23505',
  'avito_accounts: one row per owner and Avito user');
select is(pg_temp.attempt($$insert into public.avito_accounts (owner_id, avito_user_id, name) values ('00000000-0000-4000-a000-00000000000b', 1001, 'shared')$$), 'ok:1',
  'avito_accounts: another owner may connect the same Avito user');
select is(pg_temp.attempt($$insert into public.avito_items (avito_account_id, avito_item_id) values ('40000000-0000-4000-a000-00000000000a', -3)$$), '23514',
  'avito_items: avito_item_id must be positive');
select is(pg_temp.attempt($$insert into public.avito_items (avito_account_id, avito_item_id) values ('40000000-0000-4000-a000-00000000000a', 3000000001)$$), '23505',
  'avito_items: one row per account and listing');
select is(pg_temp.attempt($$insert into public.avito_items (avito_account_id, avito_item_id, data) values ('40000000-0000-4000-a000-00000000000a', 3000000009, '[]')$$), '23514',
  'avito_items: data must be an object');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000009, 15, 'needs_reconnect', 'cian', null, true)$$), '23514',
  'integrations: platform must be avito');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 0, 3000000009, 15, 'needs_reconnect', 'avito', null, true)$$), '23514',
  'integrations: avito_user_id must be positive');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 1001, 0, 15, 'needs_reconnect', 'avito', null, true)$$), '23514',
  'integrations: avito_item_id must be positive');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000009, -100000.01, 'needs_reconnect', 'avito', null, true)$$), '23514',
  'integrations: a fixed RUB markup above 100 000 refused');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000009, 100.01, 'needs_reconnect', 'avito', null, true)$$), '23514',
  'integrations: markup above 100 refused');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000009, 0, 'needs_reconnect', 'avito', null, true)$$), 'ok:1',
  'integrations: markup 0 allowed');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000009, 100, 'needs_reconnect', 'avito', null, true)$$), 'ok:1',
  'integrations: markup 100 allowed');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000009, 15, 'broken', 'avito', null, true)$$), '23514',
  'integrations: unknown status refused');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-00000000000a', 1001, 3000000009, 15, 'needs_reconnect', 'avito', null, false)$$), '23505',
  'integrations: unique (property_id, platform), even inactive');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-00000000000a', 1001, 3000000001, 15, 'needs_reconnect', 'avito', null, false)$$), '23505',
  'integrations: unique (property_id, avito_item_id)');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 9999, 3000000001, 15, 'disconnected', 'avito', '40000000-0000-4000-a000-00000000000a', false)$$), '23503',
  'integrations: avito_user_id must match the linked account');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000099, 15, 'active', 'avito', '40000000-0000-4000-a000-00000000000a', true)$$), '23503',
  'integrations: a linked listing must be one of the items of the account');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000001, 15, 'active', 'avito', '40000000-0000-4000-a000-00000000000a', true)$$), '23505',
  'integrations: one active linked integration per listing');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000001, 15, 'disconnected', 'avito', '40000000-0000-4000-a000-00000000000a', false)$$), 'ok:1',
  'integrations: an inactive one may share the listing');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_markup, status, platform, avito_account_id, is_active) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000001, 15, 'needs_reconnect', 'avito', null, true)$$), 'ok:1',
  'integrations: an unlinked row cannot block the listing');
select is(pg_temp.attempt($$update public.integrations set avito_item_id = 3000000003 where id = '60000000-0000-4000-a000-00000000000a'$$), 'ok:1',
  'integrations: moving a linked row to an unrecorded listing is not refused (the app edits it)');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a')$$), '23505',
  'avito_sync_queue: one row per integration');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-00000000000a')$$), '23503',
  'avito_sync_queue: the property must be that of the integration');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id, status) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2', 'done')$$), '23514',
  'avito_sync_queue: unknown status refused');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id, attempts) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2', -1)$$), '23514',
  'avito_sync_queue: attempts cannot be negative');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id, lease_owner) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2', 'worker-1')$$), '23514',
  'avito_sync_queue: a lease has an owner and an expiry together');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger, outcome, counts, api_calls, duration_ms, started_at, finished_at) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'cron', null, '{}', 0, null, now(), null)$$), '23514',
  'avito_sync_runs: unknown trigger refused');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger, outcome, counts, api_calls, duration_ms, started_at, finished_at) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'tick', 'meh', '{}', 0, null, now(), now())$$), '23514',
  'avito_sync_runs: unknown outcome refused');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger, outcome, counts, api_calls, duration_ms, started_at, finished_at) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'tick', null, '[]', 0, null, now(), null)$$), '23514',
  'avito_sync_runs: counts must be an object');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger, outcome, counts, api_calls, duration_ms, started_at, finished_at) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'tick', null, '{}', -1, null, now(), null)$$), '23514',
  'avito_sync_runs: api_calls cannot be negative');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger, outcome, counts, api_calls, duration_ms, started_at, finished_at) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'tick', 'success', '{}', 0, -5, now(), now())$$), '23514',
  'avito_sync_runs: duration cannot be negative');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger, outcome, counts, api_calls, duration_ms, started_at, finished_at) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'tick', 'success', '{}', 0, 5, now(), now() - interval '1 second')$$), '23514',
  'avito_sync_runs: cannot finish before it started');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger, outcome, counts, api_calls, duration_ms, started_at, finished_at) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'tick', null, '{}', 0, 5, now(), now())$$), '23514',
  'avito_sync_runs: a finished run has an outcome');
select is(pg_temp.attempt($$insert into public.avito_sync_runs (integration_id, property_id, trigger, outcome, counts, api_calls, duration_ms, started_at, finished_at) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'manual', null, '{}', 0, null, now(), null)$$), 'ok:1',
  'avito_sync_runs: a running run has no outcome yet');
select is(pg_temp.attempt($$insert into public.avito_oauth_states (owner_id, property_id, state_hash) values ('00000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', repeat('a', 64))$$), '23505',
  'avito_oauth_states: a state hash is used once');
select is(pg_temp.attempt($$insert into public.avito_oauth_states (owner_id, property_id, state_hash) values ('00000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'short')$$), '23514',
  'avito_oauth_states: the raw state is not stored (hash length)');
select is(pg_temp.attempt($$insert into public.avito_oauth_states (owner_id, property_id, state_hash, expires_at) values ('00000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', repeat('d', 64), now() + interval '2 hours')$$), '23514',
  'avito_oauth_states: at most one hour valid');
select is(pg_temp.attempt($$insert into public.avito_oauth_states (owner_id, property_id, state_hash, expires_at) values ('00000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', repeat('d', 64), now() - interval '1 minute')$$), '23514',
  'avito_oauth_states: expiry after creation');
select is(pg_temp.attempt($$insert into public.avito_oauth_states (owner_id, property_id, state_hash, used_at) values ('00000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', repeat('d', 64), now() - interval '1 minute')$$), '23514',
  'avito_oauth_states: used after creation');
select is(pg_temp.attempt($$insert into public.avito_oauth_states (owner_id, property_id, state_hash, progress) values ('00000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', repeat('d', 64), '"step"')$$), '23514',
  'avito_oauth_states: progress must be an object');
select is(pg_temp.attempt($$insert into public.notification_events (owner_id, kind, dedupe_key, payload) values ('00000000-0000-4000-a000-00000000000a', 'booking_created', 'a-1', '{}')$$), '23505',
  'notification_events: dedupe_key is unique');
select is(pg_temp.attempt($$insert into public.notification_events (owner_id, kind, dedupe_key, payload) values ('00000000-0000-4000-a000-00000000000a', 'booking_moved', 'a-9', '{}')$$), '23514',
  'notification_events: unknown kind refused');
select is(pg_temp.attempt($$insert into public.notification_events (owner_id, kind, dedupe_key, payload) values ('00000000-0000-4000-a000-00000000000a', 'booking_created', 'a-9', '[]')$$), '23514',
  'notification_events: payload must be an object');
select is(pg_temp.attempt($$insert into public.notification_events (owner_id, kind, dedupe_key, payload) values ('00000000-0000-4000-a000-00000000000a', 'booking_created', '', '{}')$$), '23514',
  'notification_events: dedupe_key cannot be empty');
select is(pg_temp.attempt($$insert into public.notification_events (owner_id, kind, dedupe_key, payload) values ('00000000-0000-4000-a000-00000000000a', 'needs_reconnect', 'a-9', '{}')$$), 'ok:1',
  'notification_events: account-level events need no property');
select is(pg_temp.attempt($$insert into public.notification_channels (owner_id, kind, config) values ('00000000-0000-4000-a000-00000000000a', 'sms', '{}')$$), '23514',
  'notification_channels: unknown kind refused');
select is(pg_temp.attempt($$insert into public.notification_channels (owner_id, kind, config) values ('00000000-0000-4000-a000-00000000000a', 'telegram', '[1]')$$), '23514',
  'notification_channels: config must be an object');
select is(pg_temp.attempt($$insert into public.notification_channels (owner_id, kind, config) values ('00000000-0000-4000-a000-00000000000a', 'webhook', '{"url": "https://example.test", "secret": "s"}')$$), '23514',
  'notification_channels: no secrets in config');
select is(pg_temp.attempt($$insert into public.notification_channels (owner_id, kind, config) values ('00000000-0000-4000-a000-00000000000a', 'telegram', '{"chat_id": 42, "bot_token": "t"}')$$), '23514',
  'notification_channels: no bot token in config');
select is(pg_temp.attempt($$insert into public.notification_deliveries (event_id, channel_id, status, attempts, delivered_at) values (2001, '90000000-0000-4000-a000-00000000000a', 'pending', 0, null)$$), '23505',
  'notification_deliveries: one delivery per event and channel');
select is(pg_temp.attempt($$insert into public.notification_deliveries (event_id, channel_id, status, attempts, delivered_at) values (2001, '90000000-0000-4000-a000-0000000000a2', 'sent', 0, null)$$), '23514',
  'notification_deliveries: unknown status refused');
select is(pg_temp.attempt($$insert into public.notification_deliveries (event_id, channel_id, status, attempts, delivered_at) values (2001, '90000000-0000-4000-a000-0000000000a2', 'pending', -1, null)$$), '23514',
  'notification_deliveries: attempts cannot be negative');
select is(pg_temp.attempt($$insert into public.notification_deliveries (event_id, channel_id, status, attempts, delivered_at) values (2001, '90000000-0000-4000-a000-0000000000a2', 'delivered', 1, null)$$), '23514',
  'notification_deliveries: delivered means delivered_at');
select is(pg_temp.attempt($$insert into public.notification_deliveries (event_id, channel_id, status, attempts, delivered_at) values (2001, '90000000-0000-4000-a000-0000000000a2', 'pending', 0, now())$$), '23514',
  'notification_deliveries: delivered_at only when delivered');
select is(pg_temp.attempt($$insert into public.notification_deliveries (event_id, channel_id, status, attempts, delivered_at) values (2001, '90000000-0000-4000-a000-0000000000a2', 'delivered', 1, now())$$), 'ok:1',
  'notification_deliveries: a delivered row');

select is((select avito_markup from public.integrations where id = '60000000-0000-4000-a000-0000000000a2'), 15.00::numeric(5, 2),
  'integrations: the markup defaults to 15');
select is((select expires_at - created_at from public.avito_oauth_states where id = '80000000-0000-4000-a000-00000000000a'),
  interval '1 hour', 'avito_oauth_states: a state expires one hour after it was issued');
delete from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a';
select is((select avito_account_id from public.integrations where id = '60000000-0000-4000-a000-00000000000a'), null,
  'integrations: deleting an account unlinks its integrations instead of deleting them');

reset role;
select * from finish();
rollback;

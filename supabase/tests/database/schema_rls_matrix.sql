-- RLS and grants matrix: owner A, another host B, anon and service_role against every table, for
-- select, insert, update and delete, plus the column and row rules the owner's writes meet.
-- Every attempt runs through pg_temp.attempt as the given role (with request.jwt.claims, as
-- PostgREST does), reports 'ok:<rows>' or the SQLSTATE, and is always undone, so attempts do not
-- affect each other. 42501 is both "permission denied" (no grant) and "violates row-level
-- security policy"; ok:0 is RLS silently hiding a row.
begin;
select plan(203);
\ir fixtures/two_hosts.psql

-- One statement per table and command, each aimed at a row of host A (or inserting one for A).
create function pg_temp.matrix_statements() returns table (tbl text, cmd text, stmt text)
language sql
as $m$
  values
    ('properties', 'select',
     $$select id from public.properties where id = '10000000-0000-4000-a000-00000000000a'$$),
    ('properties', 'insert',
     $$insert into public.properties (owner_id, name) values ('00000000-0000-4000-a000-00000000000a', 'new')$$),
    ('properties', 'update',
     $$update public.properties set name = 'renamed' where id = '10000000-0000-4000-a000-00000000000a'$$),
    ('properties', 'delete',
     $$delete from public.properties where id = '10000000-0000-4000-a000-00000000000a'$$),
    ('property_rates', 'select',
     $$select id from public.property_rates where id = '20000000-0000-4000-a000-00000000000a'$$),
    ('property_rates', 'insert',
     $$insert into public.property_rates (property_id, date, daily_price) values ('10000000-0000-4000-a000-00000000000a', '2027-02-01', 7000)$$),
    ('property_rates', 'update',
     $$update public.property_rates set daily_price = 6500 where id = '20000000-0000-4000-a000-00000000000a'$$),
    ('property_rates', 'delete',
     $$delete from public.property_rates where id = '20000000-0000-4000-a000-00000000000a'$$),
    ('bookings', 'select',
     $$select id from public.bookings where id = '30000000-0000-4000-a000-00000000000a'$$),
    ('bookings', 'insert',
     $$insert into public.bookings (property_id, check_in, check_out) values ('10000000-0000-4000-a000-00000000000a', '2027-03-01', '2027-03-02')$$),
    ('bookings', 'update',
     $$update public.bookings set guest_name = 'Ivan' where id = '30000000-0000-4000-a000-00000000000a'$$),
    ('bookings', 'delete',
     $$delete from public.bookings where id = '30000000-0000-4000-a000-00000000000a'$$),
    ('avito_accounts', 'select',
     $$select id from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a'$$),
    ('avito_accounts', 'insert',
     $$insert into public.avito_accounts (owner_id, avito_user_id, name) values ('00000000-0000-4000-a000-00000000000a', 1009, 'x')$$),
    ('avito_accounts', 'update',
     $$update public.avito_accounts set name = 'renamed' where id = '40000000-0000-4000-a000-00000000000a'$$),
    ('avito_accounts', 'delete',
     $$delete from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a'$$),
    ('avito_items', 'select',
     $$select id from public.avito_items where id = '50000000-0000-4000-a000-00000000000a'$$),
    ('avito_items', 'insert',
     $$insert into public.avito_items (avito_account_id, avito_item_id) values ('40000000-0000-4000-a000-00000000000a', 3000000009)$$),
    ('avito_items', 'update',
     $$update public.avito_items set title = 'renamed' where id = '50000000-0000-4000-a000-00000000000a'$$),
    ('avito_items', 'delete',
     $$delete from public.avito_items where id = '50000000-0000-4000-a000-00000000000a'$$),
    ('integrations', 'select',
     $$select id from public.integrations where id = '60000000-0000-4000-a000-00000000000a'$$),
    ('integrations', 'insert',
     $$insert into public.integrations (property_id, avito_user_id, avito_item_id) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000009)$$),
    ('integrations', 'update',
     $$update public.integrations set avito_markup = 20 where id = '60000000-0000-4000-a000-00000000000a'$$),
    ('integrations', 'delete',
     $$delete from public.integrations where id = '60000000-0000-4000-a000-00000000000a'$$),
    ('avito_sync_queue', 'select',
     $$select id from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$),
    ('avito_sync_queue', 'insert',
     $$insert into public.avito_sync_queue (integration_id, property_id) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2')$$),
    ('avito_sync_queue', 'update',
     $$update public.avito_sync_queue set next_sync_at = now() where id = '70000000-0000-4000-a000-00000000000a'$$),
    ('avito_sync_queue', 'delete',
     $$delete from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$),
    ('avito_sync_runs', 'select',
     $$select id from public.avito_sync_runs where id = 1001$$),
    ('avito_sync_runs', 'insert',
     $$insert into public.avito_sync_runs (integration_id, property_id, trigger) values ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a', 'manual')$$),
    ('avito_sync_runs', 'update',
     $$update public.avito_sync_runs set error = 'x' where id = 1001$$),
    ('avito_sync_runs', 'delete',
     $$delete from public.avito_sync_runs where id = 1001$$),
    ('avito_oauth_states', 'select',
     $$select id from public.avito_oauth_states where id = '80000000-0000-4000-a000-00000000000a'$$),
    ('avito_oauth_states', 'insert',
     $$insert into public.avito_oauth_states (owner_id, state_hash) values ('00000000-0000-4000-a000-00000000000a', repeat('c', 64))$$),
    ('avito_oauth_states', 'update',
     $$update public.avito_oauth_states set used_at = now() where id = '80000000-0000-4000-a000-00000000000a'$$),
    ('avito_oauth_states', 'delete',
     $$delete from public.avito_oauth_states where id = '80000000-0000-4000-a000-00000000000a'$$),
    ('notification_events', 'select',
     $$select id from public.notification_events where id = 2001$$),
    ('notification_events', 'insert',
     $$insert into public.notification_events (owner_id, kind, dedupe_key) values ('00000000-0000-4000-a000-00000000000a', 'sync_failing', 'a-2')$$),
    ('notification_events', 'update',
     $$update public.notification_events set payload = '{"x": 1}' where id = 2001$$),
    ('notification_events', 'delete',
     $$delete from public.notification_events where id = 2001$$),
    ('notification_channels', 'select',
     $$select id from public.notification_channels where id = '90000000-0000-4000-a000-00000000000a'$$),
    ('notification_channels', 'insert',
     $$insert into public.notification_channels (owner_id, kind) values ('00000000-0000-4000-a000-00000000000a', 'telegram')$$),
    ('notification_channels', 'update',
     $$update public.notification_channels set is_active = false where id = '90000000-0000-4000-a000-00000000000a'$$),
    ('notification_channels', 'delete',
     $$delete from public.notification_channels where id = '90000000-0000-4000-a000-00000000000a'$$),
    ('notification_deliveries', 'select',
     $$select id from public.notification_deliveries where id = 3001$$),
    ('notification_deliveries', 'insert',
     $$insert into public.notification_deliveries (event_id, channel_id) values (2001, '90000000-0000-4000-a000-0000000000a2')$$),
    ('notification_deliveries', 'update',
     $$update public.notification_deliveries set attempts = 1 where id = 3001$$),
    ('notification_deliveries', 'delete',
     $$delete from public.notification_deliveries where id = 3001$$)
$m$;

-- What each caller gets, per table, for select, insert, update, delete. The owner writes only
-- where the app does; B meets RLS (ok:0, or 42501 for a row it may not insert) or a missing
-- grant; anon has no grant at all; service_role has every grant and bypasses RLS.
create function pg_temp.matrix_outcomes() returns table (who text, tbl text, outcomes text[])
language sql
as $m$
  values
    ('owner', 'properties', '{ok:1,ok:1,ok:1,ok:1}'::text[]),
    ('owner', 'property_rates', '{ok:1,ok:1,ok:1,ok:1}'),
    ('owner', 'bookings', '{ok:1,ok:1,ok:1,ok:1}'),
    ('owner', 'avito_accounts', '{ok:1,42501,42501,42501}'),
    ('owner', 'avito_items', '{ok:1,42501,42501,42501}'),
    ('owner', 'integrations', '{ok:1,ok:1,ok:1,ok:1}'),
    ('owner', 'avito_sync_queue', '{ok:1,ok:1,42501,ok:1}'),
    ('owner', 'avito_sync_runs', '{ok:1,42501,42501,42501}'),
    ('owner', 'avito_oauth_states', '{ok:1,42501,42501,42501}'),
    ('owner', 'notification_events', '{ok:1,42501,42501,42501}'),
    ('owner', 'notification_channels', '{ok:1,42501,ok:1,42501}'),
    ('owner', 'notification_deliveries', '{ok:1,42501,42501,42501}'),
    ('other user', 'properties', '{ok:0,42501,ok:0,ok:0}'),
    ('other user', 'property_rates', '{ok:0,42501,ok:0,ok:0}'),
    ('other user', 'bookings', '{ok:0,42501,ok:0,ok:0}'),
    ('other user', 'avito_accounts', '{ok:0,42501,42501,42501}'),
    ('other user', 'avito_items', '{ok:0,42501,42501,42501}'),
    ('other user', 'integrations', '{ok:0,42501,ok:0,ok:0}'),
    ('other user', 'avito_sync_queue', '{ok:0,42501,42501,ok:0}'),
    ('other user', 'avito_sync_runs', '{ok:0,42501,42501,42501}'),
    ('other user', 'avito_oauth_states', '{ok:0,42501,42501,42501}'),
    ('other user', 'notification_events', '{ok:0,42501,42501,42501}'),
    ('other user', 'notification_channels', '{ok:0,42501,ok:0,42501}'),
    ('other user', 'notification_deliveries', '{ok:0,42501,42501,42501}'),
    ('anon', 'properties', '{42501,42501,42501,42501}'),
    ('anon', 'property_rates', '{42501,42501,42501,42501}'),
    ('anon', 'bookings', '{42501,42501,42501,42501}'),
    ('anon', 'avito_accounts', '{42501,42501,42501,42501}'),
    ('anon', 'avito_items', '{42501,42501,42501,42501}'),
    ('anon', 'integrations', '{42501,42501,42501,42501}'),
    ('anon', 'avito_sync_queue', '{42501,42501,42501,42501}'),
    ('anon', 'avito_sync_runs', '{42501,42501,42501,42501}'),
    ('anon', 'avito_oauth_states', '{42501,42501,42501,42501}'),
    ('anon', 'notification_events', '{42501,42501,42501,42501}'),
    ('anon', 'notification_channels', '{42501,42501,42501,42501}'),
    ('anon', 'notification_deliveries', '{42501,42501,42501,42501}'),
    ('service_role', 'properties', '{ok:1,ok:1,ok:1,ok:1}'),
    ('service_role', 'property_rates', '{ok:1,ok:1,ok:1,ok:1}'),
    ('service_role', 'bookings', '{ok:1,ok:1,ok:1,ok:1}'),
    ('service_role', 'avito_accounts', '{ok:1,ok:1,ok:1,ok:1}'),
    ('service_role', 'avito_items', '{ok:1,ok:1,ok:1,ok:1}'),
    ('service_role', 'integrations', '{ok:1,ok:1,ok:1,ok:1}'),
    ('service_role', 'avito_sync_queue', '{ok:1,ok:1,ok:1,ok:1}'),
    ('service_role', 'avito_sync_runs', '{ok:1,ok:1,ok:1,ok:1}'),
    ('service_role', 'avito_oauth_states', '{ok:1,ok:1,ok:1,ok:1}'),
    ('service_role', 'notification_events', '{ok:1,ok:1,ok:1,ok:1}'),
    ('service_role', 'notification_channels', '{ok:1,ok:1,ok:1,ok:1}'),
    ('service_role', 'notification_deliveries', '{ok:1,ok:1,ok:1,ok:1}')
$m$;

select is(pg_temp.attempt(s.stmt, w.role, w.sub), o.outcomes[c.ord],
          format('%s: %s %s', o.who, s.cmd, s.tbl))
from pg_temp.matrix_outcomes() o
join pg_temp.matrix_statements() s using (tbl)
join (values ('select', 1), ('insert', 2), ('update', 3), ('delete', 4)) c (cmd, ord) using (cmd)
join (values (1, 'owner', 'authenticated', '00000000-0000-4000-a000-00000000000a'::uuid),
             (2, 'other user', 'authenticated', '00000000-0000-4000-a000-00000000000b'),
             (3, 'anon', 'anon', null),
             (4, 'service_role', 'service_role', null)) w (n, who, role, sub) using (who)
order by w.n, s.tbl, c.ord;

-- Columns only the service decides stay out of the owner's reach, and the owner's writes keep
-- to their own properties.
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "00000000-0000-4000-a000-00000000000a", "role": "authenticated"}', true);
select is(pg_temp.attempt($$update public.integrations set status = 'active' where id = '60000000-0000-4000-a000-0000000000a2'$$), '42501',
  'owner: cannot set integrations.status');
select is(pg_temp.attempt($$update public.integrations set avito_account_id = '40000000-0000-4000-a000-00000000000a' where id = '60000000-0000-4000-a000-0000000000a2'$$), '42501',
  'owner: cannot link an account');
select is(pg_temp.attempt($$update public.integrations set last_sync_at = now(), last_error = null where id = '60000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: cannot write sync results');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id, avito_account_id) values ('10000000-0000-4000-a000-0000000000a3', 1001, 3000000001, '40000000-0000-4000-a000-00000000000a')$$), '42501',
  'owner: cannot insert a linked integration');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id, next_sync_at) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2', now())$$), 'ok:1',
  'owner: the app''s queue insert (with next_sync_at) is accepted');
select is(pg_temp.attempt($$insert into public.avito_sync_queue (integration_id, property_id, attempts) values ('60000000-0000-4000-a000-0000000000a2', '10000000-0000-4000-a000-0000000000a2', 0)$$), '42501',
  'owner: cannot write the queue''s retry state');
select is(pg_temp.attempt($$update public.notification_channels set config = '{}' where id = '90000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: cannot rewrite a channel config');
select is(pg_temp.attempt($$update public.integrations set property_id = '10000000-0000-4000-a000-00000000000b' where id = '60000000-0000-4000-a000-00000000000a'$$), '42501',
  'owner: cannot move an integration to a foreign property');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id) values ('10000000-0000-4000-a000-00000000000a', 1001, 3000000009)$$), '23505',
  'owner: one avito integration per property');
select is(pg_temp.attempt($$insert into public.integrations (property_id, avito_user_id, avito_item_id) values ('10000000-0000-4000-a000-0000000000a4', 1001, 3000000009)$$), '42501',
  'owner: cannot connect a deleted property');
reset role;

select is(pg_temp.attempt($$select id from public.integrations$$, 'service_role'), 'ok:3',
  'service_role: sees the integrations of every host');

select * from finish();
rollback;

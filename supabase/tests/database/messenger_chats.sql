-- Messages (issue #15): the app's chats and messages are owner-only and in Realtime; a new
-- guest message moves its chat's counters; the service's webhook tokens are service-only; a
-- new_message event reaches channels that chose it.
begin;
select plan(8);

insert into auth.users (id, aud, role, email) values
  ('00000000-0000-4000-8000-00000000e001', 'authenticated', 'authenticated', 'm1@example.test'),
  ('00000000-0000-4000-8000-00000000e002', 'authenticated', 'authenticated', 'm2@example.test');
insert into public.chats (id, owner_id, avito_chat_id, avito_user_id) values
  ('00000000-0000-4000-8000-00000000ec01', '00000000-0000-4000-8000-00000000e001', 'u2i-1', '1');

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000e001", "role": "authenticated"}';
insert into public.messages (chat_id, avito_message_id, sender_type, text) values
  ('00000000-0000-4000-8000-00000000ec01', 'm-1', 'contact', 'Здравствуйте');
select is((select unread_count from public.chats), 1, 'a guest message counts as unread');
select is((select last_message_text from public.chats), 'Здравствуйте', 'and moves the preview');
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000e002", "role": "authenticated"}';
select is((select count(*)::int from public.chats), 0, 'another host sees no chat');
select is((select count(*)::int from public.messages), 0, 'nor its messages');
select throws_ok(
  $$insert into public.messages (chat_id, sender_type) values
    ('00000000-0000-4000-8000-00000000ec01', 'user')$$,
  '42501', null, 'nor writes into it');
reset role;

select ok(not has_table_privilege('authenticated', 'public.avito_messenger_webhooks', 'select'),
          'webhook token hashes are service-only');
select is((select count(*)::int from pg_publication_tables
           where pubname = 'supabase_realtime' and tablename in ('chats', 'messages')), 2,
          'chats and messages are in Realtime');

insert into public.notification_channels (owner_id, kind, config, events) values
  ('00000000-0000-4000-8000-00000000e001', 'webhook', '{"url": "https://hooks.example/m"}',
   array['new_message']);
insert into public.notification_events (owner_id, kind, dedupe_key) values
  ('00000000-0000-4000-8000-00000000e001', 'new_message', 'm-e-1');
select is((select count(*)::int from public.notification_deliveries), 1,
          'a new guest message reaches a channel that chose it');

select * from finish();
rollback;

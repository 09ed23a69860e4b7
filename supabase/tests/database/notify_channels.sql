-- Channels (issue #11): the new functions are definer, search_path-pinned and service-only;
-- push subscriptions are owner-only (the app's "read all" policy is gone); channel secrets live
-- in Vault and go with their channel; the fan-out honours the host's event choice.
begin;
select plan(8);

select is(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'avito_private'
     and p.proname in ('channel_secret_put', 'channel_secret_read', 'telegram_link_create',
                       'telegram_link_consume', 'telegram_unlink', 'notify_channel_test',
                       'channels_of', 'prune_retention', 'note_sync_health',
                       'notify_event_details', 'delete_channel_secret')
     and p.prosecdef and p.proconfig = array['search_path=""']
     and not has_function_privilege('authenticated', p.oid, 'execute')
     and not has_function_privilege('anon', p.oid, 'execute')),
  11, 'channel, link, retention and alert functions are definer, pinned, closed to clients');

select ok(not exists (select 1 from pg_policy where polrelid = 'public.push_subscriptions'::regclass
                      and polname not like 'push_subscriptions_owner_%'),
          'only owner policies on push_subscriptions');
select ok(not has_table_privilege('authenticated', 'avito_private.telegram_link_tokens', 'select'),
          'link tokens are private');

insert into auth.users (id, aud, role, email) values
  ('00000000-0000-4000-8000-00000000f001', 'authenticated', 'authenticated', 'c1@example.test'),
  ('00000000-0000-4000-8000-00000000f002', 'authenticated', 'authenticated', 'c2@example.test');
insert into public.push_subscriptions (user_id, endpoint, p256dh, auth) values
  ('00000000-0000-4000-8000-00000000f001', 'https://push.example/1', 'k', 'a');
insert into public.notification_channels (id, owner_id, kind, config, events) values
  ('00000000-0000-4000-8000-00000000fc01', '00000000-0000-4000-8000-00000000f001', 'webhook',
   '{"url": "https://hooks.example/1"}', array['new_booking']);
select avito_private.channel_secret_put('00000000-0000-4000-8000-00000000fc01', repeat('s', 40));

select is(avito_private.channel_secret_read('00000000-0000-4000-8000-00000000fc01'),
          repeat('s', 40), 'the secret round-trips through Vault');

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000f002", "role": "authenticated"}';
select is((select count(*)::int from public.push_subscriptions), 0,
          'another host sees no push subscription');
reset role;

insert into public.notification_events (owner_id, kind, dedupe_key) values
  ('00000000-0000-4000-8000-00000000f001', 'booking_cancelled', 'c-1'),
  ('00000000-0000-4000-8000-00000000f001', 'booking_created', 'c-2');
select is((select array_agg(e.kind) from public.notification_deliveries d
           join public.notification_events e on e.id = d.event_id),
          array['booking_created'], 'only the chosen category is fanned out');

delete from public.notification_channels where id = '00000000-0000-4000-8000-00000000fc01';
select is((select count(*)::int from vault.secrets where name like 'notify:%'), 0,
          'removing the channel removes its secret');

select is(avito_private.notify_event_category('channel_test'), null,
          'a channel test is never fanned out');

select * from finish();
rollback;

-- Queue functions: private, SECURITY DEFINER with an empty search_path, service_role only;
-- claim takes a lease that nobody else can take, failure backs off, triggers mark rows due.
begin;
select plan(18);

select is(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'avito_private'
     and p.proname in ('claim_sync_batch', 'claim_integration', 'extend_sync_lease',
                       'complete_sync_success', 'complete_sync_failure', 'enqueue_integration',
                       'remove_integration_from_queue', 'pause_integration_sync',
                       'resume_integration_sync', 'record_sync_result',
                       'mark_account_needs_reconnect', 'request_poll', 'configure_poll_target',
                       'schedule_sync_jobs')
     and p.prosecdef and p.proconfig = array['search_path=""']
     and has_function_privilege('service_role', p.oid, 'execute')
     and not has_function_privilege('authenticated', p.oid, 'execute')
     and not has_function_privilege('anon', p.oid, 'execute')),
  -- 15: claim_sync_batch has a three- and a four-argument form (20261206150000).
  15, 'every queue and tick function is definer, search_path-pinned, service_role only');

select ok(
  (select not p.prosecdef and p.proconfig = array['search_path=""']
          and not has_function_privilege('service_role', p.oid, 'execute')
          and not has_function_privilege('authenticated', p.oid, 'execute')
          and not has_function_privilege('anon', p.oid, 'execute')
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'avito_private' and p.proname = 'catch_up_after_outage'),
  'the outage catch-up runs only inside complete_sync_success');

insert into auth.users (id, aud, role, email)
values ('00000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'q@example.test');
insert into public.properties (id, owner_id, name, base_price)
values ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000001', 'P', 1000);
insert into public.avito_accounts (id, owner_id, avito_user_id, name, status)
values ('00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-000000000001', 77, 'H',
        'active');
insert into public.integrations (id, property_id, avito_account_id, avito_user_id, avito_item_id,
                                 is_active, status)
values ('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000a1',
        '00000000-0000-4000-8000-0000000000b1', 77, 1234567890, true, 'active');

select ok(avito_private.enqueue_integration('00000000-0000-4000-8000-0000000000c1', 'initial'),
          'an active integration is enqueued');
select is((select integration_id from avito_private.claim_sync_batch('w1', 10, 60)),
          '00000000-0000-4000-8000-0000000000c1'::uuid, 'the due row is claimed');
select is((select count(*)::int from avito_private.claim_sync_batch('w2', 10, 60)), 0,
          'a leased row is not claimed again');
select ok(not avito_private.complete_sync_success('00000000-0000-4000-8000-0000000000c1', 'w2', 10),
          'only the lease owner completes');
select throws_ok($$select avito_private.extend_sync_lease('00000000-0000-4000-8000-0000000000c1', 'w1', 0)$$,
                 '22023', null, 'a lease is extended by 1..3600 seconds only');
select throws_ok($$select avito_private.enqueue_integration('00000000-0000-4000-8000-0000000000c1', null)$$,
                 '22023', null, 'enqueueing needs a known reason');
select ok(avito_private.complete_sync_failure('00000000-0000-4000-8000-0000000000c1', 'w1',
                                              'boom', 10, 3600), 'the owner records a failure');
select is((select attempts from public.avito_sync_queue), 1, 'attempts counted');
select ok((select next_sync_at between now() + interval '5 seconds' and now() + interval '10 seconds'
           from public.avito_sync_queue), 'first retry after 5-10 s');

update public.avito_sync_queue set attempts = 0, next_sync_at = now() + interval '1 hour';
insert into public.bookings (property_id, check_in, check_out, status)
values ('00000000-0000-4000-8000-0000000000a1', current_date + 3, current_date + 5, 'confirmed');
select is((select wake_reason from public.avito_sync_queue), 'change',
          'a new booking makes the row due for a change');
select ok((select next_sync_at <= now() from public.avito_sync_queue), 'and due now');

select ok(avito_private.mark_account_needs_reconnect('00000000-0000-4000-8000-0000000000b1', 'x'),
          'reconnect needed');
select is((select count(*)::int from public.avito_sync_queue), 0,
          'the row leaves the queue (the integration is switched off)');
select is((select (is_active, status) from public.integrations),
          (false, 'needs_reconnect'::text),
          'the integration reads as inactive to the app, needing a reconnect');
select is((select count(*)::int from avito_private.claim_sync_batch('w1', 10, 60)), 0,
          'a paused row is never claimed');

update public.properties set deleted_at = now();
select is((select count(*)::int from public.avito_sync_queue), 0,
          'a deleted property leaves the queue');

select * from finish();
rollback;

-- The tick: avito-poller and the prune job are scheduled by the migration (this is the cron
-- database), rescheduling is idempotent, and request_poll() queues an authenticated POST.
begin;
select plan(14);
\ir fixtures/two_hosts.psql

select ok(exists (select 1 from cron.job where jobname = 'avito-poller'),
          'avito-poller is scheduled');
select ok(exists (select 1 from cron.job where jobname = 'avito-sync-prune'),
          'the prune job is scheduled');
select is(
  (select schedule || ' | ' || command from cron.job where jobname = 'avito-poller'),
  case when string_to_array(split_part((select extversion from pg_extension
                                        where extname = 'pg_cron'), '-', 1), '.')::int[]
            >= '{1,5}'::int[]
       then '10 seconds | select avito_private.request_poll()'
       else '* * * * * | select avito_private.request_polls_for_minute()' end,
  'the schedule matches the pg_cron version');

create temporary table jobs_before as
  select jobname, jobid from cron.job where jobname in ('avito-poller', 'avito-sync-prune');
select isnt(avito_private.schedule_sync_jobs(), 'absent', 'scheduling again works');
select is((select count(*)::int from cron.job
           where jobname in ('avito-poller', 'avito-sync-prune')), 2,
          'scheduling again adds no job');
select set_eq('select jobname, jobid from cron.job
               where jobname in (''avito-poller'', ''avito-sync-prune'')',
              'select jobname, jobid from jobs_before', 'and keeps the job ids');

delete from vault.secrets where name in ('avito_sync_service_url', 'avito_sync_poll_secret');
select is(avito_private.request_poll(), null::bigint, 'no target configured: nothing queued');

select avito_private.configure_poll_target('http://127.0.0.1:9/', repeat('k', 40));
select avito_private.configure_poll_target('http://127.0.0.1:8/', repeat('s', 40));
select is((select count(*)::int from vault.secrets
           where name in ('avito_sync_service_url', 'avito_sync_poll_secret')), 2,
          'configuring twice keeps one secret of each name');

select isnt(avito_private.request_poll(), null::bigint, 'a configured target gets a request');
select is(
  (select url || ' ' || (headers ->> 'Authorization') from net.http_request_queue
   order by id desc limit 1),
  'http://127.0.0.1:8/v1/poll Bearer ' || repeat('s', 40),
  'the request goes to /v1/poll with the latest secret as bearer');

select throws_ok('select avito_private.request_poll(60)', '22023', null,
                 'a delay outside 0..59 is refused');
select is(avito_private.request_polls_for_minute(), 6, 'the per-minute job asks for six polls');

-- Sync runs have one retention period (avito_sync.retention_sync_runs, default 30 days), which
-- the prune job honours as prune_retention() does.
update public.avito_sync_runs
set started_at = now() - interval '40 days', finished_at = now() - interval '40 days'
where id = 1001;
select set_config('avito_sync.retention_sync_runs', '60 days', true);
select avito_private.prune_sync_history();
select is((select count(*)::int from public.avito_sync_runs where id = 1001), 1,
          'the prune job keeps a run the retention setting keeps');
select set_config('avito_sync.retention_sync_runs', '', true);
select avito_private.prune_sync_history();
select is((select count(*)::int from public.avito_sync_runs where id = 1001), 0,
          'and prunes it after the default 30 days');

select * from finish();
rollback;

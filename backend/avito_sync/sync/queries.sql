-- The sync's calls: the queue, an account's tokens, the inputs, pull, push and the run log.
-- The rules live in the avito_private functions of the migrations; steady.py keeps its own.

-- === queue (queue.py; migrations 20261127100000, 20261127100200, 20261206080000) ===

-- name: claim_batch
-- Lease up to `limit` due rows whose account no other worker may still be sending for
-- (migration 20261206150000); a steady-state row also names the listing to poll.
select integration_id, property_id, avito_account_id, attempts, wake_reason,
       lease_expires_at, avito_user_id, avito_item_id, timezone
  from avito_private.claim_sync_polls(
         %(owner)s, %(limit)s, %(lease_seconds)s, %(account_quiet_seconds)s);

-- name: claim_integration
-- Lease one integration's row now (the host's button, the initial sync after connect).
select integration_id, property_id, avito_account_id, attempts, wake_reason,
       lease_expires_at
  from avito_private.claim_integration(%(integration_id)s, %(owner)s, %(lease_seconds)s);

-- name: claim_blocker
-- Why a claim found nothing: the integration, its property, account and queue row.
select q.status as queue_status, i.is_active, i.status, p.deleted_at,
       a.status as account_status
  from public.integrations i
  join public.properties p on p.id = i.property_id
  join public.avito_accounts a on a.id = i.avito_account_id
  left join public.avito_sync_queue q on q.integration_id = i.id
 where i.id = %(integration_id)s;

-- name: next_due_in
select avito_private.next_sync_due_in() as seconds;

-- name: extend_lease
select avito_private.extend_sync_lease(%(integration_id)s, %(owner)s, %(lease_seconds)s)
       as held;

-- name: complete_failure
select avito_private.complete_sync_failure(
         %(integration_id)s, %(owner)s, %(error)s, %(base_seconds)s, %(cap_seconds)s) as held;

-- name: enqueue
-- Make the row due now (creating it); false when the integration is not active.
select avito_private.enqueue_integration(%(integration_id)s, %(reason)s, %(resume)s) as queued;

-- === an account's tokens (tokens.py; migration 20261127001500) ===

-- name: lock_account_tokens
-- One refresher per account across processes, until the transaction ends.
select pg_advisory_xact_lock(hashtextextended(%(key)s, 0));

-- name: account_status
select status from public.avito_accounts where id = %(account_id)s;

-- name: read_tokens
select access_token, refresh_token, expires_at
  from avito_private.read_account_tokens(%(account_id)s);

-- name: store_tokens
-- A new grant from the consent page (the connect action), kept in Vault.
select avito_private.store_account_tokens(
         %(account_id)s, %(access_token)s, %(refresh_token)s, %(expires_at)s, %(scope)s);

-- name: rotate_tokens
select avito_private.rotate_account_tokens(
         %(account_id)s, %(access_token)s, %(refresh_token)s, %(expires_at)s);

-- name: note_token_expiring
select avito_private.note_token_expiring(%(account_id)s);

-- name: mark_needs_reconnect
-- Account and integrations to needs_reconnect, queue rows paused, one event.
select avito_private.mark_account_needs_reconnect(%(account_id)s, %(reason)s);

-- name: resume_account
-- A reconnect lifts the pause a refused refresh put on the account's syncs.
select avito_private.resume_integration_sync(i.id)
  from public.integrations i
 where i.avito_account_id = %(account_id)s and i.is_active;

-- === inputs (inputs.py; migration 20261127200100) ===

-- name: load_context
-- Who and what to call on Avito, and the property's day: all a sync needs before the pull.
select i.id as integration_id, i.property_id, i.avito_account_id, i.avito_user_id,
       i.avito_item_id, i.avito_markup as markup, to_jsonb(p) ->> 'timezone' as timezone
  from public.integrations i
  join public.properties p on p.id = i.property_id
 where i.id = %(integration_id)s;

-- name: load_sync_input
-- The property, its rates and bookings for the year, in one snapshot.
select avito_private.load_sync_input(%(integration_id)s) as data;

-- === pull (pull.py; migration 20261127200000) ===

-- name: apply_bookings
select created, updated, unchanged, vanished, conflicts
  from avito_private.apply_avito_bookings(
         %(integration_id)s, %(window_start)s, %(window_end)s, %(bookings)s::jsonb);

-- === push (push.py; migration 20261127200100) ===

-- name: push_state
select fingerprints, last_full_push_at, pushable, prices
  from avito_private.get_push_state(%(integration_id)s);

-- name: record_push
select avito_private.record_push(
         %(integration_id)s, %(fingerprints)s::jsonb, %(full_at)s, %(prices)s::jsonb);

-- name: record_push_conflict
select avito_private.record_push_conflict(
         %(integration_id)s, %(fingerprint)s, %(conflicts)s::jsonb);

-- === the run (engine.py; migration 20261127100200) ===

-- name: record_sync_result
-- The run row, the integration's badge state and the queue row's next time, together.
select avito_private.record_sync_result(
         p_integration_id => %(integration_id)s,
         p_owner => %(owner)s,
         p_trigger => %(trigger)s,
         p_outcome => %(outcome)s,
         p_counts => %(counts)s::jsonb,
         p_api_calls => %(api_calls)s,
         p_started_at => %(started_at)s,
         p_error => %(error)s,
         p_interval_seconds => %(interval_seconds)s,
         p_backoff_base_seconds => %(backoff_base_seconds)s,
         p_backoff_cap_seconds => %(backoff_cap_seconds)s) as held;

-- === app-written rows (relink.py; migration 20261127400000) ===

-- name: link_candidate
select i.avito_account_id, i.avito_item_id, c.id as candidate, c.avito_user_id, c.status
  from public.integrations i
  left join public.avito_accounts c
    on c.id = avito_private.app_integration_candidate(i.id)
 where i.id = %(integration_id)s;

-- name: remember_item
insert into public.avito_items (avito_account_id, avito_item_id, synced_at)
values (%(account_id)s, %(item_id)s, now())
on conflict (avito_account_id, avito_item_id) do update set synced_at = now();

-- name: link_app_integration
select avito_private.link_app_integration(%(integration_id)s) as account_id;

-- name: refuse_link
-- Checked again in a minute when Avito was down, else only after the app changes the row.
update public.integrations
   set last_error = %(message)s,
       link_check_after = case when %(retry)s then now() + %(retry_after)s::interval end
 where id = %(integration_id)s and avito_account_id is null;

-- name: write_log
select avito_private.write_avito_log(%(integration_id)s, 'sync', 'error', %(message)s, %(details)s);

-- name: links_due
select id from public.integrations
 where is_active and avito_account_id is null and link_check_after <= now()
   and avito_item_id is not null
 order by link_check_after
 limit %(limit)s;

-- === the pg_cron tick (ticker.py; migration 20261127100300) ===

-- name: configure_poll_target
select avito_private.configure_poll_target(%(service_url)s, %(secret)s);

-- name: schedule_sync_jobs
select avito_private.schedule_sync_jobs() as cron;

-- name: scheduled_jobs
select jobname from cron.job
 where jobname in ('avito-poller', 'avito-sync-prune')
 order by jobname;

-- name: pg_net_installed
select to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is not null
       as installed;

-- === steady polls (steady.py; migrations 20261206080000, 20261206110000) ===

-- name: finish_steady_polls
-- A batch of steady polls in one statement: one status per poll, in input order.
select integration_id, status
  from avito_private.finish_steady_polls(
    %(owner)s, %(integration_ids)s::uuid[], %(digests)s::text[], %(days)s::date[],
    %(started_ats)s::timestamptz[], %(full_push_every_seconds)s, %(interval_seconds)s,
    %(last_sync_every_seconds)s);

-- name: sync_app_stamp
select avito_private.sync_app_stamp(%(integration_id)s) as stamp;

-- name: record_steady_state
select avito_private.record_steady_state(
  %(integration_id)s, %(owner)s, %(stamp)s, %(digest)s, %(day)s);

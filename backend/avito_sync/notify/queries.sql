-- The notifier's calls. The logic that must be atomic (fan-out, SKIP LOCKED claims, fencing
-- by attempt number) lives in SQL (supabase/migrations/20261127300000_notify_outbox.sql).

-- name: claim_deliveries
select * from avito_private.notify_claim_deliveries(%(limit)s, %(lease_seconds)s);

-- name: delivery_succeeded
select avito_private.notify_delivery_succeeded(%(delivery_id)s, %(attempt)s) as ok;

-- name: delivery_failed
select avito_private.notify_delivery_failed(%(delivery_id)s, %(attempt)s, %(error)s,
       %(retry_in)s) as status;

-- name: channel_test
-- A test event and its delivery to one channel, already claimed (`channel-test`).
select * from avito_private.notify_channel_test(%(channel_id)s, %(lease_seconds)s);

-- name: seconds_until_due
select avito_private.notify_seconds_until_due() as due;

-- name: webhook_secret
select avito_private.channel_secret_read(%(channel_id)s) as secret;

-- name: push_subscription
select s.id, s.endpoint, s.p256dh, s.auth from public.notification_channels c
  join public.push_subscriptions s on s.id = c.push_subscription_id
 where c.id = %(channel_id)s;

-- name: drop_push_subscription
-- The push service said the subscription is gone (404/410); its channel goes too.
delete from public.push_subscriptions where id = %(subscription_id)s;

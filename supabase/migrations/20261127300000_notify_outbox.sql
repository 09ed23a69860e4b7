-- The notifier's side of the outbox (docs/decisions.md §11).
--
-- Fan-out happens in the same transaction as the event: an AFTER INSERT trigger on
-- notification_events writes one pending delivery per active Telegram/webhook/web-push channel
-- of the owner that chose the event's category. A committed event therefore always has its deliveries, whether or not a notifier runs,
-- and an id cursor (which could skip an event whose transaction commits after a later one) is
-- not needed: "catching up" is claiming every due delivery. The trigger also sends
-- NOTIFY avito_notify (the local wake-up source); on Supabase the notifier is woken by Realtime.
--
-- Life of a delivery:
--   pending --claim (attempts+1, next_attempt_at = lease expiry)--> being sent
--   being sent --succeeded(attempt)--> delivered (delivered_at set once)
--   being sent --failed(attempt, retry_in)--> pending, due after retry_in
--   being sent --failed(attempt, null)--> failed (gave up)
--   being sent --lease expires (notifier died)--> claimable again
-- The attempt number returned by the claim is a fencing token: a notifier whose lease expired
-- and whose row was claimed again cannot overwrite the newer claim's outcome.

-- Which host-facing category an event kind belongs to (notification_channels.events).
-- channel_test has none: a test goes to one channel, never through the fan-out.
create or replace function avito_private.notify_event_category(p_kind text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when p_kind = 'booking_created' then 'new_booking'
    when p_kind in ('booking_cancelled', 'booking_status_changed', 'booking_conflict')
      then 'booking_changed'
    when p_kind in ('sync_failing', 'sync_recovered') then 'sync_failing'
    when p_kind = 'needs_reconnect' then 'reconnect_needed'
    when p_kind = 'token_expiring' then 'token_expiring'
    when p_kind = 'bookings_imported' then 'import_summary'
    when p_kind = 'new_message' then 'new_message'
  end
$$;

-- What a message may show besides the event: the booking's guest name, guest count, total and
-- status, and the integration's Avito listing. Never the guest's phone or e-mail.
create or replace function avito_private.notify_event_details(
  p_booking_id uuid,
  p_integration_id uuid
)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_strip_nulls(jsonb_build_object(
    'guest_name', b.guest_name,
    'guests_count', b.guests_count,
    'total_price', b.total_price,
    'currency', b.currency,
    'booking_status', b.status,
    'avito_item_id', i.avito_item_id))
  from (select 1) one
  left join public.bookings b on b.id = p_booking_id
  left join public.integrations i on i.id = p_integration_id
$$;

create or replace function avito_private.notify_fan_out(p_event_id bigint)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  insert into public.notification_deliveries (event_id, channel_id)
  select e.id, c.id
  from public.notification_events e
  join public.notification_channels c on c.owner_id = e.owner_id
  where e.id = p_event_id
    and c.is_active
    and (c.kind in ('telegram', 'webhook')
         or (c.kind = 'web_push' and c.push_subscription_id is not null))
    and avito_private.notify_event_category(e.kind) = any(c.events)
  order by c.id
  on conflict (event_id, channel_id) do nothing;
  get diagnostics v_count = row_count;
  if v_count > 0 then
    perform pg_catalog.pg_notify('avito_notify', p_event_id::text);
  end if;
  return v_count;
end;
$$;

comment on function avito_private.notify_fan_out(bigint) is
  'One pending delivery per active channel of the event''s owner that chose its category; '
  'idempotent (unique event_id, channel_id). Returns how many deliveries were added.';


create or replace function avito_private.notify_fan_out_trigger()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform avito_private.notify_fan_out(new.id);
  return null;
end;
$$;

drop trigger if exists avito_notify_fan_out on public.notification_events;
create trigger avito_notify_fan_out after insert on public.notification_events
  for each row execute function avito_private.notify_fan_out_trigger();


-- Claim up to p_limit due deliveries. Rows locked by another notifier are skipped, so two
-- notifiers never hold the same delivery; the lease (next_attempt_at) makes a delivery whose
-- notifier died claimable again. Deliveries to a channel the host switched off are dropped
-- (failed) rather than sent late if it is switched back on.
create or replace function avito_private.notify_claim_deliveries(
  p_limit integer default 20,
  p_lease_seconds integer default 60
)
returns table (
  delivery_id bigint,
  attempt integer,
  event_id bigint,
  event_kind text,
  event_payload jsonb,
  event_created_at timestamptz,
  property_id uuid,
  property_name text,
  integration_id uuid,
  booking_id uuid,
  channel_id uuid,
  channel_kind text,
  channel_config jsonb,
  details jsonb
)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'notify_claim_deliveries: limit must be 1..1000' using errcode = '22023';
  end if;
  if p_lease_seconds is null or p_lease_seconds < 1 or p_lease_seconds > 3600 then
    raise exception 'notify_claim_deliveries: lease must be 1..3600 seconds'
      using errcode = '22023';
  end if;

  update public.notification_deliveries d
  set status = 'failed', last_error = 'channel_inactive'
  from public.notification_channels c
  where c.id = d.channel_id
    and d.status = 'pending'
    and d.next_attempt_at <= now()
    and not c.is_active;

  return query
  with due as (
    select d.id
    from public.notification_deliveries d
    where d.status = 'pending'
      and d.next_attempt_at <= now()
    order by d.next_attempt_at, d.id
    limit p_limit
    for update skip locked
  ),
  claimed as (
    update public.notification_deliveries d
    set attempts = d.attempts + 1,
        next_attempt_at = now() + pg_catalog.make_interval(secs => p_lease_seconds)
    from due
    where d.id = due.id
    returning d.id, d.attempts, d.event_id, d.channel_id
  )
  select cl.id, cl.attempts, e.id, e.kind, e.payload, e.created_at,
         e.property_id, p.name, e.integration_id, e.booking_id,
         c.id, c.kind, c.config, avito_private.notify_event_details(e.booking_id, e.integration_id)
  from claimed cl
  join public.notification_events e on e.id = cl.event_id
  join public.notification_channels c on c.id = cl.channel_id
  left join public.properties p on p.id = e.property_id
  order by cl.id;
end;
$$;


-- The claim's attempt number must still be current: a late answer after the lease expired
-- and someone else claimed the row changes nothing. delivered_at is set once.
create or replace function avito_private.notify_delivery_succeeded(
  p_delivery_id bigint,
  p_attempt integer
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.notification_deliveries d
  set status = 'delivered', delivered_at = now(), last_error = null
  where d.id = p_delivery_id
    and d.attempts = p_attempt
    and d.status = 'pending';
  return found;
end;
$$;


-- p_retry_in_seconds null: give up (failed). Otherwise pending again, due after the delay
-- (the notifier computes exponential backoff with jitter and honours a receiver's retry-after).
create or replace function avito_private.notify_delivery_failed(
  p_delivery_id bigint,
  p_attempt integer,
  p_error text,
  p_retry_in_seconds double precision
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_status text;
begin
  if p_retry_in_seconds is not null
     and (p_retry_in_seconds < 0 or p_retry_in_seconds > 86400 * 7) then
    raise exception 'notify_delivery_failed: retry must be 0..604800 seconds'
      using errcode = '22023';
  end if;
  update public.notification_deliveries d
  set status = case when p_retry_in_seconds is null then 'failed' else 'pending' end,
      next_attempt_at = case when p_retry_in_seconds is null then d.next_attempt_at
                             else now() + pg_catalog.make_interval(secs => p_retry_in_seconds)
                        end,
      last_error = left(coalesce(p_error, 'unknown error'), 500)
  where d.id = p_delivery_id
    and d.attempts = p_attempt
    and d.status = 'pending'
  returning d.status into v_status;
  return v_status;
end;
$$;


-- Seconds until the next pending delivery falls due (0 when one is due now, null when none),
-- so that a retry in two seconds is not left for the next reconciliation sweep. Measured on the
-- database clock, like next_attempt_at itself.
create or replace function avito_private.notify_seconds_until_due()
returns double precision
language sql
stable
security definer
set search_path = ''
as $$
  -- greatest() skips nulls, so "nothing pending" is handled before it.
  select case when min(d.next_attempt_at) is null then null
              else greatest(0, extract(epoch from min(d.next_attempt_at) - now()))::double precision
         end
  from public.notification_deliveries d
  where d.status = 'pending'
$$;

select avito_private.revoke_execute(
  'avito_private.notify_fan_out_trigger()');
select avito_private.revoke_execute(
  'avito_private.notify_event_details(uuid, uuid)');
select avito_private.grant_execute_to_service(
  'avito_private.notify_event_category(text)',
  'avito_private.notify_fan_out(bigint)',
  'avito_private.notify_claim_deliveries(integer, integer)',
  'avito_private.notify_delivery_succeeded(bigint, integer)',
  'avito_private.notify_delivery_failed(bigint, integer, text, double precision)',
  'avito_private.notify_seconds_until_due()');

-- Channels a host manages (issue #11): web push subscriptions as a channel, per-channel webhook
-- signing secrets in Vault, one-time Telegram link tokens, and the one-channel test send.
-- The service creates channels after validating them; every function here is SECURITY DEFINER
-- with an empty search_path and callable by service_role only.

-- The app's own Web Push subscriptions (docs/app-contract.md §11.3), created here when the
-- deployed app's migration has not run (local databases and tests). The app writes them; the
-- service reads them to send and deletes those the push service answers 404/410 for.
create table if not exists public.push_subscriptions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  endpoint text not null,
  p256dh text not null,
  auth text not null,
  created_at timestamptz not null default now(),
  constraint push_subscriptions_user_endpoint_key unique (user_id, endpoint)
);

alter table public.push_subscriptions enable row level security;

-- The app's "Service role can read all push subscriptions" policy is FOR SELECT USING (true) for
-- every role: any signed-in host could read every other host's endpoint and keys and push to
-- them. The service role bypasses RLS anyway, so only owner policies remain.
select avito_private.drop_foreign_policies('public.push_subscriptions');
select avito_private.ensure_owner_policies(
  'public.push_subscriptions',
  'user_id = (select auth.uid())',
  'select', 'insert', 'update', 'delete');

revoke all on public.push_subscriptions from anon;
grant select, insert, update, delete on public.push_subscriptions to authenticated;
grant select, delete on public.push_subscriptions to service_role;

-- A web_push channel is one subscription of its owner; it goes when the subscription goes.
-- (The column is added here because push_subscriptions is created after the channels table.)
alter table public.notification_channels
  add column if not exists push_subscription_id uuid
    references public.push_subscriptions (id) on delete cascade;

create unique index if not exists notification_channels_push_subscription_idx
  on public.notification_channels (push_subscription_id) where push_subscription_id is not null;
-- One channel per Telegram chat per host: linking the same chat twice reactivates it.
create unique index if not exists notification_channels_telegram_chat_idx
  on public.notification_channels (owner_id, (config ->> 'chat_id')) where kind = 'telegram';


-- Webhook signing secrets: one Vault secret per channel, named "notify:<channel id>:signing".
create or replace function avito_private.channel_secret_put(p_channel_id uuid, p_secret text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_old uuid;
  v_new uuid;
begin
  if p_secret is null or length(p_secret) < 32 then
    raise exception 'channel_secret_put: secret must be at least 32 characters'
      using errcode = '22023';
  end if;
  select c.secret_id into v_old
  from public.notification_channels c where c.id = p_channel_id and c.kind = 'webhook'
  for update;
  if not found then
    raise exception 'channel_secret_put: webhook channel % not found', p_channel_id
      using errcode = 'P0002';
  end if;
  v_new := avito_private.put_secret(v_old, 'notify:' || p_channel_id || ':signing', p_secret);
  update public.notification_channels c set secret_id = v_new where c.id = p_channel_id;
end;
$$;

create or replace function avito_private.channel_secret_read(p_channel_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select s.decrypted_secret
  from public.notification_channels c
  join vault.decrypted_secrets s on s.id = c.secret_id
  where c.id = p_channel_id
$$;

create or replace function avito_private.delete_channel_secret() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.secret_id is not null then
    delete from vault.secrets where id = old.secret_id;
  end if;
  return null;
end;
$$;

drop trigger if exists delete_channel_secret on public.notification_channels;
create trigger delete_channel_secret after delete on public.notification_channels
  for each row execute function avito_private.delete_channel_secret();


-- One-time Telegram link tokens: only a hash is stored; single use, short-lived, bound to the
-- user who asked for the deep link.
create table if not exists avito_private.telegram_link_tokens (
  token_hash text primary key,
  owner_id uuid not null references auth.users (id) on delete cascade,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);

select avito_private.ensure_constraint(
  'avito_private.telegram_link_tokens', 'telegram_link_tokens_hash_check',
  'check (char_length(token_hash) = 64)');
select avito_private.ensure_constraint(
  'avito_private.telegram_link_tokens', 'telegram_link_tokens_expiry_check',
  $$check (expires_at > created_at and expires_at <= created_at + interval '1 day')$$);

create index if not exists telegram_link_tokens_owner_idx
  on avito_private.telegram_link_tokens (owner_id, created_at desc);

revoke all on avito_private.telegram_link_tokens from public, anon, authenticated, service_role;
alter table avito_private.telegram_link_tokens enable row level security;

-- A new link replaces the user's earlier unused ones, so at most one is alive per user.
create or replace function avito_private.telegram_link_create(
  p_owner_id uuid, p_token_hash text, p_ttl_seconds integer
)
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_expires timestamptz;
begin
  if p_ttl_seconds is null or p_ttl_seconds < 60 or p_ttl_seconds > 86400 then
    raise exception 'telegram_link_create: ttl must be 60..86400 seconds' using errcode = '22023';
  end if;
  delete from avito_private.telegram_link_tokens t
  where t.owner_id = p_owner_id and t.used_at is null;
  insert into avito_private.telegram_link_tokens (token_hash, owner_id, expires_at)
  values (p_token_hash, p_owner_id, now() + pg_catalog.make_interval(secs => p_ttl_seconds))
  returning expires_at into v_expires;
  return v_expires;
end;
$$;

-- Spend a token and bind the chat as the token owner's Telegram channel (reactivated if the
-- chat was linked before). No row when the token is unknown, used or expired.
create or replace function avito_private.telegram_link_consume(
  p_token_hash text, p_chat_id bigint, p_label text
)
returns table (owner_id uuid, channel_id uuid)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_owner uuid;
  v_channel uuid;
begin
  update avito_private.telegram_link_tokens t
  set used_at = now()
  where t.token_hash = p_token_hash and t.used_at is null and t.expires_at > now()
  returning t.owner_id into v_owner;
  if v_owner is null then
    return;
  end if;
  insert into public.notification_channels (owner_id, kind, config, label, is_active)
  values (v_owner, 'telegram', jsonb_build_object('chat_id', p_chat_id), left(p_label, 80), true)
  on conflict (owner_id, (config ->> 'chat_id')) where kind = 'telegram'
  do update set is_active = true, label = excluded.label
  returning id into v_channel;
  return query select v_owner, v_channel;
end;
$$;

-- `/stop` in a chat: every host's channel to that chat is removed. Returns how many.
create or replace function avito_private.telegram_unlink(p_chat_id bigint)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  delete from public.notification_channels c
  where c.kind = 'telegram' and c.config ->> 'chat_id' = p_chat_id::text;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;


-- `channel-test`: an event for the owner and one delivery to one channel, already claimed by
-- the caller (attempt 1, leased), returned in the claim's shape. The fan-out never sends a
-- channel_test event (it has no category).
create or replace function avito_private.notify_channel_test(
  p_channel_id uuid, p_lease_seconds integer default 60
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
declare
  v_owner uuid;
  v_event bigint;
  v_delivery bigint;
begin
  select c.owner_id into v_owner from public.notification_channels c where c.id = p_channel_id;
  if v_owner is null then
    raise exception 'notify_channel_test: channel % not found', p_channel_id
      using errcode = 'P0002';
  end if;
  insert into public.notification_events (owner_id, kind, dedupe_key, payload)
  values (v_owner, 'channel_test', 'channel_test:' || gen_random_uuid(), '{}'::jsonb)
  returning id into v_event;
  insert into public.notification_deliveries (event_id, channel_id, attempts, next_attempt_at)
  values (v_event, p_channel_id, 1,
          now() + pg_catalog.make_interval(secs => greatest(1, least(p_lease_seconds, 3600))))
  returning id into v_delivery;
  return query
  select d.id, d.attempts, e.id, e.kind, e.payload, e.created_at, e.property_id,
         null::text, e.integration_id, e.booking_id, c.id, c.kind, c.config, '{}'::jsonb
  from public.notification_deliveries d
  join public.notification_events e on e.id = d.event_id
  join public.notification_channels c on c.id = d.channel_id
  where d.id = v_delivery;
end;
$$;

-- The caller's channels with their last delivery and failure count (channels-list).
create or replace function avito_private.channels_of(p_owner_id uuid)
returns table (
  id uuid,
  kind text,
  label text,
  is_active boolean,
  events text[],
  config jsonb,
  push_subscription_id uuid,
  has_secret boolean,
  created_at timestamptz,
  last_status text,
  last_error text,
  last_at timestamptz,
  failures_30d bigint
)
language sql
stable
security definer
set search_path = ''
as $$
  select c.id, c.kind, c.label, c.is_active, c.events, c.config, c.push_subscription_id,
         c.secret_id is not null, c.created_at,
         last.status, last.last_error, last.updated_at,
         (select count(*) from public.notification_deliveries f
          where f.channel_id = c.id and f.status = 'failed'
            and f.updated_at > now() - interval '30 days')
  from public.notification_channels c
  left join lateral (
    select d.status, d.last_error, d.updated_at
    from public.notification_deliveries d
    where d.channel_id = c.id and d.attempts > 0
    order by d.updated_at desc, d.id desc
    limit 1
  ) last on true
  where c.owner_id = p_owner_id
  order by c.created_at, c.id
$$;

select avito_private.revoke_execute('avito_private.delete_channel_secret()');
select avito_private.grant_execute_to_service(
  'avito_private.channel_secret_put(uuid, text)',
  'avito_private.channel_secret_read(uuid)',
  'avito_private.telegram_link_create(uuid, text, integer)',
  'avito_private.telegram_link_consume(text, bigint, text)',
  'avito_private.telegram_unlink(bigint)',
  'avito_private.notify_channel_test(uuid, integer)',
  'avito_private.channels_of(uuid)');

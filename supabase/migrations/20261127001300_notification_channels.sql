-- Where a host wants notifications: a Telegram chat, a webhook, ... config holds only what may
-- be shown back to the host (chat id, URL, labels); a check refuses the usual secret keys, and
-- any channel secret belongs in Vault. Channels are created by the service, which validates
-- them (a client-chosen webhook URL would let anyone make the server call anywhere); owners
-- read their own and may switch one on or off. `events` is the host's choice of event
-- categories (avito_private.notify_event_category); a webhook's signing secret is a Vault secret
-- whose id is in secret_id (no foreign key into vault is possible on Supabase).

create table if not exists public.notification_channels (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  kind text not null,
  config jsonb not null default '{}'::jsonb,
  is_active boolean not null default true,
  label text,
  events text[] not null default array['new_booking', 'booking_changed', 'sync_failing',
                                       'reconnect_needed', 'token_expiring', 'import_summary'],
  secret_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

select avito_private.ensure_constraint(
  'public.notification_channels', 'notification_channels_kind_check',
  $$check (kind in ('telegram', 'webhook', 'web_push', 'email'))$$);
select avito_private.ensure_constraint(
  'public.notification_channels', 'notification_channels_config_check',
  $$check (jsonb_typeof(config) = 'object'
           and not config ?| array['token', 'secret', 'password', 'api_key', 'bot_token',
                                   'access_token', 'refresh_token', 'signing_secret'])$$);

select avito_private.ensure_constraint(
  'public.notification_channels', 'notification_channels_label_check',
  'check (char_length(label) <= 80)');
select avito_private.ensure_constraint(
  'public.notification_channels', 'notification_channels_events_check',
  $$check (events <@ array['new_booking', 'booking_changed', 'sync_failing', 'reconnect_needed',
                           'token_expiring', 'import_summary', 'new_message']::text[])$$);

create index if not exists notification_channels_owner_id_idx
  on public.notification_channels (owner_id);

select avito_private.ensure_touch_updated_at('public.notification_channels');

alter table public.notification_channels enable row level security;

select avito_private.ensure_owner_policies(
  'public.notification_channels',
  'owner_id = (select auth.uid())',
  'select', 'update');

revoke all on public.notification_channels from public, anon, authenticated, service_role;
grant select on public.notification_channels to authenticated;
grant update (is_active) on public.notification_channels to authenticated;
grant select, insert, update, delete on public.notification_channels to service_role;

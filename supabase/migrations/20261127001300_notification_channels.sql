-- Where a host wants notifications: a Telegram chat, a webhook, ... config holds only what may
-- be shown back to the host (chat id, URL, labels); a check refuses the usual secret keys, and
-- any channel secret belongs in Vault. Channels are created by the service, which validates
-- them (a client-chosen webhook URL would let anyone make the server call anywhere); owners
-- read their own and may switch one on or off.

create table if not exists public.notification_channels (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  kind text not null,
  config jsonb not null default '{}'::jsonb,
  is_active boolean not null default true,
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

create index if not exists notification_channels_owner_id_idx
  on public.notification_channels (owner_id);

drop trigger if exists avito_touch_updated_at on public.notification_channels;
create trigger avito_touch_updated_at before update on public.notification_channels
  for each row execute function avito_private.touch_updated_at();

alter table public.notification_channels enable row level security;

drop policy if exists notification_channels_owner_select on public.notification_channels;
create policy notification_channels_owner_select on public.notification_channels
  for select to authenticated
  using (owner_id = (select auth.uid()));
drop policy if exists notification_channels_owner_update on public.notification_channels;
create policy notification_channels_owner_update on public.notification_channels
  for update to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));

revoke all on public.notification_channels from public, anon, authenticated, service_role;
grant select on public.notification_channels to authenticated;
grant update (is_active) on public.notification_channels to authenticated;
grant select, insert, update, delete on public.notification_channels to service_role;

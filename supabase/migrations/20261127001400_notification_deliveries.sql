-- Fan-out of the outbox: one row per (event, channel), so each event reaches each channel once;
-- retries count attempts and wait for next_attempt_at. Written by the notifier (service role);
-- owners read the deliveries to their own channels.

create table if not exists public.notification_deliveries (
  id bigint generated always as identity primary key,
  event_id bigint not null references public.notification_events (id) on delete cascade,
  channel_id uuid not null references public.notification_channels (id) on delete cascade,
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

select avito_private.ensure_constraint(
  'public.notification_deliveries', 'notification_deliveries_event_id_channel_id_key',
  'unique (event_id, channel_id)');
select avito_private.ensure_constraint(
  'public.notification_deliveries', 'notification_deliveries_status_check',
  $$check (status in ('pending', 'delivered', 'failed'))$$);
select avito_private.ensure_constraint(
  'public.notification_deliveries', 'notification_deliveries_attempts_check',
  'check (attempts >= 0)');
select avito_private.ensure_constraint(
  'public.notification_deliveries', 'notification_deliveries_delivered_check',
  $$check ((status = 'delivered') = (delivered_at is not null))$$);

create index if not exists notification_deliveries_due_idx
  on public.notification_deliveries (next_attempt_at) where status = 'pending';
create index if not exists notification_deliveries_channel_id_idx
  on public.notification_deliveries (channel_id);

select avito_private.ensure_touch_updated_at('public.notification_deliveries');

alter table public.notification_deliveries enable row level security;

select avito_private.ensure_owner_policies(
  'public.notification_deliveries',
  'exists (select 1 from public.notification_channels c '
  'where c.id = notification_deliveries.channel_id and c.owner_id = (select auth.uid()))',
  'select');

revoke all on public.notification_deliveries from public, anon, authenticated, service_role;
grant select on public.notification_deliveries to authenticated;
grant select, insert, update, delete on public.notification_deliveries to service_role;
revoke all on sequence public.notification_deliveries_id_seq
  from public, anon, authenticated, service_role;
grant usage, select on sequence public.notification_deliveries_id_seq to service_role;

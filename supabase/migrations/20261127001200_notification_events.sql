-- Notification outbox: one row per thing a host should hear about. Triggers and the engine
-- insert (service role); the dedupe key makes a repeated insert of the same event a conflict
-- instead of a second notification. The id is a growing cursor for catch-up after a reconnect.
-- Owners read their own events (Realtime needs SELECT; the table joins supabase_realtime later).

create table if not exists public.notification_events (
  id bigint generated always as identity primary key,
  owner_id uuid not null references auth.users (id) on delete cascade,
  property_id uuid references public.properties (id) on delete cascade,
  integration_id uuid references public.integrations (id) on delete set null,
  booking_id uuid references public.bookings (id) on delete set null,
  kind text not null,
  payload jsonb not null default '{}'::jsonb,
  dedupe_key text not null,
  created_at timestamptz not null default now()
);

select avito_private.ensure_constraint(
  'public.notification_events', 'notification_events_kind_check',
  $$check (kind in ('booking_created', 'booking_cancelled', 'booking_conflict',
                    'booking_status_changed', 'needs_reconnect', 'sync_failing',
                    'bookings_imported', 'token_expiring', 'sync_recovered',
                    'channel_test', 'new_message'))$$);
select avito_private.ensure_constraint(
  'public.notification_events', 'notification_events_payload_check',
  $$check (jsonb_typeof(payload) = 'object')$$);
select avito_private.ensure_constraint(
  'public.notification_events', 'notification_events_dedupe_key_check',
  'check (char_length(dedupe_key) between 1 and 200)');
select avito_private.ensure_constraint(
  'public.notification_events', 'notification_events_dedupe_key_key', 'unique (dedupe_key)');

create index if not exists notification_events_owner_id_idx
  on public.notification_events (owner_id, id);
create index if not exists notification_events_property_id_idx
  on public.notification_events (property_id);
create index if not exists notification_events_integration_id_idx
  on public.notification_events (integration_id);
create index if not exists notification_events_booking_id_idx
  on public.notification_events (booking_id);

alter table public.notification_events enable row level security;

select avito_private.ensure_owner_policies(
  'public.notification_events',
  'owner_id = (select auth.uid())',
  'select');

revoke all on public.notification_events from public, anon, authenticated, service_role;
grant select on public.notification_events to authenticated;
grant select, insert, update, delete on public.notification_events to service_role;
revoke all on sequence public.notification_events_id_seq
  from public, anon, authenticated, service_role;
grant usage, select on sequence public.notification_events_id_seq to service_role;

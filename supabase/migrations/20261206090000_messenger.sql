-- The Messages feature (docs/app-contract.md §11.3, issue #15): the app's chats and messages
-- tables, created here when the deployed app's migrations have not run (local databases and
-- tests) with the columns the app reads and writes, owner RLS and Realtime; and the service's
-- messenger webhook subscriptions.

create table if not exists public.chats (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  property_id uuid references public.properties (id) on delete set null,
  avito_chat_id text not null,
  avito_user_id varchar not null,
  avito_item_id text,
  avito_item_title text,
  integration_id uuid references public.integrations (id) on delete set null,
  contact_name text,
  contact_avatar_url text,
  contact_phone text,
  contact_email text,
  status text not null default 'new',
  unread_count integer not null default 0,
  last_push_unread integer not null default 0,
  last_message_text text,
  last_message_at timestamptz,
  booking_id uuid references public.bookings (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

alter table public.chats
  add column if not exists last_push_unread integer not null default 0;

select avito_private.ensure_constraint(
  'public.chats', 'chats_owner_id_avito_chat_id_key', 'unique (owner_id, avito_chat_id)');
select avito_private.ensure_constraint(
  'public.chats', 'chats_status_check', $$check (status in ('new', 'in_progress', 'closed'))$$,
  true);

create index if not exists chats_owner_id_last_message_at_idx
  on public.chats (owner_id, last_message_at desc);
create index if not exists chats_integration_id_idx on public.chats (integration_id);
create index if not exists chats_property_id_idx on public.chats (property_id);
create index if not exists chats_booking_id_idx on public.chats (booking_id);

create table if not exists public.messages (
  id uuid primary key default gen_random_uuid(),
  chat_id uuid not null references public.chats (id) on delete cascade,
  avito_message_id text,
  sender_type text not null,
  sender_name text,
  text text,
  attachments jsonb not null default '[]'::jsonb,
  is_read boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

select avito_private.ensure_constraint(
  'public.messages', 'messages_chat_id_avito_message_id_key',
  'unique (chat_id, avito_message_id)');
select avito_private.ensure_constraint(
  'public.messages', 'messages_sender_type_check',
  $$check (sender_type in ('user', 'contact'))$$, true);

-- A new message moves its chat's preview and, from the guest and unread, its unread count.
create or replace function avito_private.messages_touch_chat()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.chats c
  set last_message_text = coalesce(new.text, c.last_message_text),
      last_message_at = greatest(c.last_message_at, new.created_at),
      unread_count = c.unread_count
        + case when new.sender_type = 'contact' and not new.is_read then 1 else 0 end,
      updated_at = now()
  where c.id = new.chat_id;
  return null;
end;
$$;

revoke all on function avito_private.messages_touch_chat() from public, anon, authenticated;

drop trigger if exists messages_touch_chat on public.messages;
create trigger messages_touch_chat after insert on public.messages
  for each row execute function avito_private.messages_touch_chat();

select avito_private.ensure_touch_updated_at('public.chats');
select avito_private.ensure_touch_updated_at('public.messages');

alter table public.chats enable row level security;
alter table public.messages enable row level security;
select avito_private.ensure_owner_policies(
  'public.chats', 'owner_id = (select auth.uid())', 'select', 'insert', 'update', 'delete');
select avito_private.ensure_owner_policies(
  'public.messages',
  'exists (select 1 from public.chats c where c.id = chat_id and c.owner_id = (select auth.uid()))',
  'select', 'insert', 'update', 'delete');

revoke all on public.chats, public.messages from anon;
grant select, insert, update, delete on public.chats, public.messages to authenticated;
grant select, insert, update, delete on public.chats, public.messages to service_role;

-- The app listens to both (useAvitoChats.ts realtime channels).
do $$
declare
  v_table text;
begin
  if (select puballtables from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    return;
  end if;
  foreach v_table in array array['chats', 'messages'] loop
    if not exists (select 1 from pg_catalog.pg_publication_tables
                   where pubname = 'supabase_realtime' and schemaname = 'public'
                     and tablename = v_table) then
      execute pg_catalog.format('alter publication supabase_realtime add table public.%I',
                                v_table);
    end if;
  end loop;
end;
$$;


-- Avito messenger webhooks the service subscribed, one per account. Avito signs nothing, so
-- the URL carries an unguessable token; only its SHA-256 is kept. Service role only.
create table if not exists public.avito_messenger_webhooks (
  account_id uuid primary key references public.avito_accounts (id) on delete cascade,
  token_hash text not null,
  subscribed_at timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

select avito_private.ensure_constraint(
  'public.avito_messenger_webhooks', 'avito_messenger_webhooks_token_hash_key',
  'unique (token_hash)');
select avito_private.ensure_constraint(
  'public.avito_messenger_webhooks', 'avito_messenger_webhooks_token_hash_check',
  $$check (token_hash ~ '^[0-9a-f]{64}$')$$);
select avito_private.ensure_touch_updated_at('public.avito_messenger_webhooks');

alter table public.avito_messenger_webhooks enable row level security;
revoke all on public.avito_messenger_webhooks from public, anon, authenticated, service_role;
grant select, insert, update, delete on public.avito_messenger_webhooks to service_role;

-- The service's reads and writes (api/store.py, the channel actions, the messenger consent and
-- proxy, the Telegram webhook). Every lookup that names a property, account or integration
-- also takes the caller's id: a row of another user is simply not found.

-- name: owned_property
select id, name from public.properties
 where id = %(property_id)s and owner_id = %(owner)s and deleted_at is null;

-- name: owned_account
select id, avito_user_id, name, status, scope, token_expires_at
  from public.avito_accounts where id = %(account_id)s and owner_id = %(owner)s;

-- name: owned_integration
-- By id or by property, the active one first; a row the reconnect pause switched off counts
-- as active (its sync answers "reconnect").
select i.id, i.property_id, i.avito_account_id, i.avito_user_id, i.avito_item_id,
       i.avito_markup, i.is_active
  from public.integrations i join public.properties p on p.id = i.property_id
 where p.owner_id = %(owner)s and i.platform = 'avito'
   and (%(integration_id)s::uuid is null or i.id = %(integration_id)s::uuid)
   and (%(property_id)s::uuid is null or i.property_id = %(property_id)s::uuid)
   and (not %(active_only)s or i.is_active or i.status = 'needs_reconnect')
 order by i.is_active desc, i.updated_at desc nulls last limit 1;

-- name: drop_expired_states
delete from public.avito_oauth_states where owner_id = %(owner)s and expires_at < now();

-- name: record_state
-- The service clock may run ahead: never longer than an hour.
insert into public.avito_oauth_states (owner_id, property_id, state_hash, expires_at)
values (%(owner)s, %(property_id)s, %(state_hash)s, least(%(expires_at)s, now() + interval '1 hour'));

-- name: record_legacy_state
-- An app-built state seen for the first time; a replay finds the row already used.
insert into public.avito_oauth_states (owner_id, property_id, state_hash, expires_at)
values (%(owner)s, %(property_id)s, %(state_hash)s, least(%(expires_at)s, now() + interval '1 hour'))
on conflict (state_hash) do nothing;

-- name: consume_state
update public.avito_oauth_states set used_at = now()
 where state_hash = %(state_hash)s and owner_id = %(owner)s and used_at is null
   and expires_at > now()
returning property_id;

-- name: state_used
select used_at is not null as used from public.avito_oauth_states
 where state_hash = %(state_hash)s;

-- name: drop_progress
delete from public.avito_oauth_states
 where owner_id = %(owner)s and property_id = %(property_id)s and progress <> '{}'::jsonb;

-- name: save_progress
-- A progress row is a state row that can never be redeemed: born used, hash of a lost nonce.
insert into public.avito_oauth_states (owner_id, property_id, state_hash, used_at, progress)
values (%(owner)s, %(property_id)s, %(state_hash)s, now(), %(progress)s)
returning expires_at;

-- name: load_progress
select progress, expires_at from public.avito_oauth_states
 where owner_id = %(owner)s and property_id = %(property_id)s and progress <> '{}'::jsonb
   and expires_at > now()
 order by created_at desc limit 1;

-- name: upsert_account
insert into public.avito_accounts (owner_id, avito_user_id, name, scope, token_expires_at, status)
values (%(owner)s, %(avito_user_id)s, coalesce(%(name)s, 'Avito ' || %(avito_user_id)s::text),
        %(scope)s, %(expires_at)s, 'active')
on conflict (owner_id, avito_user_id) do update
   set name = excluded.name, scope = excluded.scope,
       token_expires_at = excluded.token_expires_at, status = 'active'
returning id;

-- name: list_accounts
select id, avito_user_id, name, status, token_expires_at, created_at
  from public.avito_accounts where owner_id = %(owner)s order by created_at;

-- name: cache_item
insert into public.avito_items
       (avito_account_id, avito_item_id, title, status, url, data, synced_at)
values (%(account_id)s, %(item_id)s, %(title)s, %(status)s, %(url)s, %(data)s, now())
on conflict (avito_account_id, avito_item_id) do update
   set title = excluded.title, status = excluded.status, url = excluded.url,
       data = excluded.data, synced_at = excluded.synced_at;

-- name: remember_item
-- A listing checked on Avito, kept without erasing what a full listing fetch knew.
insert into public.avito_items (avito_account_id, avito_item_id, status, url, synced_at)
values (%(account_id)s, %(item_id)s, %(status)s, %(url)s, now())
on conflict (avito_account_id, avito_item_id) do update
   set status = coalesce(excluded.status, public.avito_items.status),
       url = coalesce(excluded.url, public.avito_items.url), synced_at = excluded.synced_at;

-- name: cached_items
select avito_item_id as id, title, status, url, data, synced_at
  from public.avito_items where avito_account_id = %(account_id)s order by avito_item_id;

-- name: item_held_elsewhere
-- Rows the app typed in without an account prove nothing (anyone can type a public listing
-- id), exactly as the index `integrations_one_active_per_item` ignores them.
select exists(
  select 1 from public.integrations
   where platform = 'avito' and is_active and avito_account_id is not null
     and avito_item_id = %(item_id)s
     and (%(property_id)s::uuid is null or property_id <> %(property_id)s::uuid)
) as held;

-- name: upsert_integration
-- The app reads token_expires_at and scope from this row (docs/app-contract.md §6).
insert into public.integrations (property_id, platform, avito_account_id, avito_user_id,
       avito_item_id, avito_markup, is_active, status, token_expires_at, scope)
select %(property_id)s, 'avito', a.id, a.avito_user_id, %(item_id)s, %(markup)s, true, 'active',
       a.token_expires_at, a.scope
  from public.avito_accounts a where a.id = %(account_id)s
on conflict (property_id, platform) do update
   set avito_account_id = excluded.avito_account_id,
       avito_user_id = excluded.avito_user_id, avito_item_id = excluded.avito_item_id,
       avito_markup = excluded.avito_markup, is_active = true, status = 'active',
       last_error = null, token_expires_at = excluded.token_expires_at,
       scope = excluded.scope, link_check_after = null
returning id;

-- name: set_markup
update public.integrations set avito_markup = %(markup)s where id = %(integration_id)s;

-- name: deactivate
update public.integrations set is_active = false, status = 'disconnected'
 where id = %(integration_id)s;

-- name: unqueue
select avito_private.remove_integration_from_queue(%(integration_id)s);

-- name: record_action_run
-- A host action that is not a sync (disconnect, closing the calendar) in the run log.
insert into public.avito_sync_runs
       (integration_id, property_id, trigger, outcome, counts, finished_at, duration_ms)
values (%(integration_id)s, %(property_id)s, 'manual', 'skipped', %(counts)s, now(), 0);

-- name: integration_status
select i.id as integration_id, i.is_active, i.status, i.avito_item_id,
       i.avito_markup, i.last_sync_at, i.last_error,
       a.id as account_id, a.name as account_name, a.avito_user_id,
       a.status as account_status, a.token_expires_at,
       q.status as queue_status, q.next_sync_at, q.last_error as queue_error,
       -- The view's word too: one vocabulary (20261206130000_connection_state.sql).
       public.avito_connection_state(i.is_active, i.status, i.avito_account_id, a.status,
         q.status, i.last_error, q.last_error, i.last_sync_at) as connection_state
  from public.integrations i
  join public.properties p on p.id = i.property_id
  left join public.avito_accounts a on a.id = i.avito_account_id
  left join public.avito_sync_queue q on q.integration_id = i.id
 where p.owner_id = %(owner)s and i.property_id = %(property_id)s and i.platform = 'avito'
 order by i.is_active desc limit 1;

-- name: attached_avito_user
-- The account linked to the property's integration (active or paused for a reconnect).
select a.avito_user_id from public.integrations i
  join public.properties p on p.id = i.property_id
  join public.avito_accounts a on a.id = i.avito_account_id
 where p.owner_id = %(owner)s and i.property_id = %(property_id)s and i.platform = 'avito';

-- name: ping
select 1;

-- name: migrations_table_exists
select to_regclass('supabase_migrations.schema_migrations') is not null as ok;

-- name: applied_migrations
select version from supabase_migrations.schema_migrations;

-- name: vault_readable
select count(*) >= 0 as ok from (select 1 from vault.decrypted_secrets limit 1) s;

-- name: queue_lag
select coalesce(extract(epoch from now() - min(next_sync_at)), 0)::float8 as lag,
       count(*) as due
  from public.avito_sync_queue where status = 'pending' and next_sync_at <= now();

-- name: recent_run_outcomes
select outcome, count(*) as runs from public.avito_sync_runs
 where finished_at > now() - interval '1 hour' and outcome is not null
 group by outcome;

-- name: account_integrations_for_detach
select i.id, i.property_id from public.integrations i
  join public.avito_accounts a on a.id = i.avito_account_id
 where a.id = %(account_id)s and a.owner_id = %(owner)s and i.is_active
   for update of i;

-- name: delete_account
-- Its Vault secrets go with its token row (trigger), its listings cascade.
delete from public.avito_accounts where id = %(account_id)s and owner_id = %(owner)s;

-- channels (api/actions/channels.py) -------------------------------------------------------

-- name: channels_of
select * from avito_private.channels_of(%(owner)s);

-- name: channels_full
select count(*) >= %(limit)s as full from public.notification_channels
 where owner_id = %(owner)s;

-- name: unused_push_subscriptions
-- The app's push subscriptions not yet used as a channel: offered to the host.
select s.id, s.endpoint, s.created_at from public.push_subscriptions s
 where s.user_id = %(owner)s
   and not exists (select 1 from public.notification_channels c
                    where c.push_subscription_id = s.id)
 order by s.created_at;

-- name: add_webhook_channel
insert into public.notification_channels (owner_id, kind, config, label, events)
values (%(owner)s, 'webhook', %(config)s, %(label)s, %(events)s::text[])
returning id;

-- name: channel_secret_put
select avito_private.channel_secret_put(%(channel_id)s, %(secret)s);

-- name: push_subscription_endpoint
select endpoint from public.push_subscriptions
 where id = %(subscription_id)s and user_id = %(owner)s;

-- name: add_push_channel
insert into public.notification_channels
       (owner_id, kind, config, label, events, push_subscription_id)
values (%(owner)s, 'web_push', '{}', %(label)s, %(events)s::text[], %(subscription_id)s)
on conflict (push_subscription_id) where push_subscription_id is not null
do update set is_active = true
returning id, owner_id;

-- name: telegram_link_create
select avito_private.telegram_link_create(%(owner)s, %(token_hash)s, %(ttl_seconds)s)
       as expires_at;

-- name: update_channel
update public.notification_channels
   set is_active = coalesce(%(active)s, is_active), events = coalesce(%(events)s, events),
       label = coalesce(%(label)s, label)
 where id = %(channel_id)s and owner_id = %(owner)s;

-- name: remove_channel
-- Its deliveries cascade; its Vault secret goes with it (trigger).
delete from public.notification_channels where id = %(channel_id)s and owner_id = %(owner)s;

-- Telegram webhook (api/telegram_webhook.py) -----------------------------------------------

-- name: telegram_unlink
select avito_private.telegram_unlink(%(chat_id)s) as n;

-- name: telegram_link_consume
select * from avito_private.telegram_link_consume(%(token_hash)s, %(chat_id)s, %(label)s);

-- messenger (api/messenger_consent.py, api/messenger.py) -----------------------------------

-- name: messenger_consent_target
-- The state's integration if the caller owns it, else the caller's oldest Avito one.
select i.id, i.property_id, i.avito_user_id, a.avito_user_id as account_user
  from public.integrations i join public.properties p on p.id = i.property_id
  left join public.avito_accounts a on a.id = i.avito_account_id
 where p.owner_id = %(owner)s and i.platform = 'avito'
 order by (i.id = %(wanted)s::uuid) desc nulls last, i.created_at, i.id limit 1;

-- name: messenger_consent_scope
-- The granted scope on the integration, on the account's others, and on the app's own rows
-- of the same Avito user.
update public.integrations i
   set scope = %(scope)s,
       is_active = case when i.id = %(integration_id)s then true else i.is_active end
  from public.properties p
 where p.id = i.property_id and p.owner_id = %(owner)s and i.platform = 'avito'
   and (i.id = %(integration_id)s or i.avito_account_id = %(account_id)s
        or (i.avito_account_id is null and i.avito_user_id = %(avito_user_id)s));

-- name: messenger_integration
select i.is_active, i.scope, i.avito_user_id, i.avito_account_id, p.owner_id
  from public.integrations i
  left join public.properties p on p.id = i.property_id and p.deleted_at is null
 where i.id = %(integration_id)s and i.platform = 'avito';

-- name: messenger_account
-- The integration's account, or (a row the app typed itself) the caller's account of the
-- same Avito user.
select id, status from public.avito_accounts
 where owner_id = %(owner)s and avito_user_id = %(avito_user_id)s
 order by (id = %(account_id)s) desc limit 1;

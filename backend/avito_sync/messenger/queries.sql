-- The messenger's reads and writes: accounts with the messenger scope, chats recorded from
-- Avito's list, new guest messages announced once, webhook subscriptions by token hash.

-- name: messenger_accounts
-- Active accounts whose grant includes `messenger:read`.
select id, owner_id, avito_user_id from public.avito_accounts
 where status = 'active' and 'messenger:read' = any(string_to_array(scope, ','))
 order by created_at;

-- name: chat_link
-- The property a chat belongs to: the integration of the chat's listing first.
select i.id, i.property_id, p.name from public.integrations i
  join public.properties p on p.id = i.property_id
 where p.owner_id = %(owner)s and i.platform = 'avito'
   and (i.avito_account_id = %(account_id)s or i.avito_user_id = %(avito_user_id)s)
 order by (i.avito_item_id = %(item_id)s) desc nulls last, i.is_active desc, i.created_at
 limit 1;

-- name: record_chat
insert into public.chats (owner_id, property_id, avito_chat_id, avito_user_id, avito_item_id,
       avito_item_title, integration_id, contact_name, unread_count, last_message_text,
       last_message_at)
values (%(owner)s, %(property_id)s, %(chat_id)s, %(avito_user_id)s, %(item_id)s,
        %(item_title)s, %(integration_id)s, %(guest_name)s, %(unread)s, %(last_text)s,
        %(last_at)s)
on conflict (owner_id, avito_chat_id) do update set
       unread_count = excluded.unread_count,
       last_message_text = coalesce(excluded.last_message_text, public.chats.last_message_text),
       last_message_at = coalesce(excluded.last_message_at, public.chats.last_message_at),
       contact_name = coalesce(public.chats.contact_name, excluded.contact_name),
       avito_item_title = coalesce(public.chats.avito_item_title, excluded.avito_item_title),
       avito_item_id = coalesce(public.chats.avito_item_id, excluded.avito_item_id),
       integration_id = coalesce(public.chats.integration_id, excluded.integration_id),
       property_id = coalesce(public.chats.property_id, excluded.property_id)
returning id, last_push_unread, property_id, integration_id;

-- name: reset_push_unread
-- Read meanwhile: count from here.
update public.chats set last_push_unread = %(unread)s where id = %(chat_row_id)s;

-- name: claim_push_unread
-- Only one reconciliation moves the mark up, so only one announces the message.
update public.chats set last_push_unread = %(unread)s
 where id = %(chat_row_id)s and last_push_unread < %(unread)s
returning id;

-- name: new_message_event
insert into public.notification_events
       (owner_id, property_id, integration_id, kind, payload, dedupe_key)
values (%(owner)s, %(property_id)s, %(integration_id)s, 'new_message', %(payload)s,
        %(dedupe_key)s)
on conflict (dedupe_key) do nothing;

-- name: uncovered_push_subscriptions
-- The owner's subscriptions that no active `new_message` channel serves.
select s.id, s.endpoint, s.p256dh, s.auth from public.push_subscriptions s
 where s.user_id = %(owner)s
   and not exists (select 1 from public.notification_channels c
                    where c.push_subscription_id = s.id and c.is_active
                      and 'new_message' = any(c.events));

-- name: webhook_account
select a.id, a.owner_id, a.avito_user_id from public.avito_messenger_webhooks w
  join public.avito_accounts a on a.id = w.account_id
 where w.token_hash = %(token_hash)s and a.status = 'active';

-- name: webhook_subscribed_at
select subscribed_at from public.avito_messenger_webhooks where account_id = %(account_id)s;

-- name: webhook_token
-- The hash is stored before Avito is asked, so the first delivery is already recognised.
insert into public.avito_messenger_webhooks (account_id, token_hash)
values (%(account_id)s, %(token_hash)s)
on conflict (account_id) do update
   set token_hash = excluded.token_hash, subscribed_at = null, last_error = null;

-- name: webhook_failed
update public.avito_messenger_webhooks set last_error = %(error)s
 where account_id = %(account_id)s;

-- name: webhook_subscribed
update public.avito_messenger_webhooks set subscribed_at = now()
 where account_id = %(account_id)s and token_hash = %(token_hash)s;

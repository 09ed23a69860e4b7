-- What the frontend shows per connected property: one word for the connection state, the last
-- sync and its error, the markup, when the token expires and when the next sync is due. No
-- secrets. security_invoker makes the caller's RLS apply, so a host sees only their own rows.
--
-- connection_status:
--   disconnected     the integration is switched off by the host
--   needs_reconnect  no linked account, the account is not active, or the sync said so
--                    (such rows are also switched off, so that the app offers a reconnect)
--   error            the last sync failed for another reason
--   active           syncing normally

create or replace view public.avito_integration_status
with (security_invoker = true)
as
select
  i.id as integration_id,
  i.property_id,
  p.name as property_name,
  p.owner_id,
  i.avito_account_id,
  a.name as avito_account_name,
  i.avito_user_id,
  i.avito_item_id,
  i.avito_markup,
  i.is_active,
  case
    -- Switched off by the reconnect pause (the app then offers "Подключить заново").
    when not i.is_active and i.status = 'needs_reconnect' then 'needs_reconnect'
    when not i.is_active or i.status = 'disconnected' then 'disconnected'
    when i.status = 'needs_reconnect' or i.avito_account_id is null or a.status <> 'active'
      then 'needs_reconnect'
    when i.status = 'error' then 'error'
    else 'active'
  end as connection_status,
  i.status as integration_status,
  a.status as account_status,
  i.last_sync_at,
  i.last_error,
  coalesce(a.token_expires_at, i.token_expires_at) as token_expires_at,
  q.next_sync_at,
  q.status as queue_status,
  q.attempts as queue_attempts
from public.integrations i
join public.properties p on p.id = i.property_id
left join public.avito_accounts a on a.id = i.avito_account_id
left join public.avito_sync_queue q on q.integration_id = i.id;

revoke all on public.avito_integration_status from public, anon, authenticated, service_role;
grant select on public.avito_integration_status to authenticated, service_role;

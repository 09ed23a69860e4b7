-- One connection-state vocabulary, defined here once: the status view's `connection_status`
-- and the service's `status` action (its `state`) both call public.avito_connection_state, so
-- the two can no longer use different words or rules. First match wins:
--
--   disconnected     switched off by the host (is_active false, or status 'disconnected')
--   needs_reconnect  switched off by the reconnect pause; or the sync, the linked account or
--                    the paused queue row says only a reconnect helps
--   error            the last sync failed (status 'error', or an error on the row or its queue
--                    row)
--   pending          waiting: for the listing check on Avito (no linked account yet) or for
--                    the first successful sync
--   synced           synced, no error since
--
-- A property with no Avito integration at all is `not_connected` in the service's answer; the
-- view has no row for it. The words the app's contract pins (tests/compat) are kept:
-- `disconnected` for a host's switch-off, `needs_reconnect`, `synced`; the view's former
-- catch-all `active` is now `synced` or `pending`, and a linked row waiting for its listing
-- check is `pending`, not `needs_reconnect`.
--
-- Pure (immutable): it reads only its arguments, so it is safe for every caller; the view is
-- security_invoker, so authenticated must be able to execute it.

create or replace function public.avito_connection_state(
  p_is_active boolean,
  p_status text,
  p_avito_account_id uuid,
  p_account_status text,
  p_queue_status text,
  p_last_error text,
  p_queue_error text,
  p_last_sync_at timestamptz
)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when not p_is_active and p_status = 'needs_reconnect' then 'needs_reconnect'
    when not p_is_active or p_status = 'disconnected' then 'disconnected'
    when p_status = 'needs_reconnect'
      or p_account_status <> 'active'
      or p_queue_status = 'paused' then 'needs_reconnect'
    when p_status = 'error'
      or coalesce(p_last_error, '') <> ''
      or coalesce(p_queue_error, '') <> '' then 'error'
    when p_avito_account_id is null or p_last_sync_at is null then 'pending'
    else 'synced'
  end
$$;

revoke all on function public.avito_connection_state(
  boolean, text, uuid, text, text, text, text, timestamptz) from public, anon;
grant execute on function public.avito_connection_state(
  boolean, text, uuid, text, text, text, text, timestamptz) to authenticated, service_role;

comment on function public.avito_connection_state(
  boolean, text, uuid, text, text, text, text, timestamptz) is
  'The one connection-state vocabulary (disconnected, needs_reconnect, error, pending, synced) '
  'of public.avito_integration_status and the service''s status action.';

-- The view, unchanged but for connection_status (same columns, same order).
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
  public.avito_connection_state(
    i.is_active, i.status, i.avito_account_id, a.status, q.status, i.last_error, q.last_error,
    i.last_sync_at) as connection_status,
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

-- A grant Avito issued without a refresh token cannot be renewed: the host is told a day
-- before it expires (notification event token_expiring, once per expiry; the notifier renders
-- and routes it), and at expiry the account moves to needs_reconnect like a refused refresh
-- (avito_sync.sync.tokens). Called by the service whenever it loads such a token.

create or replace function avito_private.note_token_expiring(p_account_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.notification_events (owner_id, kind, dedupe_key, payload)
  select a.owner_id, 'token_expiring',
         'token-expiring:' || a.id || ':' || extract(epoch from a.token_expires_at)::bigint,
         jsonb_build_object('account_id', a.id, 'expires_at', a.token_expires_at)
  from public.avito_accounts a
  join avito_private.account_tokens t on t.avito_account_id = a.id
  where a.id = p_account_id
    and a.status = 'active'
    and t.refresh_token_secret_id is null
    and a.token_expires_at > now()
    and a.token_expires_at <= now() + interval '1 day'
  on conflict (dedupe_key) do nothing;
  return found;
end;
$$;

select avito_private.grant_execute_to_service('avito_private.note_token_expiring(uuid)');

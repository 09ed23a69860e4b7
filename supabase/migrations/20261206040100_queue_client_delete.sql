-- Single flight against the owner (issue #10): deleting one's own queue row while a worker
-- holds its lease, then inserting it again, used to create a second claimable row and so a
-- second, concurrent sync of the same integration.
--
-- For client roles a DELETE of a row whose lease is live is a request that does nothing: the
-- row (and its lease) stays, and the app's follow-up INSERT then only makes that row due again
-- (20261127400100). The app deletes queue rows only when it disconnects, after setting the
-- integration inactive, and an inactive integration is never claimed again. Rows without a
-- live lease are deleted as before. The service's own deletes (SECURITY DEFINER functions,
-- service_role) are not affected; a sync whose row they remove loses its lease and stops
-- before it pushes (sync/engine.py).

create or replace function avito_private.avito_sync_queue_client_delete()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.status = 'running' and old.lease_expires_at > pg_catalog.now() then
    return null;
  end if;
  return old;
end;
$$;

drop trigger if exists avito_sync_queue_client_delete on public.avito_sync_queue;
create trigger avito_sync_queue_client_delete
  before delete on public.avito_sync_queue
  for each row
  when (current_user in ('authenticated', 'anon'))
  execute function avito_private.avito_sync_queue_client_delete();

select avito_private.revoke_execute('avito_private.avito_sync_queue_client_delete()');

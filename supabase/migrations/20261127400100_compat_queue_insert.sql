-- The deployed app inserts an avito_sync_queue row every time it connects a property
-- (docs/app-contract.md §4, no dedupe). integration_id is unique now, so the second insert
-- would fail with 23505 in the app. For client roles a duplicate insert instead makes the
-- existing row due now (like the service's enqueue with reason 'initial') and inserts nothing.
-- The app's insert names property_id, integration_id, next_sync_at and status; the last two
-- are granted so PostgREST accepts it, and replaced (due now, pending) by the trigger.
--
-- Only client roles take this path (the trigger's WHEN clause is evaluated as the caller):
-- the service's own enqueue_integration (SECURITY DEFINER, running as the function owner)
-- keeps its INSERT ... ON CONFLICT DO UPDATE untouched. The caller must own the queue row's
-- property and its integration; otherwise the insert goes on unchanged and RLS, the foreign
-- keys and the unique key refuse it exactly as before.

create or replace function avito_private.avito_sync_queue_app_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_found boolean;
begin
  update public.avito_sync_queue q
  set next_sync_at = case when q.status = 'running' then now()
                          else least(q.next_sync_at, now()) end,
      wake_reason = 'initial'
  from public.integrations i
  join public.properties p on p.id = i.property_id
  where q.integration_id = new.integration_id
    and i.id = q.integration_id
    and p.id = new.property_id
    and p.owner_id = (select auth.uid())
  returning true into v_found;

  if coalesce(v_found, false) then
    perform pg_notify('avito_sync_due', new.integration_id::text);
    return null;
  end if;
  -- A first row: the app's own next_sync_at and status are not trusted, it is due now.
  new.next_sync_at := now();
  new.status := 'pending';
  perform pg_notify('avito_sync_due', new.integration_id::text);
  return new;
end;
$$;

drop trigger if exists avito_sync_queue_app_insert on public.avito_sync_queue;
create trigger avito_sync_queue_app_insert
  before insert on public.avito_sync_queue
  for each row
  when (current_user in ('authenticated', 'anon'))
  execute function avito_private.avito_sync_queue_app_insert();

revoke all on function avito_private.avito_sync_queue_app_insert()
  from public, anon, authenticated, service_role;

-- When the next claim can succeed: the earliest due time among rows claim_sync_batch would
-- take (pending and due, or running with a lease that will expire). Lets a long-running
-- worker sleep exactly until then instead of polling blindly. NULL when nothing is queued.
create or replace function avito_private.next_sync_due_in()
returns double precision
language sql
stable
security definer
set search_path = ''
as $$
  select extract(epoch from min(case when q.status = 'pending' then q.next_sync_at
                                     else q.lease_expires_at end) - now())::double precision
  from public.avito_sync_queue q
  join public.integrations i on i.id = q.integration_id
  join public.properties p on p.id = i.property_id
  join public.avito_accounts a on a.id = i.avito_account_id
  where q.status in ('pending', 'running')
    and i.is_active
    and p.deleted_at is null
    and a.status = 'active';
$$;

select avito_private.grant_execute_to_service(
  'avito_private.next_sync_due_in()');

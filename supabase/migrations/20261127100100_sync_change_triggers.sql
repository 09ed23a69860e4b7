-- Changes in the app make the affected integrations due now and wake the workers
-- with NOTIFY avito_sync_due (payload: the integration id), so a host's edit
-- reaches Avito within a second instead of waiting for the next tick.
--
-- Loop guard: a sync writes bookings itself (the pull). Those writes must not
-- make the same integration due again, or every pull would schedule another
-- sync. The sync's transaction sets the transaction-local setting
-- `avito_sync.sync_write = on` (set_config(..., true)); the triggers ignore
-- writes made under it. The sync pushes right after its pull anyway, so
-- nothing it wrote is left unpushed.
--
-- Rows in backoff (attempts > 0) keep their schedule: the next attempt pushes
-- the full state, and a host editing a property must not defeat the backoff.
-- Paused rows (needs_reconnect) are left alone.

create or replace function avito_private.mark_properties_due(p_property_ids uuid[])
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
begin
  if p_property_ids is null or cardinality(p_property_ids) = 0
     or coalesce(current_setting('avito_sync.sync_write', true), '') = 'on' then
    return 0;
  end if;

  with hit as (
    select q.id, q.integration_id
    from public.avito_sync_queue q
    join public.integrations i on i.id = q.integration_id
    where i.property_id = any(p_property_ids)
      and i.is_active
      and q.status <> 'paused'
      and q.attempts = 0
  ), moved as (
    update public.avito_sync_queue q
    set next_sync_at = now(), wake_reason = 'change'
    from hit
    where q.id = hit.id and q.next_sync_at > now()
  )
  select array_agg(distinct hit.integration_id) into v_ids from hit;

  if v_ids is not null then
    perform pg_notify('avito_sync_due', x::text) from unnest(v_ids) as x;
  end if;
  return coalesce(cardinality(v_ids), 0);
end;
$$;


-- bookings: dates, status or property changed.
create or replace function avito_private.bookings_mark_due()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform avito_private.mark_properties_due(
      (select array_agg(distinct n.property_id) from new_rows n));
  elsif tg_op = 'DELETE' then
    perform avito_private.mark_properties_due(
      (select array_agg(distinct o.property_id) from old_rows o));
  else
    perform avito_private.mark_properties_due((
      select array_agg(distinct x.property_id)
      from old_rows o
      join new_rows n on n.id = o.id
      cross join lateral (values (o.property_id), (n.property_id)) as x(property_id)
      where (o.property_id, o.check_in, o.check_out, o.status)
            is distinct from (n.property_id, n.check_in, n.check_out, n.status)));
  end if;
  return null;
end;
$$;

-- property_rates and properties share one shape: every touched property.
create or replace function avito_private.property_rows_mark_due()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    perform avito_private.mark_properties_due(
      (select array_agg(distinct o.property_id) from old_rows o));
  else
    perform avito_private.mark_properties_due(
      (select array_agg(distinct n.property_id) from new_rows n));
  end if;
  return null;
end;
$$;

-- properties: what the plan reads (price, minimum stay); deletion leaves the queue.
create or replace function avito_private.properties_mark_due()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.avito_sync_queue q
  using public.integrations i, new_rows n
  where i.id = q.integration_id
    and i.property_id = n.id
    and n.deleted_at is not null;

  perform avito_private.mark_properties_due((
    select array_agg(n.id)
    from old_rows o
    join new_rows n on n.id = o.id
    where n.deleted_at is null
      and (o.base_price, o.minimum_booking_days)
          is distinct from (n.base_price, n.minimum_booking_days)));
  return null;
end;
$$;

-- integrations: a disconnected integration leaves the queue; a new markup is pushed now.
create or replace function avito_private.integrations_mark_due()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.avito_sync_queue q
  using new_rows n
  where q.integration_id = n.id
    and not n.is_active;

  perform avito_private.mark_properties_due((
    select array_agg(distinct n.property_id)
    from old_rows o
    join new_rows n on n.id = o.id
    where n.is_active and o.avito_markup is distinct from n.avito_markup));
  return null;
end;
$$;


-- Statement-level triggers: one queue update and one NOTIFY per statement,
-- however many rows it touched (a rates upsert of a whole year is one wake-up).
create or replace trigger avito_sync_due_on_insert after insert on public.bookings
  referencing new table as new_rows
  for each statement execute function avito_private.bookings_mark_due();
create or replace trigger avito_sync_due_on_update after update on public.bookings
  referencing old table as old_rows new table as new_rows
  for each statement execute function avito_private.bookings_mark_due();
create or replace trigger avito_sync_due_on_delete after delete on public.bookings
  referencing old table as old_rows
  for each statement execute function avito_private.bookings_mark_due();

create or replace trigger avito_sync_due_on_insert after insert on public.property_rates
  referencing new table as new_rows
  for each statement execute function avito_private.property_rows_mark_due();
create or replace trigger avito_sync_due_on_update after update on public.property_rates
  referencing old table as old_rows new table as new_rows
  for each statement execute function avito_private.property_rows_mark_due();
create or replace trigger avito_sync_due_on_delete after delete on public.property_rates
  referencing old table as old_rows
  for each statement execute function avito_private.property_rows_mark_due();

create or replace trigger avito_sync_due_on_update after update on public.properties
  referencing old table as old_rows new table as new_rows
  for each statement execute function avito_private.properties_mark_due();

create or replace trigger avito_sync_due_on_update after update on public.integrations
  referencing old table as old_rows new table as new_rows
  for each statement execute function avito_private.integrations_mark_due();

-- A reconnected account (its tokens stored again, status back to active) resumes its
-- integrations: their paused queue rows become due now.
create or replace function avito_private.avito_account_resumed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_integration uuid;
begin
  for v_integration in
    select i.id from public.integrations i
    where i.avito_account_id = new.id and (i.is_active or i.status = 'needs_reconnect')
  loop
    -- Rows the reconnect pause switched off come back on, unless their listing was taken
    -- meanwhile by another active linked row.
    update public.integrations i
    set status = 'active', last_error = null, is_active = true
    where i.id = v_integration and i.status = 'needs_reconnect'
      and not exists (select 1 from public.integrations o
                      where o.avito_item_id = i.avito_item_id and o.is_active
                        and o.avito_account_id is not null and o.id <> i.id);
    perform avito_private.enqueue_integration(v_integration, 'manual', true);
  end loop;
  return null;
end;
$$;

select avito_private.revoke_execute(
  'avito_private.bookings_mark_due()',
  'avito_private.property_rows_mark_due()',
  'avito_private.properties_mark_due()',
  'avito_private.integrations_mark_due()',
  'avito_private.avito_account_resumed()');
select avito_private.grant_execute_to_service(
  'avito_private.mark_properties_due(uuid[])');

create or replace trigger avito_sync_resume_on_reconnect after update of status
  on public.avito_accounts
  for each row
  when (new.status = 'active' and old.status is distinct from 'active')
  execute function avito_private.avito_account_resumed();

-- The end of every sync, in one transaction: its audit row in avito_sync_runs, the
-- integration's badge state (last_sync_at, status, last_error) and its queue row
-- (next poll, or backoff). Plus the two ways a sync starts outside the batch claim
-- (the host's "sync now", the initial sync) and the reconnect stop state.

-- Claim one integration's row for an on-demand sync; NULL while another worker holds
-- a valid lease (the caller may wait and retry) or when the integration cannot sync.
create or replace function avito_private.claim_integration(
  p_integration_id uuid,
  p_owner text,
  p_lease_seconds integer default 120
)
returns table (
  integration_id uuid,
  property_id uuid,
  avito_account_id uuid,
  attempts integer,
  wake_reason text,
  lease_expires_at timestamptz
)
language sql
security definer
set search_path = ''
as $$
  select * from avito_private.lease_sync_rows('claim_integration', p_owner, p_lease_seconds, array(
    select q.id
    from public.avito_sync_queue q
    join public.integrations i on i.id = q.integration_id
    join public.properties p on p.id = i.property_id
    join public.avito_accounts a on a.id = i.avito_account_id
    where q.integration_id = p_integration_id
      and (q.status = 'pending' or (q.status = 'running' and q.lease_expires_at <= now()))
      and i.is_active
      and p.deleted_at is null
      and a.status = 'active'
    for update of q skip locked));
$$;


-- The property and owner of an integration, for the functions that record what a sync did.
-- Raises P0002, naming the calling function, when the integration does not exist.
create or replace function avito_private.integration_owner(
  p_caller text,
  p_integration_id uuid,
  out property_id uuid,
  out owner_id uuid
)
language plpgsql
stable
set search_path = ''
as $$
begin
  select i.property_id, p.owner_id into property_id, owner_id
  from public.integrations i
  join public.properties p on p.id = i.property_id
  where i.id = p_integration_id;
  if not found then
    raise exception '%: integration % not found', p_caller, p_integration_id
      using errcode = 'P0002';
  end if;
end;
$$;


-- Record a finished sync and move its queue row on. Outcomes:
--   success          everything pulled and pushed: next poll after p_interval_seconds
--   partial, failed  something failed: backoff; the integration shows status 'error'
--   needs_reconnect  the token refresh was refused: the row is already paused
-- Returns false when the lease was lost meanwhile (the run is recorded anyway).
create or replace function avito_private.record_sync_result(
  p_integration_id uuid,
  p_owner text,
  p_trigger text,
  p_outcome text,
  p_counts jsonb,
  p_api_calls integer,
  p_started_at timestamptz,
  p_error text,
  p_interval_seconds integer default 10,
  p_backoff_base_seconds integer default 10,
  p_backoff_cap_seconds integer default 3600
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_error text := left(p_error, 2000);
  v_held boolean;
  v_property_id uuid;
  v_owner_id uuid;
begin
  if p_outcome not in ('success', 'partial', 'failed', 'needs_reconnect') then
    raise exception 'record_sync_result: unknown outcome %', p_outcome using errcode = '22023';
  end if;

  select o.property_id, o.owner_id into v_property_id, v_owner_id
  from avito_private.integration_owner('record_sync_result', p_integration_id) o;

  insert into public.avito_sync_runs
    (integration_id, property_id, trigger, outcome, counts, api_calls, started_at,
     finished_at, duration_ms, error)
  values
    (p_integration_id, v_property_id, p_trigger, p_outcome, coalesce(p_counts, '{}'::jsonb),
     coalesce(p_api_calls, 0), least(p_started_at, now()), now(),
     greatest(0, (extract(epoch from (now() - p_started_at)) * 1000)::integer), v_error);

  update public.integrations i
  set last_sync_at = case when p_outcome = 'success' then now() else i.last_sync_at end,
      status = case
                 when p_outcome = 'success' then 'active'
                 when p_outcome = 'needs_reconnect' then 'needs_reconnect'
                 else 'error'
               end,
      last_error = case when p_outcome = 'success' then null else v_error end
  where i.id = p_integration_id
    and i.is_active;

  if p_outcome = 'success' then
    v_held := avito_private.complete_sync_success(p_integration_id, p_owner, p_interval_seconds);
    perform avito_private.note_sync_health(
      p_integration_id, v_owner_id, v_property_id, true, null);
  elsif p_outcome = 'needs_reconnect' then
    v_held := true;
  else
    v_held := avito_private.complete_sync_failure(
      p_integration_id, p_owner, coalesce(v_error, p_outcome),
      p_backoff_base_seconds, p_backoff_cap_seconds);
    -- One alert once the streak is older than sync_failing_minutes (20261206050100).
    perform avito_private.note_sync_health(
      p_integration_id, v_owner_id, v_property_id, false, coalesce(v_error, p_outcome));
  end if;
  return v_held;
end;
$$;


-- The stop state: the host must reconnect this Avito account. Account and its active
-- integrations become needs_reconnect, their queue rows are paused, and one
-- notification event is written for the owner, all at once.
create or replace function avito_private.mark_account_needs_reconnect(
  p_account_id uuid,
  p_reason text
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_owner uuid;
  v_was text;
  v_integrations jsonb;
  v_reason text := left(coalesce(p_reason, 'token refresh refused'), 500);
begin
  select a.owner_id, a.status into v_owner, v_was
  from public.avito_accounts a
  where a.id = p_account_id
  for update;
  if not found then
    return false;
  end if;

  select coalesce(jsonb_agg(i.id order by i.id), '[]'::jsonb) into v_integrations
  from public.integrations i
  where i.avito_account_id = p_account_id and i.is_active;

  update public.avito_accounts a
  set status = 'needs_reconnect', last_error = v_reason
  where a.id = p_account_id;

  -- The deployed app offers "Подключить заново" only for inactive rows: switch them off,
  -- keeping status needs_reconnect (a host's own switch-off is status 'disconnected' or
  -- 'active'); the reconnect switches them back on (avito_account_resumed).
  update public.integrations i
  set status = 'needs_reconnect', last_error = v_reason, is_active = false
  where i.avito_account_id = p_account_id and i.is_active;

  update public.avito_sync_queue q
  set status = 'paused', last_error = v_reason, lease_owner = null, lease_expires_at = null
  from public.integrations i
  where i.id = q.integration_id and i.avito_account_id = p_account_id;

  if v_was is distinct from 'needs_reconnect' then
    insert into public.notification_events (owner_id, kind, dedupe_key, payload)
    values (
      v_owner, 'needs_reconnect',
      'needs_reconnect:' || p_account_id || ':' || extract(epoch from now())::bigint,
      jsonb_build_object(
        'avito_account_id', p_account_id,
        'reason', v_reason,
        'integration_ids', v_integrations))
    on conflict (dedupe_key) do nothing;
  end if;
  return true;
end;
$$;

select avito_private.revoke_execute(
  'avito_private.integration_owner(text, uuid)');
select avito_private.grant_execute_to_service(
  'avito_private.claim_integration(uuid, text, integer)',
  'avito_private.record_sync_result(uuid, text, text, text, jsonb, integer, timestamptz, text, integer, integer, integer)',
  'avito_private.mark_account_needs_reconnect(uuid, text)');

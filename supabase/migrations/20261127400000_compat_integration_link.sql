-- The deployed app's connect flow writes integrations itself (existing-frontend.md §4): after
-- the OAuth callback (our service stored the account and its tokens) it upserts the row on
-- (property_id, platform) with the TYPED avito_user_id, avito_item_id, avito_markup,
-- external_id and is_active, but never avito_account_id, which it does not know. Without the
-- link the row cannot sync (NO_ACCESS_TOKEN). This migration links such rows in the database,
-- whatever writes them:
--
--   * Only accounts of the property's owner are candidates. A typed Avito user id that belongs
--     to somebody else's account never links to it.
--   * The listing must be recorded for the account in avito_items (the service records a
--     listing only after Avito confirmed it belongs to the account: get-items, validate-item,
--     save-integration, or the legacy sync's check below). Recording a minimal avito_items row
--     from the trigger was rejected: it would let a host hold (integrations_one_active_per_item)
--     a listing that is not theirs. A row whose listing is not recorded yet stays unlinked
--     until the service has checked it on Avito (avito_private.link_app_integration, called by
--     the legacy avito_sync endpoint before it syncs).
--   * Id confusion (existing-frontend.md §9.8): the account whose avito_user_id equals the typed
--     one wins; otherwise the owner's only account holding the listing is linked and the typed
--     user id is corrected to the account's (the listing proves which account it is). Two or
--     more of the owner's accounts holding it without a matching typed id: no link (ambiguous).
--     For the service's check on Avito the candidate is the account with the typed user id, or
--     the owner's only account when none matches.
--   * A listing already held by another active linked integration is not linked again (the
--     unique index would turn the app's upsert into an error); the legacy sync then answers
--     ITEM_IN_USE.
--
-- Markup: the app stores a fixed RUB surcharge as a negative markup; the rule stays 0–100 %,
-- but the error the app receives through PostgREST names the problem instead of only the
-- constraint (a CHECK constraint cannot carry a message of its own).

create or replace function avito_private.resolve_app_account(
  p_owner_id uuid,
  p_avito_user_id bigint,
  p_avito_item_id bigint,
  p_integration_id uuid,
  p_require_listing boolean
)
returns table (avito_account_id uuid, avito_user_id bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_matches uuid[];
  v_account uuid;
begin
  if p_owner_id is null or p_avito_item_id is null then
    return;
  end if;

  if p_require_listing then
    select array_agg(a.id order by (a.avito_user_id = p_avito_user_id) desc, a.created_at, a.id)
    into v_matches
    from public.avito_accounts a
    join public.avito_items it
      on it.avito_account_id = a.id and it.avito_item_id = p_avito_item_id
    where a.owner_id = p_owner_id;
  else
    select array_agg(a.id order by (a.avito_user_id = p_avito_user_id) desc, a.created_at, a.id)
    into v_matches
    from public.avito_accounts a
    where a.owner_id = p_owner_id;
  end if;

  if coalesce(array_length(v_matches, 1), 0) = 0 then
    return;
  end if;
  v_account := v_matches[1];
  if array_length(v_matches, 1) > 1 and not exists (
    select 1 from public.avito_accounts a
    where a.id = v_account and a.avito_user_id = p_avito_user_id
  ) then
    return;  -- several candidates, none named by the typed id: do not guess
  end if;

  -- A listing held by another active linked integration stays where it is.
  if exists (
    select 1 from public.integrations i
    where i.avito_item_id = p_avito_item_id
      and i.is_active
      and i.avito_account_id is not null
      and i.id is distinct from p_integration_id
  ) then
    return;
  end if;

  return query
  select a.id, a.avito_user_id from public.avito_accounts a where a.id = v_account;
end;
$$;


create or replace function avito_private.integrations_app_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_owner uuid;
  v_account uuid;
  v_user bigint;
  v_account_status text;
begin
  if new.avito_markup is not null and (new.avito_markup < 0 or new.avito_markup > 100) then
    raise exception using
      errcode = 'check_violation',
      message = 'Наценка Avito должна быть в процентах от 0 до 100 (получено '
                || new.avito_markup::text || '). Фиксированная наценка в рублях '
                || '(отрицательное значение) не поддерживается.',
      detail = 'integrations.avito_markup is a percent from 0 to 100; a negative value '
               '(the old fixed RUB surcharge) is refused.',
      hint = 'Enter the surcharge as a percent of the nightly price.',
      constraint = 'integrations_avito_markup_check',
      table = 'integrations',
      column = 'avito_markup',
      schema = 'public';
  end if;

  -- The writer chose the account itself (the service's save-integration): keep it.
  if tg_op = 'INSERT' and new.avito_account_id is not null then
    return new;
  end if;
  if tg_op = 'UPDATE' and (
       new.avito_account_id is distinct from old.avito_account_id
       or (new.avito_account_id is not null
           and new.avito_user_id is not distinct from old.avito_user_id
           and new.avito_item_id is not distinct from old.avito_item_id)) then
    return new;
  end if;

  select p.owner_id into v_owner from public.properties p where p.id = new.property_id;
  select r.avito_account_id, r.avito_user_id into v_account, v_user
  from avito_private.resolve_app_account(
    v_owner, new.avito_user_id, new.avito_item_id, new.id, true) r;

  if v_account is null then
    -- Nothing to link. A linked row keeps its account: if the new listing is not the
    -- account's, the deferred foreign key refuses the write at commit.
    return new;
  end if;

  new.avito_account_id := v_account;
  new.avito_user_id := v_user;
  select a.status into v_account_status from public.avito_accounts a where a.id = v_account;
  if new.is_active and v_account_status = 'active'
     and new.status in ('needs_reconnect', 'disconnected') then
    new.status := 'active';
    new.last_error := null;
  end if;
  return new;
end;
$$;

drop trigger if exists integrations_app_write on public.integrations;
create trigger integrations_app_write
  before insert or update on public.integrations
  for each row execute function avito_private.integrations_app_write();


-- The service's half: once it has confirmed the listing on Avito (and recorded it in
-- avito_items), link an unlinked row. Returns the linked account, or NULL when the row is
-- gone, already linked elsewhere, or no account of the owner qualifies.
create or replace function avito_private.link_app_integration(p_integration_id uuid)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row public.integrations%rowtype;
  v_owner uuid;
  v_account uuid;
  v_user bigint;
begin
  select i.* into v_row from public.integrations i where i.id = p_integration_id for update;
  if not found then
    return null;
  end if;
  if v_row.avito_account_id is not null then
    return v_row.avito_account_id;
  end if;
  select p.owner_id into v_owner from public.properties p where p.id = v_row.property_id;
  select r.avito_account_id, r.avito_user_id into v_account, v_user
  from avito_private.resolve_app_account(
    v_owner, v_row.avito_user_id, v_row.avito_item_id, v_row.id, true) r;
  if v_account is null then
    return null;
  end if;
  update public.integrations i
  set avito_account_id = v_account,
      avito_user_id = v_user,
      status = case when i.status in ('needs_reconnect', 'disconnected') and i.is_active
                    then 'active' else i.status end,
      last_error = case when i.status in ('needs_reconnect', 'disconnected') and i.is_active
                        then null else i.last_error end
  where i.id = p_integration_id;
  return v_account;
end;
$$;


-- Which of the owner's accounts the service should ask Avito about for an unlinked row:
-- the one with the typed user id, else the owner's only account. NULL when there is none.
create or replace function avito_private.app_integration_candidate(p_integration_id uuid)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select r.avito_account_id
  from public.integrations i
  join public.properties p on p.id = i.property_id
  cross join lateral avito_private.resolve_app_account(
    p.owner_id, i.avito_user_id, i.avito_item_id, i.id, false) r
  where i.id = p_integration_id;
$$;

revoke all on function avito_private.resolve_app_account(uuid, bigint, bigint, uuid, boolean)
  from public, anon, authenticated, service_role;
revoke all on function avito_private.integrations_app_write()
  from public, anon, authenticated, service_role;
revoke all on function avito_private.link_app_integration(uuid)
  from public, anon, authenticated;
revoke all on function avito_private.app_integration_candidate(uuid)
  from public, anon, authenticated;
grant execute on function avito_private.link_app_integration(uuid) to service_role;
grant execute on function avito_private.app_integration_candidate(uuid) to service_role;

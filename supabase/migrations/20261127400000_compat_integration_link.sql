-- The deployed app's connect flow writes integrations itself (docs/app-contract.md §4): after
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
--   * Id confusion (docs/app-contract.md §9.8): the account whose avito_user_id equals the typed
--     one wins; otherwise the owner's only account holding the listing is linked and the typed
--     user id is corrected to the account's (the listing proves which account it is). Two or
--     more of the owner's accounts holding it without a matching typed id: no link (ambiguous).
--     For the service's check on Avito the candidate is the account with the typed user id, or
--     the owner's only account when none matches.
--   * A listing already held by another active linked integration is not linked again (the
--     unique index would turn the app's upsert into an error); the legacy sync then answers
--     ITEM_IN_USE.
--
--   * The app changes the listing of a connected row with a plain update (docs/app-contract.md
--     §10). When the new listing is not recorded for one of the owner's accounts, the row is
--     unlinked (the deferred foreign key would otherwise refuse the app's write) and
--     link_check_after asks the service to check the listing on Avito and relink it, or to
--     refuse it with a message in avito_logs. The old listing is left as it is on Avito.
--   * A row linked to an account that needs a reconnect cannot be switched on by the app: it
--     stays inactive (the app then offers "Подключить заново") with status needs_reconnect.
--   * A linked row carries its account's token_expires_at and scope (the app skips its own
--     sync while token_expires_at is empty and reads scope for the Messages tab).
--
-- Markup (docs/app-contract.md §10): >= 0 is a percent up to 100, < 0 a fixed RUB surcharge of
-- 1–100 000 ₽. A CHECK cannot carry a message of its own, so the trigger names the problem in
-- Russian for the app's write.

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
  if new.avito_markup is not null
     and (tg_op = 'INSERT' or new.avito_markup is distinct from old.avito_markup)
     and (new.avito_markup > 100 or new.avito_markup < -100000
          or (new.avito_markup < 0 and new.avito_markup > -1)) then
    raise exception using
      errcode = 'check_violation',
      message = case when new.avito_markup >= 0
                  then 'Наценка в процентах должна быть от 0 до 100 (получено '
                       || new.avito_markup::text || ').'
                  else 'Наценка в рублях должна быть от 1 до 100 000 ₽ (получено '
                       || abs(new.avito_markup)::text || ' ₽).' end,
      detail = 'integrations.avito_markup: >= 0 is a percent (0–100), < 0 a fixed RUB '
               'surcharge of abs(value) (1–100000).',
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
           and new.avito_item_id is not distinct from old.avito_item_id
           and not (new.is_active and not old.is_active))) then
    return new;
  end if;

  -- Only a new row, another listing or account number, or switching on is the app's (re)link.
  if tg_op = 'UPDATE' and new.avito_user_id is not distinct from old.avito_user_id
     and new.avito_item_id is not distinct from old.avito_item_id
     and new.is_active is not distinct from old.is_active then
    return new;
  end if;

  select p.owner_id into v_owner from public.properties p where p.id = new.property_id;
  select r.avito_account_id, r.avito_user_id into v_account, v_user
  from avito_private.resolve_app_account(
    v_owner, new.avito_user_id, new.avito_item_id, new.id, true) r;

  if v_account is null then
    -- Not recorded for any of the owner's accounts yet: the service checks it on Avito.
    new.avito_account_id := null;
    new.link_check_after := case when new.is_active then now() end;
    if new.is_active then
      perform pg_notify('avito_sync_due', new.id::text);  -- wakes the worker to check it
    end if;
    return new;
  end if;

  if tg_op = 'INSERT' or old.avito_account_id is distinct from v_account then
    new.last_error := null;  -- e.g. the refusal of a listing the app has since corrected
  end if;
  new.avito_account_id := v_account;
  new.avito_user_id := v_user;
  new.link_check_after := null;
  select a.status, a.token_expires_at, a.scope
  into v_account_status, new.token_expires_at, new.scope
  from public.avito_accounts a where a.id = v_account;
  if new.is_active and v_account_status <> 'active' then
    new.is_active := false;  -- the app shows "Подключить заново" for inactive rows only
    new.status := 'needs_reconnect';
  elsif new.is_active and new.status in ('needs_reconnect', 'disconnected') then
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
      link_check_after = null,
      token_expires_at = (select a.token_expires_at from public.avito_accounts a
                          where a.id = v_account),
      scope = (select a.scope from public.avito_accounts a where a.id = v_account),
      status = case when i.status in ('needs_reconnect', 'disconnected') and i.is_active
                    then 'active' else i.status end,
      last_error = null
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

-- The cutover from the old Edge Functions (docs/app-contract.md §12), in SQL so that it runs in
-- one transaction next to the data; `avito-sync cutover check | apply` calls these functions.
--
--   * cutover_facts(): what `check` needs to know, as jsonb (counts and names, never a token).
--   * cutover_probe_service() / cutover_probe_result(): a real pg_net round trip to the
--     service's /healthz, the way the tick reaches it.
--   * unschedule_legacy_jobs(): the old pg_cron jobs go (avito_poller_cron, the messenger poller
--     avito_message_poller, which the service's messenger poll replaces, and any job calling
--     the old functions).
--   * import_legacy_tokens(): every legacy connection becomes an avito_accounts row of its
--     owner and Avito user id with its tokens in Vault, its integrations linked, and the legacy
--     columns cleared. Tokens are plain text or pgcrypto-encrypted (pgp_sym_encrypt, base64)
--     with the key of the old app (Vault secret AVITO_TOKEN_ENCRYPTION_KEY or setting
--     app.settings.avito_token_encryption_key), access tokens often several times over
--     (§9.4): they are decrypted until plain. The stored expiry is in the past, so the first
--     sync refreshes the token at once. A connection whose refresh token cannot be recovered
--     goes to needs_reconnect (its columns stay, so a run with the right key can still import
--     it). Outcomes are kept in avito_private.legacy_token_imports: running it again changes
--     nothing.
--
-- Every function here is SECURITY DEFINER with an empty search_path; the public ones are for
-- service_role only, the helpers for nobody.

-- pg_net (the tick and the probe) and pgcrypto (the old app's encryption), where this Postgres
-- has them. The local layer has its own pg_net stand-in and creates pgcrypto itself.
do $$
begin
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net')
     and not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_net')
     and pg_catalog.to_regnamespace('net') is null then
    create extension if not exists pg_net;
  end if;
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pgcrypto')
     and not exists (select 1 from pg_catalog.pg_extension where extname = 'pgcrypto') then
    create schema if not exists extensions;
    create extension if not exists pgcrypto with schema extensions;
  end if;
end;
$$;

create table if not exists avito_private.legacy_token_imports (
  integration_id uuid primary key references public.integrations (id) on delete cascade,
  avito_account_id uuid references public.avito_accounts (id) on delete set null,
  outcome text not null,
  reason text,
  first_run_at timestamptz not null default now(),
  last_run_at timestamptz not null default now()
);

select avito_private.ensure_constraint(
  'avito_private.legacy_token_imports', 'legacy_token_imports_outcome_check',
  $$check (outcome in ('imported', 'already_imported', 'needs_reconnect', 'skipped'))$$);

revoke all on avito_private.legacy_token_imports from public, anon, authenticated, service_role;
alter table avito_private.legacy_token_imports enable row level security;


-- The old app's encryption keys, as its encrypt_avito_token() looked them up (both, if both
-- are set: a key changed between the two places still decrypts).
create or replace function avito_private.legacy_encryption_keys()
returns text[]
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_keys text[] := array[]::text[];
  v_key text;
begin
  v_key := pg_catalog.current_setting('app.settings.avito_token_encryption_key', true);
  if coalesce(v_key, '') <> '' then
    v_keys := v_keys || v_key;
  end if;
  for v_key in
    select s.decrypted_secret from vault.decrypted_secrets s
    where s.name = 'AVITO_TOKEN_ENCRYPTION_KEY' and coalesce(s.decrypted_secret, '') <> ''
  loop
    if not v_key = any (v_keys) then
      v_keys := v_keys || v_key;
    end if;
  end loop;
  return v_keys;
end;
$$;


-- The plain token behind a legacy value, or NULL when it cannot be recovered. A value is
-- encrypted when it is base64 of an OpenPGP symmetric-key session packet (new-format tag 3,
-- version 4: 'ww0E…' as pgp_sym_encrypt writes it); anything else is the token itself.
create or replace function avito_private.legacy_token_plaintext(p_value text, p_keys text[])
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_value text := pg_catalog.btrim(p_value);
  v_bytes bytea;
  v_next text;
  v_key text;
  v_schema text;
begin
  select n.nspname into v_schema
  from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
  where e.extname = 'pgcrypto';

  for v_round in 1 .. 10 loop
    if coalesce(v_value, '') = '' then
      return null;
    end if;
    begin
      v_bytes := pg_catalog.decode(v_value, 'base64');
    exception when others then
      return v_value;  -- not base64: plain
    end;
    if pg_catalog.length(v_bytes) < 16 or pg_catalog.get_byte(v_bytes, 0) <> 195
       or pg_catalog.get_byte(v_bytes, 2) <> 4 then
      return v_value;  -- not an OpenPGP message: plain
    end if;
    if v_schema is null then
      return null;
    end if;
    v_next := null;
    foreach v_key in array coalesce(p_keys, array[]::text[]) loop
      begin
        execute pg_catalog.format('select %I.pgp_sym_decrypt($1, $2)', v_schema)
          into v_next using v_bytes, v_key;
      exception when others then
        v_next := null;
      end;
      exit when v_next is not null;
    end loop;
    if v_next is null then
      return null;  -- no key opens it
    end if;
    v_value := pg_catalog.btrim(v_next);
  end loop;
  return null;
end;
$$;


-- Old pg_cron jobs: the documented names and any job whose command calls an old function.
-- kind: 'rentals' or 'messenger' (both retired by the cutover: the service serves the
-- messenger too). Empty without pg_cron.
create or replace function avito_private.legacy_cron_jobs()
returns table (jobid bigint, jobname text, schedule text, kind text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if pg_catalog.to_regclass('cron.job') is null then
    return;
  end if;
  return query execute $q$
    select j.jobid, j.jobname::text, j.schedule::text,
           case when j.jobname = 'avito_message_poller'
                  or j.command ~ 'functions/v1/avito-(message-poller|messenger)\M'
                then 'messenger' else 'rentals' end
    from cron.job j
    where coalesce(j.jobname, '') not in ('avito-poller', 'avito-sync-prune')
      and (j.jobname in ('avito_poller_cron', 'avito_message_poller')
           or j.command ~ ('functions/v1/(avito-poller|avito_sync|avito-message-poller|'
                           'avito-messenger|avito-webhook|avito-close-availability|'
                           'avito-oauth-callback)\M'))
    order by j.jobid $q$;
end;
$$;


create or replace function avito_private.unschedule_legacy_jobs()
returns text[]
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job record;
  v_done text[] := array[]::text[];
begin
  for v_job in select * from avito_private.legacy_cron_jobs() loop
    execute 'select cron.unschedule($1)' using v_job.jobid;
    v_done := v_done || coalesce(v_job.jobname, 'job ' || v_job.jobid::text);
  end loop;
  return v_done;
end;
$$;


-- Which legacy token columns this integrations table has (none on a database made by us).
create or replace function avito_private.legacy_token_columns()
returns text[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(pg_catalog.array_agg(a.attname::text order by a.attname), array[]::text[])
  from pg_catalog.pg_attribute a
  where a.attrelid = 'public.integrations'::regclass and not a.attisdropped
    and a.attname in ('access_token_encrypted', 'refresh_token_encrypted',
                      'messenger_token_json');
$$;


create or replace function avito_private.import_legacy_tokens()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_columns text[] := avito_private.legacy_token_columns();
  v_keys text[];
  v_cursor refcursor;
  v_row_id uuid;
  v_row_owner uuid;
  v_row_user bigint;
  v_row_item bigint;
  v_row_active boolean;
  v_row_account uuid;
  v_row_scope text;
  v_row_access text;
  v_row_refresh text;
  v_access text;
  v_refresh text;
  v_account uuid;
  v_account_status text;
  v_has_tokens boolean;
  v_newer boolean;
  v_stored uuid[] := array[]::uuid[];
  v_touched uuid[] := array[]::uuid[];
  v_outcome text;
  v_reason text;
  v_link boolean;
  v_counts jsonb := '{"imported": 0, "already_imported": 0, "needs_reconnect": 0,
                      "skipped": 0}'::jsonb;
  v_reasons jsonb := '{}'::jsonb;
  v_unused integer := 0;
begin
  -- One import at a time; the app's own writes to a row wait for its import.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('avito-sync cutover import'));

  if 'access_token_encrypted' = any (v_columns) and 'refresh_token_encrypted' = any (v_columns)
  then
    v_keys := avito_private.legacy_encryption_keys();
    -- Per owner and Avito user id, the freshest grant first: its refresh token is the one
    -- Avito still honours if an older one was rotated away.
    open v_cursor for execute pg_catalog.format($q$
      select i.id, p.owner_id, i.avito_user_id, i.avito_item_id, i.is_active,
             i.avito_account_id, i.scope, i.%1$I as access_value,
             i.%2$I as refresh_value
      from public.integrations i
      left join public.properties p on p.id = i.property_id
      where coalesce(pg_catalog.btrim(i.%1$I), '') <> ''
         or coalesce(pg_catalog.btrim(i.%2$I), '') <> ''
      order by p.owner_id, i.avito_user_id, i.token_expires_at desc nulls last,
               i.updated_at desc, i.id
      for update of i $q$, 'access_token_encrypted', 'refresh_token_encrypted');
    loop
      fetch v_cursor into v_row_id, v_row_owner, v_row_user, v_row_item, v_row_active,
        v_row_account, v_row_scope, v_row_access, v_row_refresh;
      exit when not found;
      v_touched := v_touched || v_row_id;
      v_outcome := null;
      v_reason := null;
      v_account := null;
      v_link := false;

      if v_row_owner is null then
        v_outcome := 'skipped';
        v_reason := 'property_missing';
      elsif coalesce(v_row_user, 0) <= 0 then
        v_outcome := 'skipped';
        v_reason := 'no_avito_user_id';
      else
        insert into public.avito_accounts as a (owner_id, avito_user_id, name, scope, status)
        values (v_row_owner, v_row_user, 'Avito ' || v_row_user::text,
                v_row_scope, 'active')
        on conflict (owner_id, avito_user_id) do nothing;
        select a.id, a.status into v_account, v_account_status
        from public.avito_accounts a
        where a.owner_id = v_row_owner and a.avito_user_id = v_row_user
        for update;
        v_has_tokens := exists (select 1 from avito_private.account_tokens t
                                where t.avito_account_id = v_account);
        -- Tokens in the columns of a row imported before were written after that import (an
        -- old function still deployed, e.g. a reconnect through the old callback): newer.
        v_newer := exists (select 1 from avito_private.legacy_token_imports l
                           where l.integration_id = v_row_id
                             and l.outcome in ('imported', 'already_imported'));

        if v_has_tokens and (v_account = any (v_stored) or not v_newer) then
          -- Imported through an earlier row of this run (same account), or the host has
          -- connected through the service since: those tokens win.
          v_outcome := case when v_account = any (v_stored) then 'imported'
                            else 'already_imported' end;
          v_link := true;
        else
          v_refresh := avito_private.legacy_token_plaintext(v_row_refresh, v_keys);
          v_access := avito_private.legacy_token_plaintext(v_row_access, v_keys);
          if v_refresh is null then
            v_outcome := 'needs_reconnect';
            v_reason := case when coalesce(pg_catalog.btrim(v_row_refresh), '') = ''
                             then 'no_refresh_token' else 'cannot_decrypt' end;
            v_link := not v_has_tokens;
          else
            -- The expiry is in the past, so the first sync refreshes before any call; the
            -- access token (possibly unrecoverable) is never used.
            perform avito_private.store_account_tokens(
              v_account, coalesce(v_access, 'legacy-import-unusable'), v_refresh,
              pg_catalog.now() - interval '1 minute', v_row_scope);
            v_stored := v_stored || v_account;
            v_outcome := 'imported';
            v_link := true;
          end if;
        end if;
      end if;

      if v_link and v_row_account is distinct from v_account then
        if v_row_item is null or v_row_item <= 0 then
          v_link := false;
          v_reason := coalesce(v_reason, 'no_listing');
        elsif v_row_active and exists (
          select 1 from public.integrations i
          where i.avito_item_id = v_row_item and i.is_active
            and i.avito_account_id is not null and i.id <> v_row_id) then
          v_link := false;
          v_reason := coalesce(v_reason, 'listing_in_use');
        end if;
        if v_link then
          -- The old app synced this listing with this account's token; record it so that the
          -- link's foreign key holds. The sync checks it on Avito like any other.
          insert into public.avito_items (avito_account_id, avito_item_id, data)
          values (v_account, v_row_item, '{"source": "legacy-import"}'::jsonb)
          on conflict (avito_account_id, avito_item_id) do nothing;
          update public.integrations i set avito_account_id = v_account
          where i.id = v_row_id;
        elsif v_outcome in ('imported', 'already_imported') then
          v_outcome := 'skipped';  -- tokens are safe in Vault, but this row cannot use them
        end if;
      end if;

      if v_outcome = 'needs_reconnect' then
        if v_account_status is distinct from 'needs_reconnect' and v_link then
          perform avito_private.mark_account_needs_reconnect(
            v_account,
            'The old connection''s token could not be imported (' || v_reason
              || '): connect Avito again.');
        end if;
      elsif v_outcome <> 'skipped' or v_account is not null then
        -- Tokens are in Vault now (or were already): the columns are emptied.
        execute pg_catalog.format(
          'update public.integrations set %s where id = $1',
          (select pg_catalog.string_agg(pg_catalog.format('%I = null', c), ', ')
           from pg_catalog.unnest(v_columns) c))
          using v_row_id;
        if v_outcome in ('imported', 'already_imported') and v_row_active then
          update public.integrations i set status = 'active'
          where i.id = v_row_id and i.status in ('needs_reconnect', 'disconnected')
            and exists (select 1 from public.avito_accounts a
                        where a.id = v_account and a.status = 'active');
          perform avito_private.enqueue_integration(
            v_row_id, 'initial', v_outcome = 'imported');
        end if;
      end if;

      insert into avito_private.legacy_token_imports as l
        (integration_id, avito_account_id, outcome, reason)
      values (v_row_id, v_account, v_outcome, v_reason)
      on conflict (integration_id) do update
        set avito_account_id = excluded.avito_account_id, outcome = excluded.outcome,
            reason = excluded.reason, last_run_at = pg_catalog.now();

      v_counts := pg_catalog.jsonb_set(
        v_counts, array[v_outcome], pg_catalog.to_jsonb((v_counts ->> v_outcome)::int + 1));
      if v_reason is not null then
        v_reasons := pg_catalog.jsonb_set(
          v_reasons, array[v_reason],
          pg_catalog.to_jsonb(coalesce((v_reasons ->> v_reason)::int, 0) + 1));
      end if;
    end loop;
    close v_cursor;
  end if;

  -- messenger_token_json: nothing reads it (docs/app-contract.md §2.1, §11.3); it only keeps a
  -- token where the browser can read it.
  if 'messenger_token_json' = any (v_columns) then
    execute pg_catalog.format('update public.integrations set %1$I = null where %1$I is not null',
                              'messenger_token_json');
    get diagnostics v_unused = row_count;
  end if;

  v_counts := pg_catalog.jsonb_set(
    v_counts, '{already_imported}', pg_catalog.to_jsonb(
      (v_counts ->> 'already_imported')::int
      + (select pg_catalog.count(*)::int from avito_private.legacy_token_imports l
         where l.outcome in ('imported', 'already_imported')
           and not l.integration_id = any (v_touched))));
  return v_counts || pg_catalog.jsonb_build_object(
    'reasons', v_reasons, 'unused_cleared', v_unused);
end;
$$;


-- What `avito-sync cutover check` reads: extensions, old jobs, legacy token counts, the tick's
-- setup. Names and counts only.
create or replace function avito_private.cutover_facts()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_columns text[] := avito_private.legacy_token_columns();
  v_pending integer := 0;
  v_failed jsonb := '{}'::jsonb;
  v_unused integer := 0;
  v_poller text;
begin
  if 'access_token_encrypted' = any (v_columns) and 'refresh_token_encrypted' = any (v_columns)
  then
    execute pg_catalog.format($q$
      select pg_catalog.count(*)::int from public.integrations i
      left join avito_private.legacy_token_imports l on l.integration_id = i.id
      where (coalesce(pg_catalog.btrim(i.%1$I), '') <> ''
             or coalesce(pg_catalog.btrim(i.%2$I), '') <> '')
        and (l.integration_id is null
             or l.outcome in ('imported', 'already_imported')) $q$,
      'access_token_encrypted', 'refresh_token_encrypted') into v_pending;
    execute pg_catalog.format($q$
      select coalesce(pg_catalog.jsonb_object_agg(r.k, r.n), '{}'::jsonb)
      from (select l.outcome || ':' || coalesce(l.reason, '') as k, pg_catalog.count(*) as n
            from public.integrations i
            join avito_private.legacy_token_imports l on l.integration_id = i.id
            where (coalesce(pg_catalog.btrim(i.%1$I), '') <> ''
                   or coalesce(pg_catalog.btrim(i.%2$I), '') <> '')
              and l.outcome in ('needs_reconnect', 'skipped')
            group by 1) r $q$,
      'access_token_encrypted', 'refresh_token_encrypted') into v_failed;
  end if;
  if 'messenger_token_json' = any (v_columns) then
    execute pg_catalog.format(
      'select pg_catalog.count(*)::int from public.integrations where %I is not null',
      'messenger_token_json') into v_unused;
  end if;
  if pg_catalog.to_regclass('cron.job') is not null then
    execute $q$ select j.schedule::text from cron.job j where j.jobname = 'avito-poller' $q$
      into v_poller;
  end if;

  return pg_catalog.jsonb_build_object(
    'pg_net', (select e.extversion from pg_catalog.pg_extension e where e.extname = 'pg_net'),
    'net_functions', pg_catalog.to_regprocedure(
      'net.http_get(text, jsonb, jsonb, integer)') is not null,
    'pg_cron', (select e.extversion from pg_catalog.pg_extension e where e.extname = 'pg_cron'),
    'pgcrypto', (select e.extversion from pg_catalog.pg_extension e
                 where e.extname = 'pgcrypto'),
    'legacy_jobs', coalesce((select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                               'jobname', j.jobname, 'schedule', j.schedule, 'kind', j.kind))
                             from avito_private.legacy_cron_jobs() j), '[]'::jsonb),
    'legacy_columns', pg_catalog.to_jsonb(v_columns),
    'legacy_pending', v_pending,
    'legacy_left', v_failed,
    'legacy_unused', v_unused,
    'imported', (select pg_catalog.count(*)::int from avito_private.legacy_token_imports l
                 where l.outcome in ('imported', 'already_imported')),
    'encryption_key', pg_catalog.cardinality(avito_private.legacy_encryption_keys()) > 0,
    'messenger_integrations', (select pg_catalog.count(*)::int from public.integrations i
                               where i.is_active and i.scope like '%messenger:read%'),
    'service_url', (select s.decrypted_secret from vault.decrypted_secrets s
                    where s.name = 'avito_sync_service_url'),
    'poll_secret', exists (select 1 from vault.secrets s where s.name = 'avito_sync_poll_secret'),
    'poller_schedule', v_poller);
end;
$$;


-- Queue GET <service>/healthz through pg_net (the tick's path); the URL defaults to the one
-- `setup` stored. NULL when there is no URL.
create or replace function avito_private.cutover_probe_service(p_service_url text default null)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text := p_service_url;
begin
  if v_url is null then
    select s.decrypted_secret into v_url
    from vault.decrypted_secrets s where s.name = 'avito_sync_service_url';
  end if;
  if v_url is null then
    return null;
  end if;
  if v_url !~ '^https?://[^/\s]+' then
    raise exception 'cutover_probe_service: service URL must be http(s)' using errcode = '22023';
  end if;
  return net.http_get(url := pg_catalog.rtrim(v_url, '/') || '/healthz',
                      timeout_milliseconds := 5000);
end;
$$;

create or replace function avito_private.cutover_probe_result(p_request_id bigint)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  execute $q$
    select pg_catalog.jsonb_build_object('status_code', r.status_code, 'timed_out', r.timed_out,
                                         'error', pg_catalog.left(r.error_msg, 300))
    from net._http_response r where r.id = $1 $q$
    into v_result using p_request_id;
  return v_result;
end;
$$;

select avito_private.revoke_execute(
  'avito_private.legacy_encryption_keys()',
  'avito_private.legacy_token_plaintext(text, text[])',
  'avito_private.legacy_cron_jobs()',
  'avito_private.legacy_token_columns()');
select avito_private.grant_execute_to_service(
  'avito_private.unschedule_legacy_jobs()',
  'avito_private.import_legacy_tokens()',
  'avito_private.cutover_facts()',
  'avito_private.cutover_probe_service(text)',
  'avito_private.cutover_probe_result(bigint)');

-- The old app kept OAuth tokens on integrations rows (access_token_encrypted,
-- refresh_token_encrypted, messenger_token_json), in plain text or pgcrypto-encrypted, some
-- access tokens encrypted twice or more (docs/app-contract.md §2.1, §9.4). The old Edge Functions
-- and the old cron jobs read them until the cutover, so the push of these migrations leaves them
-- exactly as they are: emptying them here would stop every host's sync at the moment of
-- `supabase db push`, before the service, the forwarders or the import exist.
--
-- `avito-sync cutover apply` (README "Deploying to Supabase") retires the old cron jobs, imports
-- each connection into avito_accounts with its tokens in Vault
-- (avito_private.import_legacy_tokens, migration 20261206020000) and clears these columns in the
-- same transaction. The columns stay: the app names two of them in its selects (the Messages
-- tab's `select('id, property_id, avito_user_id, access_token_encrypted, scope')`, the chat
-- panel's), and PostgREST fails a select naming a missing column, so a database that never had
-- them gets them too, always empty (clients cannot write them: no column grant).

alter table public.integrations
  add column if not exists access_token_encrypted text,
  add column if not exists refresh_token_encrypted text;

do $$
declare
  v_column text;
begin
  for v_column in
    select a.attname::text from pg_catalog.pg_attribute a
    where a.attrelid = 'public.integrations'::regclass and not a.attisdropped
      and a.attname in ('access_token_encrypted', 'refresh_token_encrypted',
                        'messenger_token_json')
  loop
    execute pg_catalog.format(
      'comment on column public.integrations.%I is %L', v_column,
      'Legacy token column of the old Edge Functions: read by them until `avito-sync cutover '
      'apply` moves its value into Vault (avito_private.account_tokens) and clears it.');
  end loop;
end;
$$;

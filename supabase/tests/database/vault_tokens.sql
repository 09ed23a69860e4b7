-- Avito tokens through Vault: store, read, rotate and delete as the service does (service_role),
-- with no plaintext token left anywhere in the database, and nothing reachable by client roles.
begin;
select plan(27);

insert into auth.users (id, email) values
  ('00000000-0000-4000-a000-00000000000a', 'a@example.test');
insert into public.properties (id, owner_id, name) values
  ('10000000-0000-4000-a000-00000000000a', '00000000-0000-4000-a000-00000000000a', 'A loft');
insert into public.avito_accounts (id, owner_id, avito_user_id, name) values
  ('40000000-0000-4000-a000-00000000000a', '00000000-0000-4000-a000-00000000000a', 1001, 'A'),
  ('40000000-0000-4000-a000-0000000000a2', '00000000-0000-4000-a000-00000000000a', 1002, 'A2');
insert into public.avito_items (avito_account_id, avito_item_id) values
  ('40000000-0000-4000-a000-00000000000a', 3000000001);
insert into public.integrations
  (id, property_id, avito_account_id, avito_user_id, avito_item_id, status) values
  ('60000000-0000-4000-a000-00000000000a', '10000000-0000-4000-a000-00000000000a',
   '40000000-0000-4000-a000-00000000000a', 1001, 3000000001, 'active');

-- Rows of every ordinary table (vault's own included) whose text contains one of the needles.
-- Runs as postgres on purpose: it must see everything, it asserts content, not access.
create function pg_temp.tables_containing(p_needles text[]) returns text[]
language plpgsql
as $fn$
declare
  v_table text;
  v_found boolean;
  v_hits text[] := '{}';
begin
  for v_table in
    select format('%I.%I', n.nspname, c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
      and n.nspname not like 'pg\_%'
  loop
    execute format('select exists (select 1 from %s t where t::text like any ($1))', v_table)
      into v_found using (select array_agg('%' || x || '%') from unnest(p_needles) x);
    if v_found then
      v_hits := v_hits || v_table;
    end if;
  end loop;
  return v_hits;
end;
$fn$;

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);

select lives_ok(
  $$select avito_private.store_account_tokens('40000000-0000-4000-a000-00000000000a',
      'AT-first-4f1c9e', 'RT-first-77a0b2', '2026-12-01 10:00:00+00', 'short_term_rent:read')$$,
  'service_role stores the first tokens of an account');
select is(
  (select row(access_token, refresh_token, expires_at, scope)::text
   from avito_private.read_account_tokens('40000000-0000-4000-a000-00000000000a')),
  row('AT-first-4f1c9e', 'RT-first-77a0b2', '2026-12-01 10:00:00+00'::timestamptz,
      'short_term_rent:read')::text,
  'and reads them back');
select is(
  (select row(status, token_expires_at, scope)::text from public.avito_accounts
   where id = '40000000-0000-4000-a000-00000000000a'),
  row('active', '2026-12-01 10:00:00+00'::timestamptz, 'short_term_rent:read')::text,
  'storing sets expiry, scope and status active on the account');
select is(
  (select row(token_expires_at, scope)::text from public.integrations
   where id = '60000000-0000-4000-a000-00000000000a'),
  row('2026-12-01 10:00:00+00'::timestamptz, 'short_term_rent:read')::text,
  'and mirrors expiry and scope onto its integrations (the app reads them there)');
select results_eq(
  $$select name from vault.secrets order by name$$,
  $$values ('avito:40000000-0000-4000-a000-00000000000a:access'),
           ('avito:40000000-0000-4000-a000-00000000000a:refresh')$$,
  'two Vault secrets with deterministic names that hold no secret');

-- The secret ids are out of service_role's reach too (only the functions use them).
select throws_ok($$select * from avito_private.account_tokens$$, '42501', null,
  'service_role cannot read the secret ids directly');
reset role;
create temp table first_ids on commit drop as
  select access_token_secret_id, refresh_token_secret_id from avito_private.account_tokens;
set local role service_role;

select lives_ok(
  $$select avito_private.rotate_account_tokens('40000000-0000-4000-a000-00000000000a',
      'AT-second-0d3e55', null, '2026-12-02 10:00:00+00')$$,
  'rotating with a NULL refresh token');
select is(
  (select row(access_token, refresh_token, expires_at)::text
   from avito_private.read_account_tokens('40000000-0000-4000-a000-00000000000a')),
  row('AT-second-0d3e55', 'RT-first-77a0b2', '2026-12-02 10:00:00+00'::timestamptz)::text,
  'replaces the access token and keeps the refresh token');
select lives_ok(
  $$select avito_private.rotate_account_tokens('40000000-0000-4000-a000-00000000000a',
      'AT-third-a81c40', 'RT-third-5be9f1', '2026-12-03 10:00:00+00')$$,
  'rotating both tokens');
select is(
  (select row(access_token, refresh_token, expires_at)::text
   from avito_private.read_account_tokens('40000000-0000-4000-a000-00000000000a')),
  row('AT-third-a81c40', 'RT-third-5be9f1', '2026-12-03 10:00:00+00'::timestamptz)::text,
  'replaces both');
select is(
  (select token_expires_at from public.avito_accounts
   where id = '40000000-0000-4000-a000-00000000000a'),
  '2026-12-03 10:00:00+00'::timestamptz, 'rotating moves the account expiry');

select lives_ok(
  $$select avito_private.store_account_tokens('40000000-0000-4000-a000-00000000000a',
      'AT-fourth-c2d9aa', 'RT-fourth-19ee07', '2026-12-04 10:00:00+00', 'user:read')$$,
  'storing again (a reconnect) replaces everything');
reset role;
select results_eq(
  $$select access_token_secret_id, refresh_token_secret_id from avito_private.account_tokens$$,
  $$select access_token_secret_id, refresh_token_secret_id from first_ids$$,
  'in the same Vault secrets');
set local role service_role;
select is(
  (select row(access_token, refresh_token, scope)::text
   from avito_private.read_account_tokens('40000000-0000-4000-a000-00000000000a')),
  row('AT-fourth-c2d9aa', 'RT-fourth-19ee07', 'user:read')::text,
  'with the new tokens and scope');

select is_empty(
  $$select * from avito_private.read_account_tokens('40000000-0000-4000-a000-0000000000a2')$$,
  'an account without tokens reads as no row');
select throws_ok(
  $$select avito_private.rotate_account_tokens('40000000-0000-4000-a000-0000000000a2',
      'AT-x', 'RT-x', now())$$,
  'P0002', null, 'rotating an account without tokens raises');
select throws_ok(
  $$select avito_private.store_account_tokens('40000000-0000-4000-a000-0000000000ff',
      'AT-x', 'RT-x', now(), null)$$,
  'P0002', null, 'storing for a missing account raises');
select throws_ok(
  $$select avito_private.store_account_tokens('40000000-0000-4000-a000-0000000000a2',
      '', 'RT-x', now(), null)$$,
  '22023', null, 'an empty access token is refused');
select throws_ok(
  $$select avito_private.rotate_account_tokens('40000000-0000-4000-a000-00000000000a',
      'AT-x', '', now())$$,
  '22023', null, 'an empty refresh token is refused on rotation');

reset role;
select is(pg_temp.tables_containing(array['A loft']), '{public.properties}'::text[],
  'the plaintext search finds text where it is');
select is(
  pg_temp.tables_containing(array['AT-first-4f1c9e', 'RT-first-77a0b2', 'AT-second-0d3e55',
    'AT-third-a81c40', 'RT-third-5be9f1', 'AT-fourth-c2d9aa', 'RT-fourth-19ee07']),
  '{}'::text[], 'no token in clear in any table, vault.secrets included');

set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "00000000-0000-4000-a000-00000000000a", "role": "authenticated"}', true);
select throws_ok(
  $$select * from avito_private.read_account_tokens('40000000-0000-4000-a000-00000000000a')$$,
  '42501', null, 'the owner cannot read the tokens of their own account');
select throws_ok($$select * from avito_private.account_tokens$$, '42501', null,
  'nor the secret ids');
select throws_ok($$select decrypted_secret from vault.decrypted_secrets$$, '42501', null,
  'nor Vault');

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok(
  $$select * from avito_private.read_account_tokens('40000000-0000-4000-a000-00000000000a')$$,
  '42501', null, 'anon cannot read tokens');

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
delete from public.avito_accounts where id = '40000000-0000-4000-a000-00000000000a';
select is_empty($$select 1 from vault.secrets where name like 'avito:%'$$,
  'deleting the account deletes its Vault secrets');

reset role;
select is_empty($$select 1 from avito_private.account_tokens$$,
  'and its token row');
select * from finish();
rollback;

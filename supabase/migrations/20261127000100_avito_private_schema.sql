-- Private schema for everything no client role may reach (token secret ids, SECURITY DEFINER
-- functions, admin views), plus the small helpers the migrations below share: adopting legacy
-- tables, owner policies, the updated_at trigger and function privileges, each written once.
-- Client roles get no USAGE here; service_role gets USAGE and, per object, only what it needs.

create schema if not exists avito_private;

revoke all on schema avito_private from public, anon, authenticated;
grant usage on schema avito_private to service_role;

-- Adds a constraint unless one of that name exists on the table. CHECK and FOREIGN KEY
-- constraints are added NOT VALID and then validated when existing rows allow it, so a database
-- with legacy rows that break a new rule still migrates (new writes are checked either way).
create or replace function avito_private.ensure_constraint(
  p_table regclass, p_name text, p_definition text, p_not_valid boolean default false
) returns void
language plpgsql
set search_path = ''
as $$
begin
  if exists (select 1 from pg_catalog.pg_constraint c
             where c.conrelid = p_table and c.conname = p_name) then
    return;
  end if;
  if not p_not_valid then
    execute pg_catalog.format('alter table %s add constraint %I %s', p_table, p_name, p_definition);
    return;
  end if;
  execute pg_catalog.format('alter table %s add constraint %I %s not valid',
                            p_table, p_name, p_definition);
  begin
    execute pg_catalog.format('alter table %s validate constraint %I', p_table, p_name);
  exception when check_violation or foreign_key_violation then
    raise notice 'constraint % on % kept NOT VALID: existing rows violate it', p_name, p_table;
  end;
end;
$$;

-- Legacy tables stored instants as timestamp without time zone written in UTC (clients appended
-- "Z"); this turns such a column into timestamptz without shifting the instants.
create or replace function avito_private.ensure_timestamptz(p_table regclass, p_column text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if exists (select 1 from pg_catalog.pg_attribute a
             where a.attrelid = p_table and a.attname = p_column and not a.attisdropped
               and a.atttypid = 'pg_catalog.timestamp'::pg_catalog.regtype) then
    execute pg_catalog.format(
      'alter table %s alter column %I type timestamptz using %I at time zone %L',
      p_table, p_column, p_column, 'UTC');
  end if;
end;
$$;

-- Marks a column NOT NULL unless legacy rows hold NULLs there (then it says so and moves on).
create or replace function avito_private.ensure_not_null(p_table regclass, p_column text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  execute pg_catalog.format('alter table %s alter column %I set not null', p_table, p_column);
exception when not_null_violation then
  raise notice 'column %.% kept nullable: existing rows hold NULL', p_table, p_column;
end;
$$;

-- True when a non-partial unique index covers exactly these columns (in any order): legacy
-- databases may hold the key the app relies on under a name of their own.
create or replace function avito_private.has_unique_key(p_table regclass, p_columns text[])
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (
    select 1 from pg_catalog.pg_index i
    where i.indrelid = p_table and i.indisunique and i.indpred is null and i.indexprs is null
      and (select pg_catalog.array_agg(a.attname::text order by a.attname)
           from pg_catalog.pg_attribute a
           where a.attrelid = p_table and a.attnum = any (i.indkey::int2[]))
          = (select pg_catalog.array_agg(c order by c) from pg_catalog.unnest(p_columns) c)
  );
$$;

-- True when the column already takes part in some foreign key (its name may differ from ours).
create or replace function avito_private.has_foreign_key(p_table regclass, p_column text)
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (
    select 1 from pg_catalog.pg_constraint c
    join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
    where c.conrelid = p_table and c.contype = 'f' and a.attname = p_column
  );
$$;

-- Keeps updated_at honest for every writer (the legacy tables had nothing maintaining it).
create or replace function avito_private.touch_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end;
$$;

-- Creates the trigger that keeps updated_at honest on one table (replacing an older one).
create or replace function avito_private.ensure_touch_updated_at(p_table regclass) returns void
language plpgsql
set search_path = ''
as $$
begin
  execute pg_catalog.format(
    'create or replace trigger avito_touch_updated_at before update on %s '
    'for each row execute function avito_private.touch_updated_at()', p_table);
end;
$$;

-- (Re)creates the policies <table>_owner_<command> for authenticated: a row is reachable only
-- while p_rule (a boolean expression over the table's columns, written in a migration, never
-- taken from input) holds. USING for select/update/delete, WITH CHECK for insert/update, so a
-- row can neither be read nor written into somebody else's hands.
create or replace function avito_private.ensure_owner_policies(
  p_table regclass, p_rule text, variadic p_commands text[]
) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_command text;
  v_policy text;
begin
  foreach v_command in array p_commands loop
    if v_command is null or v_command not in ('select', 'insert', 'update', 'delete') then
      raise exception 'ensure_owner_policies: unknown command %', v_command
        using errcode = 'invalid_parameter_value';
    end if;
    v_policy := (select c.relname from pg_catalog.pg_class c where c.oid = p_table)
                || '_owner_' || v_command;
    execute pg_catalog.format('drop policy if exists %I on %s', v_policy, p_table);
    execute pg_catalog.format(
      'create policy %I on %s for %s to authenticated %s', v_policy, p_table, v_command,
      case v_command
        when 'insert' then pg_catalog.format('with check (%s)', p_rule)
        when 'update' then pg_catalog.format('using (%s) with check (%s)', p_rule, p_rule)
        else pg_catalog.format('using (%s)', p_rule)
      end);
  end loop;
end;
$$;

-- Drops every policy on the table that is not one of ours (<table>_owner_*): the old app's
-- policies (e.g. FOR ALL) let owners write columns that only the service may decide.
create or replace function avito_private.drop_foreign_policies(p_table regclass) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_policy name;
begin
  for v_policy in
    select p.polname from pg_catalog.pg_policy p
    join pg_catalog.pg_class c on c.oid = p.polrelid
    where p.polrelid = p_table
      and not starts_with(p.polname::text, c.relname::text || '_owner_')
  loop
    execute pg_catalog.format('drop policy %I on %s', v_policy, p_table);
  end loop;
end;
$$;

-- Functions only their owner runs (internal helpers, trigger functions): Postgres grants
-- EXECUTE to PUBLIC on every new function, so it is taken away from every API role.
create or replace function avito_private.revoke_execute(variadic p_functions regprocedure[])
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_function regprocedure;
begin
  foreach v_function in array p_functions loop
    execute pg_catalog.format(
      'revoke all on function %s from public, anon, authenticated, service_role', v_function);
  end loop;
end;
$$;

-- Functions the service calls: EXECUTE for service_role and nobody else.
create or replace function avito_private.grant_execute_to_service(
  variadic p_functions regprocedure[]
) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_function regprocedure;
begin
  perform avito_private.revoke_execute(variadic p_functions);
  foreach v_function in array p_functions loop
    execute pg_catalog.format('grant execute on function %s to service_role', v_function);
  end loop;
end;
$$;

select avito_private.revoke_execute(
  'avito_private.ensure_constraint(regclass, text, text, boolean)',
  'avito_private.ensure_timestamptz(regclass, text)',
  'avito_private.ensure_not_null(regclass, text)',
  'avito_private.has_unique_key(regclass, text[])',
  'avito_private.has_foreign_key(regclass, text)',
  'avito_private.touch_updated_at()',
  'avito_private.ensure_touch_updated_at(regclass)',
  'avito_private.ensure_owner_policies(regclass, text, text[])',
  'avito_private.drop_foreign_policies(regclass)',
  'avito_private.revoke_execute(regprocedure[])',
  'avito_private.grant_execute_to_service(regprocedure[])');

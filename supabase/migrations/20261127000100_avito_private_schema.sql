-- Private schema for everything no client role may reach (token secret ids, SECURITY DEFINER
-- functions, admin views), plus the small helpers the adoptive migrations below share.
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

revoke all on function avito_private.ensure_constraint(regclass, text, text, boolean)
  from public, anon, authenticated, service_role;
revoke all on function avito_private.ensure_timestamptz(regclass, text)
  from public, anon, authenticated, service_role;
revoke all on function avito_private.ensure_not_null(regclass, text)
  from public, anon, authenticated, service_role;
revoke all on function avito_private.has_unique_key(regclass, text[])
  from public, anon, authenticated, service_role;
revoke all on function avito_private.has_foreign_key(regclass, text)
  from public, anon, authenticated, service_role;
revoke all on function avito_private.touch_updated_at()
  from public, anon, authenticated, service_role;

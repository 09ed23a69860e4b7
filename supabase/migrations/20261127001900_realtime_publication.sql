-- The app listens for INSERTs on bookings (source=eq.avito: "Лид с Avito!") and the notifier for
-- new notification_events. Both need to be in supabase_realtime (adding a member twice is an
-- error, hence the guard; a FOR ALL TABLES publication already has them) and SELECT for
-- authenticated, granted in their own migrations.

do $$
declare
  v_table text;
begin
  if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    raise exception 'publication supabase_realtime is missing'
      using hint = 'Supabase creates it; locally sql/local creates it before the migrations.';
  end if;
  if (select puballtables from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    return;
  end if;
  foreach v_table in array array['bookings', 'notification_events'] loop
    if not exists (select 1 from pg_catalog.pg_publication_tables
                   where pubname = 'supabase_realtime' and schemaname = 'public'
                     and tablename = v_table) then
      execute pg_catalog.format('alter publication supabase_realtime add table public.%I',
                                v_table);
    end if;
  end loop;
end;
$$;

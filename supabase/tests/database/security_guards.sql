-- Issue #10 guards: client roles cannot write Avito bookings or their keys (booking-id
-- squatting), and cannot delete a queue row a worker holds (single flight).
begin;
select plan(8);
\ir fixtures/two_hosts.psql

-- A, through PostgREST, tries to squat an Avito booking id and to turn a manual booking into
-- an Avito one.
select set_config('request.jwt.claims',
  '{"sub": "00000000-0000-4000-a000-00000000000a", "role": "authenticated"}', true);
set local role authenticated;
insert into public.bookings (id, property_id, source, external_id, avito_booking_id,
  avito_item_id, avito_status, check_in, check_out)
values ('30000000-0000-4000-a000-0000000000f1', '10000000-0000-4000-a000-00000000000a', 'avito',
  '777', 777, 3000000001, 'active', '2027-04-01', '2027-04-02');
update public.bookings set source = 'avito', avito_booking_id = 778, avito_status = 'active'
where id = '30000000-0000-4000-a000-00000000000a';
reset role;

select results_eq(
  $$select source, external_id, avito_booking_id, avito_item_id, avito_status
    from public.bookings where id = '30000000-0000-4000-a000-0000000000f1'$$,
  $$values ('manual'::text, '777'::text, null::bigint, null::bigint, null::text)$$,
  'a client''s Avito-looking insert is stored as a manual booking without Avito keys');
select results_eq(
  $$select source, avito_booking_id, avito_status
    from public.bookings where id = '30000000-0000-4000-a000-00000000000a'$$,
  $$values ('manual'::text, null::bigint, null::text)$$,
  'a client cannot turn a manual booking into an Avito one');

-- B edits B's Avito booking with the app's full-row form.
select set_config('request.jwt.claims',
  '{"sub": "00000000-0000-4000-a000-00000000000b", "role": "authenticated"}', true);
set local role authenticated;
update public.bookings set source = 'manual', external_id = 'x', guest_name = 'Edited'
where id = '30000000-0000-4000-a000-00000000000b';
reset role;
select results_eq(
  $$select source, external_id, guest_name
    from public.bookings where id = '30000000-0000-4000-a000-00000000000b'$$,
  $$values ('avito'::text, '5550001'::text, 'Edited'::text)$$,
  'an Avito booking keeps its source and key; the host''s other edits stay');

select is(pg_temp.attempt(
  $$insert into public.bookings (property_id, source, external_id, avito_booking_id,
      avito_item_id, check_in, check_out)
    values ('10000000-0000-4000-a000-00000000000a', 'avito', '779', 779, 3000000001,
      '2027-04-03', '2027-04-04')$$, 'service_role'), 'ok:1',
  'the service still writes Avito bookings');

-- Single flight: a leased row is not the owner's to delete.
select is((select count(*)::int from avito_private.claim_sync_batch('worker-1', 10, 120)), 2,
  'both hosts'' rows are leased');
select is(pg_temp.attempt(
  $$delete from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$,
  'authenticated', '00000000-0000-4000-a000-00000000000a'), 'ok:0',
  'the owner''s delete of a leased row does nothing');
select ok(avito_private.complete_sync_success(
  '60000000-0000-4000-a000-00000000000a', 'worker-1', 10), 'the worker completes it');
select is(pg_temp.attempt(
  $$delete from public.avito_sync_queue where id = '70000000-0000-4000-a000-00000000000a'$$,
  'authenticated', '00000000-0000-4000-a000-00000000000a'), 'ok:1',
  'a row nobody runs is the owner''s to delete, as before');

select * from finish();
rollback;

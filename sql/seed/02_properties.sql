-- Two properties of the demo host, neither connected to Avito (the developer walks the connect
-- flow against the sandbox). The first has a base price, a two-night minimum and 60 days of
-- rates from today (weekend nights dearer, a three-night minimum over one stretch); missing
-- days are added on a later start, existing ones are left as the developer edited them.
insert into public.properties (id, owner_id, name, type, address, max_guests, bedrooms,
                               base_price, currency, minimum_booking_days)
values
  ('d0000000-0000-4000-8000-000000000101', 'd0000000-0000-4000-8000-000000000001',
   'Квартира у Патриарших', 'apartment', 'Москва, Малая Бронная ул., 1', 4, 2,
   3500, 'RUB', 2),
  ('d0000000-0000-4000-8000-000000000102', 'd0000000-0000-4000-8000-000000000001',
   'Студия на Невском', 'studio', 'Санкт-Петербург, Невский пр., 100', 2, 1,
   2800, 'RUB', 1)
on conflict (id) do nothing;

insert into public.property_rates (property_id, date, daily_price, min_stay, currency)
select 'd0000000-0000-4000-8000-000000000101',
       day::date,
       case when extract(isodow from day) in (5, 6) then 4500 else 3500 end,
       case when day::date between current_date + 20 and current_date + 26 then 3 else 2 end,
       'RUB'
  from generate_series(current_date, current_date + 59, interval '1 day') as day
on conflict (property_id, date) do nothing;

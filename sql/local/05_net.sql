-- pg_net stand-in with pg_net's public interface (docs/supabase-platform.md §3,
-- docs/local-postgres.md §5.3). The request functions queue a row and NOTIFY
-- `net_http_request`; Postgres delivers the notification only when the calling transaction
-- commits, which wakes the dispatcher (`avito-sync db net-dispatch`). It reads committed rows,
-- sends them, records the reply in net._http_response and deletes the queue row: commit-bound
-- and asynchronous, as pg_net.
create schema if not exists net;

create unlogged table if not exists net.http_request_queue (
  id bigserial primary key,
  method text not null check (method in ('GET', 'POST', 'DELETE')),
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null
);

create unlogged table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);

-- RFC 3986 percent-encoding of everything but unreserved characters, as pg_net's curl escape.
create or replace function net._urlencode_string(string text) returns text
language plpgsql immutable strict set search_path = ''
as $$
declare
  bytes bytea := pg_catalog.convert_to(string, 'utf8');
  out text := '';
  b integer;
begin
  for i in 0 .. pg_catalog.length(bytes) - 1 loop
    b := pg_catalog.get_byte(bytes, i);
    if (b between 48 and 57) or (b between 65 and 90) or (b between 97 and 122)
       or b in (45, 46, 95, 126) then
      out := out || pg_catalog.chr(b);
    else
      out := out || '%' || pg_catalog.upper(pg_catalog.lpad(pg_catalog.to_hex(b), 2, '0'));
    end if;
  end loop;
  return out;
end
$$;

create or replace function net._encode_url_with_params(url text, params jsonb) returns text
language sql immutable set search_path = ''
as $$
  select case
    when params is null or params = '{}'::jsonb then url
    else url || case when pg_catalog.strpos(url, '?') > 0 then '&' else '?' end
             || (select pg_catalog.string_agg(net._urlencode_string(key) || '='
                                              || net._urlencode_string(value), '&')
                   from pg_catalog.jsonb_each_text(params))
  end
$$;

create or replace function net._enqueue(
  method text, url text, headers jsonb, body bytea, timeout_milliseconds integer
) returns bigint
language plpgsql security definer set search_path = ''
as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, url, coalesce(headers, '{}'::jsonb), body, timeout_milliseconds)
  returning id into request_id;
  perform pg_catalog.pg_notify('net_http_request', request_id::text);
  return request_id;
end
$$;
revoke all on function net._enqueue(text, text, jsonb, bytea, integer) from public;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language sql volatile security definer set search_path = ''
as $$
  select net._enqueue('GET', net._encode_url_with_params(url, params), headers, null,
                      timeout_milliseconds)
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language plpgsql volatile security definer set search_path = ''
as $$
declare
  content_type text;
begin
  select value into content_type
    from pg_catalog.jsonb_each_text(coalesce(headers, '{}'::jsonb))
   where pg_catalog.lower(key) = 'content-type'
   limit 1;
  if content_type is null then
    headers := coalesce(headers, '{}'::jsonb) || '{"Content-Type": "application/json"}'::jsonb;
  elsif content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  if body is null then
    raise exception 'body must not be null';
  end if;
  return net._enqueue('POST', net._encode_url_with_params(url, params), headers,
                      pg_catalog.convert_to(body::text, 'utf8'), timeout_milliseconds);
end
$$;

create or replace function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000,
  body jsonb default null
) returns bigint
language sql volatile security definer set search_path = ''
as $$
  select net._enqueue('DELETE', net._encode_url_with_params(url, params), headers,
                      pg_catalog.convert_to(body::text, 'utf8'), timeout_milliseconds)
$$;

-- As pg_net >= 0.12: anyone may queue requests; the tables stay with the owner.
grant usage on schema net to public;
grant execute on function net.http_get(text, jsonb, jsonb, integer),
                          net.http_post(text, jsonb, jsonb, jsonb, integer),
                          net.http_delete(text, jsonb, jsonb, integer, jsonb) to public;
revoke all on net.http_request_queue, net._http_response from public;

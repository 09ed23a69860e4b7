-- A webhook channel of the demo host pointing at the dev stack's inbox, which prints every
-- notification it receives. The URL comes from the session setting `avito_sync_dev.inbox_url`
-- (the inbox port is configurable), so a changed port is picked up on the next start.
insert into public.notification_channels (id, owner_id, kind, config, label)
values ('d0000000-0000-4000-8000-000000000201', 'd0000000-0000-4000-8000-000000000001',
        'webhook',
        jsonb_build_object('url', current_setting('avito_sync_dev.inbox_url')),
        'dev inbox')
on conflict (id) do update set config = excluded.config, label = excluded.label
 where notification_channels.config is distinct from excluded.config
    or notification_channels.label is distinct from excluded.label;

-- Its signing secret (the dev inbox checks it) from `avito_sync_dev.inbox_secret`, when given.
select avito_private.channel_secret_put('d0000000-0000-4000-8000-000000000201',
                                        current_setting('avito_sync_dev.inbox_secret', true))
where coalesce(current_setting('avito_sync_dev.inbox_secret', true), '') <> '';

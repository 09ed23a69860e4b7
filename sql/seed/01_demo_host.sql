-- Dev seed (applied by `avito-sync dev` only, never by migrations): the demo host, the user
-- `avito-sync dev token` mints a JWT for. Its id is avito_sync.local.devstack.seed.DEMO_USER_ID.
-- Idempotent: every file here may run on every start.
insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data,
                        email_confirmed_at)
values ('d0000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated',
        'demo-host@avito-sync.local', '{"provider": "email", "providers": ["email"]}',
        '{"full_name": "Demo Host"}', now())
on conflict (id) do nothing;

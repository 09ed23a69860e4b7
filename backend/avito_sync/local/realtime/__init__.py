"""A local stand-in for Supabase Realtime's `postgres_changes` (LOCAL DEVELOPMENT AND TESTS ONLY).

There is no Realtime server package for the local stack, so this speaks the Phoenix vsn 1.0.0
protocol that realtime-py uses (docs/supabase-platform.md §6.3) and feeds it from logical decoding
(a temporary wal2json slot, tables of publication `supabase_realtime`). Production code talks
to it unchanged. It does not authenticate, authorise rows (RLS), support broadcast or presence,
or keep changes across its own restarts; it listens on loopback only. Never deploy it.
"""

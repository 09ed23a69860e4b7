"""`avito-sync cutover check | apply`: move a live app from the old Edge Functions to the service.

`findings` is the report model, `checks` turns observed facts into findings (pure), `probe`
observes the database, the service through pg_net and the functions over HTTP, `apply` retires
the old jobs and imports the legacy connections, `cli` prints it all.
"""

"""`python -m avito_sync.local.postgres ...`: the db commands without the rest of the service."""

from avito_sync.local.postgres.cli import app

app(prog_name="avito-sync db")

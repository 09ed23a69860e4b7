"""`python -m avito_sync.db ...`: the db commands without importing the rest of the service."""

from avito_sync.db.cli import app

app(prog_name="avito-sync db")

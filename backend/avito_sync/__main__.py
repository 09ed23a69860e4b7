from avito_sync.cli import app

app()

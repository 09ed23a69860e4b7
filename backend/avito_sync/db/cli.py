"""`avito-sync db ...`: the local Supabase-like Postgres (filled in by the foundation work)."""

import typer

app = typer.Typer(help="Local Postgres stack.", no_args_is_help=True)

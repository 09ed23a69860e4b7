"""`avito-sync dev`: the whole system on one machine for development (never production)."""

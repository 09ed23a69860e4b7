"""The sync: queue, tokens, pull, plan, push and the engine that runs them.

Its SQL is in `queries.sql` (`core.queries`), loaded once here for every module.
"""

from avito_sync.core.queries import Queries

QUERIES = Queries("avito_sync.sync")

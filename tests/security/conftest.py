"""Attack replays (issue #10) against the real service stack: the service in-process on real
Postgres, the Avito sandbox over HTTP, JWTs from a local JWKS server (tests/api/conftest.py);
the sync runtime's client and pool for the lost-refresh replay (tests/sync/conftest.py)."""

from tests.api.conftest import jwks_server, service, signing_key
from tests.sync.conftest import client_fixture, sync_pool_fixture

__all__ = ["client_fixture", "jwks_server", "service", "signing_key", "sync_pool_fixture"]

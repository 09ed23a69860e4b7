"""Attack replays (issue #10) against the real service stack: the service in-process on real
Postgres, the Avito sandbox over HTTP, JWTs from a local JWKS server (tests/api/conftest.py)."""

from tests.api.conftest import jwks_server, service, signing_key

__all__ = ["jwks_server", "service", "signing_key"]

"""The service fixtures of tests/api (in-process service, real Postgres, sandbox over HTTP)."""

from tests.api.conftest import jwks_server, service, signing_key

__all__ = ["jwks_server", "service", "signing_key"]

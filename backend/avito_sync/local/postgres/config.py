"""Where the local cluster lives and which port it listens on (env-overridable, validated)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from avito_sync.core import migrations
from avito_sync.local.postgres.errors import StackError

DEV_PORT = 54330
TEST_PORT = 54331
DEV_DIR_NAME = "pg"
TEST_DIR_NAME = "pg-test"
ENV_DIR = "AVITO_SYNC_PG_DIR"
ENV_PORT = "AVITO_SYNC_PG_PORT"


def project_dir() -> Path:
    """The repository root (see `core.migrations.project_dir`), as a stack error if missing."""
    try:
        return migrations.project_dir()
    except migrations.ProjectNotFoundError as error:
        raise StackError("project_not_found", str(error)) from error


def parse_port(raw: str) -> int:
    """Validate a TCP port given in the environment; privileged ports are refused."""
    try:
        port = int(raw.strip())
    except ValueError:
        raise StackError("invalid_port", f"{ENV_PORT} must be an integer, got {raw!r}") from None
    if not 1024 <= port <= 65535:
        raise StackError("invalid_port", f"{ENV_PORT} must be in 1024..65535, got {port}")
    return port


@dataclass(frozen=True)
class StackConfig:
    """One cluster: its root directory (data, log, key inside) and its loopback port."""

    root: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        default_dir_name: str = DEV_DIR_NAME,
        default_port: int = DEV_PORT,
    ) -> StackConfig:
        """`AVITO_SYNC_PG_DIR` / `AVITO_SYNC_PG_PORT`, else `.local/<name>` and the default port."""
        env = os.environ if env is None else env
        raw_dir = env.get(ENV_DIR, "").strip()
        root = (
            Path(raw_dir).expanduser().absolute()
            if raw_dir
            else project_dir() / ".local" / default_dir_name
        )
        raw_port = env.get(ENV_PORT, "").strip()
        port = parse_port(raw_port) if raw_port else default_port
        return cls(root=root, port=port)

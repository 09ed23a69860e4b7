"""The shipped Supabase migrations on disk: what `/readyz` compares with the database and what
the local applier applies. Files are named as the Supabase CLI expects (`<digits>_<name>.sql`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MIGRATION_NAME = re.compile(r"^([0-9]+)_(.*)\.sql$")


class ProjectNotFoundError(Exception):
    """No repository root (a directory with `sql/local` and `supabase/`) could be found."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    def read(self) -> str:
        return self.path.read_text(encoding="utf-8")


def project_dir() -> Path:
    """The repository root: it holds `sql/local` and `supabase/migrations`.

    The package is installed editable from `backend/`, so the root is three levels above this
    package; a checkout elsewhere is found by walking up from the working directory.
    """
    cwd = Path.cwd().resolve()
    for candidate in [Path(__file__).resolve().parents[3], cwd, *cwd.parents]:
        if (candidate / "sql" / "local").is_dir() and (candidate / "supabase").is_dir():
            return candidate
    raise ProjectNotFoundError(
        "cannot find the project root (a directory with sql/local and supabase/); "
        "run the command inside the repository"
    )


def migrations_dir() -> Path:
    return project_dir() / "supabase" / "migrations"


def list_migrations(directory: Path | None = None) -> list[Migration]:
    """Files named like the CLI expects, in version order."""
    found = []
    for path in (directory or migrations_dir()).glob("*.sql"):
        match = MIGRATION_NAME.match(path.name)
        if match:
            found.append(Migration(match.group(1), match.group(2), path))
    return sorted(found, key=lambda m: (int(m.version), m.version))

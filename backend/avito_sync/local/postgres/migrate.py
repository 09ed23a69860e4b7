"""Apply the local layer (`sql/local/*.sql`) and the Supabase migrations to a database URL.

Migrations are recorded in the Supabase CLI's own history table, each file in one transaction
together with its history row, so `supabase db push` and this applier agree on what is applied.
The local layer is applied when its checksum (kept in the database's comment) differs from the
files on disk, i.e. once per database unless the files change.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg
from psycopg import sql

from avito_sync.core import migrations as shipped
from avito_sync.core.migrations import Migration
from avito_sync.local.postgres.config import project_dir
from avito_sync.local.postgres.errors import StackError

LAYER_MARK = "avito-sync local layer sha256:"
MIGRATION_CHANGED = "migration_changed"


def local_layer_dir() -> Path:
    return project_dir() / "sql" / "local"


def migrations_dir() -> Path:
    return project_dir() / "supabase" / "migrations"


def list_migrations(directory: Path | None = None) -> list[Migration]:
    return shipped.list_migrations(directory or migrations_dir())


def layer_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or local_layer_dir()).glob("*.sql"))


def layer_checksum(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _layer_mark(conn: psycopg.Connection[tuple[object, ...]]) -> str | None:
    row = conn.execute(
        "select shobj_description(oid, 'pg_database') from pg_database "
        "where datname = current_database()"
    ).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def local_layer_applied(url: str, directory: Path | None = None) -> bool:
    files = layer_files(directory)
    with psycopg.connect(url, autocommit=True) as conn:
        return _layer_mark(conn) == LAYER_MARK + layer_checksum(files)


def apply_local_layer(url: str, *, force: bool = False, directory: Path | None = None) -> bool:
    """Apply every `sql/local` file in one transaction; False when already up to date."""
    files = layer_files(directory)
    if not files:
        raise StackError("no_local_layer", f"no SQL files in {directory or local_layer_dir()}")
    mark = LAYER_MARK + layer_checksum(files)
    with psycopg.connect(url, autocommit=True) as conn:
        if not force and _layer_mark(conn) == mark:
            return False
        with conn.transaction():
            for path in files:
                try:
                    conn.execute(path.read_text(encoding="utf-8").encode())
                except psycopg.Error as exc:
                    raise StackError("local_layer_failed", f"{path.name}: {exc}") from exc
            dbname = conn.info.dbname
            conn.execute(
                sql.SQL("comment on database {} is {}").format(
                    sql.Identifier(dbname), sql.Literal(mark)
                )
            )
    return True


def applied_versions(conn: psycopg.Connection[tuple[object, ...]]) -> set[str]:
    exists = conn.execute(
        "select to_regclass('supabase_migrations.schema_migrations') is not null"
    ).fetchone()
    if not exists or not exists[0]:
        return set()
    rows = conn.execute("select version from supabase_migrations.schema_migrations")
    return {str(r[0]) for r in rows}


def _ensure_history(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """The CLI's history DDL (pkg/migration/history.go), idempotent."""
    conn.execute(
        b"create schema if not exists supabase_migrations;"
        b"create table if not exists supabase_migrations.schema_migrations"
        b" (version text not null primary key);"
        b"alter table supabase_migrations.schema_migrations"
        b" add column if not exists statements text[];"
        b"alter table supabase_migrations.schema_migrations add column if not exists name text;"
    )


def pending_migrations(url: str, directory: Path | None = None) -> list[Migration]:
    with psycopg.connect(url, autocommit=True) as conn:
        done = applied_versions(conn)
    return [m for m in list_migrations(directory) if m.version not in done]


def changed_migrations(
    conn: psycopg.Connection[tuple[object, ...]], migrations: list[Migration]
) -> list[Migration]:
    """Applied migrations whose file no longer matches the text recorded when it was applied
    (edited in place before the first release): such a database is not what the files say.
    Only our own one-text history rows are compared (the CLI records split statements)."""
    recorded = {
        str(version): statements[0]
        for version, statements in conn.execute(
            "select version, statements from supabase_migrations.schema_migrations"
        )
        if isinstance(statements, list) and len(statements) == 1
    }
    return [
        m
        for m in migrations
        if m.version in recorded and _same_sql(recorded[m.version]) != _same_sql(m.read())
    ]


def _same_sql(text: object) -> str:
    return " ".join(str(text).replace(";", " ").split())


def apply_migrations(url: str, directory: Path | None = None) -> list[Migration]:
    """Apply pending migrations in version order, each in one transaction with its history row.

    A failing file leaves nothing behind and stops the run with a `migration_failed` error; an
    applied file that changed since stops it first with `migration_changed` (a local cluster is
    rebuilt with `avito-sync db reset`).
    """
    applied: list[Migration] = []
    with psycopg.connect(url, autocommit=True) as conn:
        _ensure_history(conn)
        done = applied_versions(conn)
        changed = changed_migrations(conn, list_migrations(directory))
        if changed:
            names = ", ".join(m.path.name for m in changed)
            raise StackError(
                MIGRATION_CHANGED,
                f"applied migrations changed since: {names}; rebuild this local cluster with"
                " `avito-sync db reset` (its data is lost)",
            )
        for migration in list_migrations(directory):
            if migration.version in done:
                continue
            text = migration.read()
            try:
                with conn.transaction():
                    conn.execute(text.encode())
                    conn.execute(
                        "insert into supabase_migrations.schema_migrations"
                        " (version, name, statements) values (%s, %s, %s)",
                        (migration.version, migration.name, [text]),
                    )
            except psycopg.Error as exc:
                raise StackError("migration_failed", f"{migration.path.name}: {exc}") from exc
            applied.append(migration)
    return applied

"""The migration applier: Supabase CLI history table, one transaction per file, CLI agreement."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from avito_sync.local.postgres.errors import StackError
from avito_sync.local.postgres.migrate import (
    apply_local_layer,
    apply_migrations,
    list_migrations,
    local_layer_applied,
    pending_migrations,
)
from tests.fixtures.db import connect

ROOT = Path(__file__).resolve().parents[2]


def write(directory: Path, name: str, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)


def history(url: str) -> list[tuple[str, str, list[str]]]:
    with connect(url) as conn:
        return [
            (r["version"], r["name"], r["statements"])
            for r in conn.execute(
                "select version, name, statements from supabase_migrations.schema_migrations"
                " order by version"
            )
        ]


def test_listing_orders_by_version_and_ignores_other_files(tmp_path: Path) -> None:
    write(tmp_path, "20260102000000_b.sql", "")
    write(tmp_path, "9_a.sql", "")
    write(tmp_path, "notes.sql", "")
    write(tmp_path, "20260101_x.txt", "")
    assert [(m.version, m.name) for m in list_migrations(tmp_path)] == [
        ("9", "a"),
        ("20260102000000", "b"),
    ]


def test_applies_each_file_once_with_its_history_row(
    scratch_database: Callable[..., str], tmp_path: Path
) -> None:
    url = scratch_database()
    first = "create table public.t (id int);\ninsert into public.t values (1);\n"
    write(tmp_path, "20260101000000_create_t.sql", first)
    applied = apply_migrations(url, tmp_path)
    assert [m.version for m in applied] == ["20260101000000"]
    write(tmp_path, "20260102000000_add_row.sql", "insert into public.t values (2);")
    assert [m.version for m in pending_migrations(url, tmp_path)] == ["20260102000000"]
    assert [m.version for m in apply_migrations(url, tmp_path)] == ["20260102000000"]
    assert apply_migrations(url, tmp_path) == []
    assert history(url) == [
        ("20260101000000", "create_t", [first]),
        ("20260102000000", "add_row", ["insert into public.t values (2);"]),
    ]
    with connect(url) as conn:
        assert conn.execute("select count(*) as n from public.t").fetchone() == {"n": 2}


def test_an_applied_file_edited_since_stops_the_run(
    scratch_database: Callable[..., str], tmp_path: Path
) -> None:
    url = scratch_database()
    write(tmp_path, "1_t.sql", "create table public.t (id int);")
    apply_migrations(url, tmp_path)
    write(tmp_path, "1_t.sql", "create table public.t (id int);\n")  # whitespace only: same
    assert apply_migrations(url, tmp_path) == []
    write(tmp_path, "1_t.sql", "create table public.t (id bigint);")
    write(tmp_path, "2_u.sql", "create table public.u (id int);")
    with pytest.raises(StackError) as raised:
        apply_migrations(url, tmp_path)
    assert raised.value.code == "migration_changed"
    assert "1_t.sql" in raised.value.message
    assert [v for v, _, _ in history(url)] == ["1"]  # nothing applied on top of it


def test_failing_file_leaves_nothing_behind(
    scratch_database: Callable[..., str], tmp_path: Path
) -> None:
    url = scratch_database()
    write(tmp_path, "1_ok.sql", "create table public.ok (id int);")
    write(tmp_path, "2_bad.sql", "create table public.half (id int);\nselect 1/0;")
    write(tmp_path, "3_after.sql", "create table public.after (id int);")
    with pytest.raises(StackError) as caught:
        apply_migrations(url, tmp_path)
    assert caught.value.code == "migration_failed"
    assert "2_bad.sql" in caught.value.message
    assert [v for v, _, _ in history(url)] == ["1"]
    with connect(url) as conn:
        tables = conn.execute(
            "select to_regclass('public.ok') is not null as ok,"
            " to_regclass('public.half') is null as no_half,"
            " to_regclass('public.after') is null as no_after"
        ).fetchone()
    assert tables == {"ok": True, "no_half": True, "no_after": True}


def test_local_layer_applies_once_and_is_idempotent(scratch_database: Callable[..., str]) -> None:
    url = scratch_database()
    assert not local_layer_applied(url)
    assert apply_local_layer(url) is True
    assert local_layer_applied(url)
    assert apply_local_layer(url) is False
    assert apply_local_layer(url, force=True) is True


def test_supabase_cli_agrees_with_the_applier(
    scratch_database: Callable[..., str], tmp_path: Path
) -> None:
    """Our history rows are the CLI's: `db push` skips what we applied and applies the rest."""
    url = scratch_database(local_layer=True)
    migrations = tmp_path / "supabase" / "migrations"
    write(migrations, "20260101000000_one.sql", "create table public.one (id int);")
    apply_migrations(url, migrations)
    write(migrations, "20260102000000_two.sql", "create table public.two (id int);")
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "SUPABASE_TELEMETRY_DISABLED": "1"}
    cli = [str(ROOT / "node_modules" / ".bin" / "supabase"), "--workdir", str(tmp_path)]
    pushed = subprocess.run(
        [*cli, "db", "push", "--db-url", f"{url}?sslmode=disable", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert pushed.returncode == 0, pushed.stderr
    assert [v for v, _, _ in history(url)] == ["20260101000000", "20260102000000"]
    listed = subprocess.run(
        [*cli, "migration", "list", "--db-url", f"{url}?sslmode=disable"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert pending_migrations(url, migrations) == []
    # Each version shows in both the Local and the Remote column.
    for version in ("20260101000000", "20260102000000"):
        assert [line.count(version) for line in listed.stdout.splitlines() if version in line] == [
            2
        ]

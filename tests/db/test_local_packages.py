"""Pure parts of the stack: package detection, env validation, directory reachability."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avito_sync.local.postgres import cluster
from avito_sync.local.postgres.config import StackConfig, parse_port
from avito_sync.local.postgres.errors import StackError
from avito_sync.local.postgres.packages import (
    REQUIRED_PACKAGES,
    missing_packages,
    parse_installed,
    plan_install,
)

DPKG_OUTPUT = (
    "postgresql-15 ii \n"
    "postgresql-15-cron rc \n"
    "postgresql-15-pgtap un \n"
    "libtap-parser-sourcehandler-pgtap-perl:all ii \n"
)


def test_parse_installed_keeps_only_ii() -> None:
    assert parse_installed(DPKG_OUTPUT) == {
        "postgresql-15",
        "libtap-parser-sourcehandler-pgtap-perl",
    }


@given(st.sets(st.sampled_from(REQUIRED_PACKAGES)))
def test_missing_is_required_minus_installed_in_order(installed: set[str]) -> None:
    output = "".join(f"{name} ii \n" for name in installed)
    missing = missing_packages(REQUIRED_PACKAGES, parse_installed(output))
    assert set(missing) == set(REQUIRED_PACKAGES) - installed
    assert list(missing) == [p for p in REQUIRED_PACKAGES if p in missing]


def test_root_on_debian_installs_without_recommends() -> None:
    plan = plan_install(("postgresql-15-cron", "postgresql-15-pgtap"), is_root=True, has_apt=True)
    assert plan.refusal is None
    assert plan.commands == [
        ["apt-get", "-o", "DPkg::Lock::Timeout=300", "update"],
        [
            "apt-get",
            "-o",
            "DPkg::Lock::Timeout=300",
            "install",
            "-y",
            "--no-install-recommends",
            "postgresql-15-cron",
            "postgresql-15-pgtap",
        ],
    ]


def test_non_root_gets_the_exact_command() -> None:
    plan = plan_install(("postgresql-15-cron",), is_root=False, has_apt=True)
    assert plan.commands == []
    assert plan.refusal is not None
    assert plan.refusal.endswith(
        "sudo apt-get -o DPkg::Lock::Timeout=300 update && sudo apt-get -o "
        "DPkg::Lock::Timeout=300 install -y --no-install-recommends postgresql-15-cron"
    )


def test_without_apt_nothing_runs() -> None:
    plan = plan_install(("postgresql-15",), is_root=True, has_apt=False)
    assert plan.commands == []
    assert plan.refusal is not None
    assert "not Debian" in plan.refusal


def test_nothing_missing_means_nothing_to_do() -> None:
    assert plan_install((), is_root=False, has_apt=False).refusal is None


@given(st.integers(min_value=1024, max_value=65535))
def test_valid_ports_parse(port: int) -> None:
    assert parse_port(f" {port} ") == port


@given(st.one_of(st.integers(max_value=1023), st.integers(min_value=65536)))
def test_out_of_range_ports_are_refused(port: int) -> None:
    with pytest.raises(StackError) as caught:
        parse_port(str(port))
    assert caught.value.code == "invalid_port"


@pytest.mark.parametrize("raw", ["", "abc", "54.3", "0x10"])
def test_non_integer_ports_are_refused(raw: str) -> None:
    with pytest.raises(StackError):
        parse_port(raw)


def test_env_overrides_and_defaults(tmp_path: Path) -> None:
    env = {"AVITO_SYNC_PG_DIR": str(tmp_path / "c"), "AVITO_SYNC_PG_PORT": "54999"}
    assert StackConfig.from_env(env) == StackConfig(tmp_path / "c", 54999)
    default = StackConfig.from_env({}, default_dir_name="pg-test", default_port=54331)
    assert default.root.parts[-2:] == (".local", "pg-test")
    assert default.url == "postgresql://postgres@127.0.0.1:54331/postgres"


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory whose ancestors all grant o+x (/var/tmp; /tmp/pytest-of-* does not)."""
    path = Path(tempfile.mkdtemp(dir=cluster.FALLBACK_BASE.parent))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def test_traversal_needs_x_on_every_ancestor(open_dir: Path) -> None:
    locked = open_dir / "locked"
    inner = locked / "inner"
    inner.mkdir(parents=True)
    other_uid = os.geteuid() + 4242
    os.chmod(locked, 0o700)
    assert cluster.can_traverse(open_dir, other_uid, frozenset())
    assert not cluster.can_traverse(inner, other_uid, frozenset())
    os.chmod(locked, 0o701)
    assert cluster.can_traverse(inner, other_uid, frozenset())
    os.chmod(locked, 0o710)
    assert cluster.can_traverse(inner, other_uid, frozenset({os.stat(locked).st_gid}))


def test_unreachable_root_falls_back_to_a_stable_directory(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o700)
    requested = StackConfig(tmp_path / "pg", 54999)
    user = cluster.ServerUser(uid=os.geteuid() + 4242, gids=frozenset(), via_runuser=True)
    used, note = cluster.reachable_config(requested, user)
    again, _ = cluster.reachable_config(requested, user)
    assert used == again
    assert used.root.parent == cluster.FALLBACK_BASE
    assert used.port == 54999
    assert note is not None
    assert str(used.root) in note


def test_settings_enable_output_plugins_only_when_supported() -> None:
    config = StackConfig(Path("/x"), 54999)
    without = cluster.settings_text(config, output_plugins=False)
    with_plugins = cluster.settings_text(config, output_plugins=True)
    assert "output_plugin_libraries" not in without
    assert "output_plugin_libraries = 'pgoutput, test_decoding, wal2json'" in with_plugins
    for line in (
        "port = 54999",
        "listen_addresses = '127.0.0.1'",
        "shared_preload_libraries = 'pg_cron'",
        "cron.database_name = 'postgres'",
        "wal_level = logical",
    ):
        assert line in without

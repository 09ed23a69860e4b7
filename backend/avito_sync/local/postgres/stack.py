"""The local stack's operations as the CLI and the test fixtures use them.

`up` and `reset` are the two ways to a ready database: packages present, cluster initialised and
running, local layer applied, migrations applied (optional for `reset`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from avito_sync.core.migrations import Migration
from avito_sync.local.postgres import cluster, migrate
from avito_sync.local.postgres.config import StackConfig
from avito_sync.local.postgres.packages import ensure_packages


@dataclass(frozen=True)
class Ready:
    """What `up`/`reset` did, for the CLI to report."""

    config: StackConfig
    notes: list[str] = field(default_factory=list)
    started: bool = False
    layer_applied: bool = False
    migrations: list[Migration] = field(default_factory=list)


def _prepare(config: StackConfig) -> tuple[StackConfig, cluster.ServerUser, list[str]]:
    notes = []
    installed = ensure_packages()
    if installed:
        notes.append(f"installed Debian packages: {' '.join(installed)}")
    user = cluster.server_user()
    config, moved = cluster.reachable_config(config, user)
    if moved:
        notes.append(moved)
    cluster.prepare_root(config, user)
    return config, user, notes


def _start(config: StackConfig, user: cluster.ServerUser) -> None:
    cluster.ensure_vault_key(config, user)
    cluster.write_settings(config, user)
    cluster.start(config, user)


def up(config: StackConfig, *, with_migrations: bool = True) -> Ready:
    """Idempotent: start what is not running, apply what is missing; cheap when all is done."""
    config, user, notes = _prepare(config)
    started = False
    if not cluster.is_initialized(config):
        cluster.initdb(config, user)
    pid = cluster.running_pid(config)
    if pid is not None and cluster.running_port(config) != config.port:
        cluster.stop(config, user)
        pid = None
    if pid is None:
        _start(config, user)
        started = True
    layer = migrate.apply_local_layer(config.url)
    applied = migrate.apply_migrations(config.url) if with_migrations else []
    return Ready(config, notes, started, layer, applied)


def reset(config: StackConfig, *, with_migrations: bool = True) -> Ready:
    """A brand-new cluster (re-initdb): the only clean slate, since pg_cron holds a connection."""
    config, user, notes = _prepare(config)
    cluster.stop(config, user)
    cluster.initdb(config, user)
    _start(config, user)
    migrate.apply_local_layer(config.url, force=True)
    applied = migrate.apply_migrations(config.url) if with_migrations else []
    return Ready(config, notes, True, True, applied)


def down(config: StackConfig) -> bool:
    user = cluster.server_user()
    config, _ = cluster.reachable_config(config, user)
    return cluster.stop(config, user)


def located(config: StackConfig) -> StackConfig:
    """The config actually in use (after a possible fallback to a reachable directory)."""
    return cluster.reachable_config(config, cluster.server_user())[0]


@dataclass(frozen=True)
class Status:
    config: StackConfig
    running: bool
    version: str | None = None
    extensions: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    layer_current: bool = False


def status(config: StackConfig) -> Status:
    config = located(config)
    if cluster.running_pid(config) is None:
        return Status(config, running=False)
    with psycopg.connect(config.url, autocommit=True, connect_timeout=5) as conn:
        version = str(conn.execute("show server_version").fetchone()[0])  # type: ignore[index]
        extensions = [
            f"{r[0]} {r[1]}"
            for r in conn.execute("select extname, extversion from pg_extension order by 1")
        ]
        done = migrate.applied_versions(conn)
    return Status(
        config,
        running=True,
        version=version,
        extensions=extensions,
        applied=sorted(done),
        pending=[m.version for m in migrate.list_migrations() if m.version not in done],
        layer_current=migrate.local_layer_applied(config.url),
    )

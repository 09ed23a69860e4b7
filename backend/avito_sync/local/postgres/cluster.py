"""A PostgreSQL 15 cluster in a project-local directory: initdb, configure, start, stop.

initdb and postgres refuse to run as root, so as root every server binary runs as the `postgres`
OS user (runuser) and the cluster directory is owned by it (docs/local-postgres.md §3).
"""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import stat
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from avito_sync.local.postgres.config import ENV_DIR, StackConfig
from avito_sync.local.postgres.errors import StackError

BIN = Path("/usr/lib/postgresql/15/bin")
SERVER_USER = "postgres"
VAULT_KEY_FILE = "avito_vault_root.key"
SETTINGS_FILE = "avito_sync.conf"
# Not under /tmp so that it survives tmp cleaners; ownership is checked before use.
FALLBACK_BASE = Path("/var/tmp/avito-sync-pg")  # noqa: S108


@dataclass(frozen=True)
class ServerUser:
    """The OS account that owns the data directory and runs the server."""

    uid: int
    gids: frozenset[int]
    via_runuser: bool


def server_user() -> ServerUser:
    if os.geteuid() != 0:
        return ServerUser(os.geteuid(), frozenset(os.getgroups()) | {os.getegid()}, False)
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise StackError(
            "no_postgres_user", "running as root needs the `postgres` OS user (postgresql-15)"
        ) from None
    groups = os.getgrouplist(SERVER_USER, entry.pw_gid)
    return ServerUser(entry.pw_uid, frozenset(groups), True)


def can_traverse(path: Path, uid: int, gids: frozenset[int]) -> bool:
    """Whether `uid` can reach `path`: every existing ancestor must grant it search (x) rights."""
    if uid == 0:
        return True
    for directory in [path, *path.parents]:
        try:
            st = directory.stat()
        except FileNotFoundError:
            continue
        if st.st_uid == uid:
            bit = stat.S_IXUSR
        elif st.st_gid in gids:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


def fallback_root(root: Path) -> Path:
    """A stable place the server user can reach, derived from the requested one."""
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    return FALLBACK_BASE / f"{root.name}-{digest}"


def reachable_config(config: StackConfig, user: ServerUser) -> tuple[StackConfig, str | None]:
    """The config to use, and a note when the cluster had to move to a reachable directory."""
    if can_traverse(config.root.parent, user.uid, user.gids):
        return config, None
    moved = replace(config, root=fallback_root(config.root))
    return moved, (
        f"{config.root} is not reachable by the `{SERVER_USER}` user (a parent directory "
        f"lacks o+x); using {moved.root} instead"
    )


def _server_cmd(user: ServerUser, *args: str) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *args] if user.via_runuser else list(args)


def _run(
    user: ServerUser, config: StackConfig, *args: str, code: str
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603 - fixed binaries, arguments built here
        _server_cmd(user, *args),
        cwd=config.root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise StackError(code, f"{Path(args[0]).name} failed:\n{done.stdout}{done.stderr}".strip())
    return done


def _own(user: ServerUser, path: Path, mode: int) -> None:
    os.chmod(path, mode)
    if user.via_runuser:
        os.chown(path, user.uid, pwd.getpwuid(user.uid).pw_gid)


def prepare_root(config: StackConfig, user: ServerUser) -> None:
    config.root.mkdir(parents=True, exist_ok=True)
    if config.root.parent == FALLBACK_BASE and FALLBACK_BASE.stat().st_uid not in (0, os.geteuid()):
        raise StackError("unsafe_dir", f"{FALLBACK_BASE} belongs to another user; set {ENV_DIR}")
    _own(user, config.root, 0o755)


def is_initialized(config: StackConfig) -> bool:
    return (config.data_dir / "PG_VERSION").is_file()


def running_pid(config: StackConfig) -> int | None:
    """The postmaster's pid when it is alive (from postmaster.pid), else None."""
    try:
        first = (config.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        pid = int(first)
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def running_port(config: StackConfig) -> int | None:
    """The port the running postmaster listens on (4th line of postmaster.pid)."""
    try:
        return int((config.data_dir / "postmaster.pid").read_text().split("\n")[3])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def initdb(config: StackConfig, user: ServerUser) -> None:
    if config.data_dir.exists():
        shutil.rmtree(config.data_dir)
    _run(
        user,
        config,
        str(BIN / "initdb"),
        "-D",
        str(config.data_dir),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        "--no-sync",  # disposable local data; saves seconds per reset
        code="initdb_failed",
    )
    with (config.data_dir / "postgresql.conf").open("a") as conf:
        conf.write(f"\n# avito-sync local stack\ninclude '{SETTINGS_FILE}'\n")


def supports_output_plugin_libraries(config: StackConfig, user: ServerUser) -> bool:
    """`output_plugin_libraries` exists only on 15.19+; unknown settings are fatal at start."""
    done = subprocess.run(  # noqa: S603
        _server_cmd(
            user, str(BIN / "postgres"), "-D", str(config.data_dir), "-C", "output_plugin_libraries"
        ),
        cwd=config.root,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0


def settings_text(config: StackConfig, *, output_plugins: bool) -> str:
    """postgresql.conf lines for the stack (docs/local-postgres.md §4)."""
    lines = [
        f"port = {config.port}",
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = ''",
        "shared_preload_libraries = 'pg_cron'",
        "cron.database_name = 'postgres'",
        "cron.use_background_workers = on",
        "max_worker_processes = 20",
        "wal_level = logical",
        "max_replication_slots = 10",
        "max_wal_senders = 10",
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
    ]
    if output_plugins:
        lines.append("output_plugin_libraries = 'pgoutput, test_decoding, wal2json'")
    return "\n".join(lines) + "\n"


def write_settings(config: StackConfig, user: ServerUser) -> None:
    # The include file is written without the output_plugin_libraries line first, so the
    # detection run of `postgres -C` never trips over an unknown setting.
    path = config.data_dir / SETTINGS_FILE
    path.write_text(settings_text(config, output_plugins=False))
    _own(user, path, 0o600)
    if supports_output_plugin_libraries(config, user):
        path.write_text(settings_text(config, output_plugins=True))


def ensure_vault_key(config: StackConfig, user: ServerUser) -> None:
    """The Vault stand-in's 32-byte root key: a file only the server user can read."""
    path = config.data_dir / VAULT_KEY_FILE
    if path.is_file() and path.stat().st_size == 32:
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as key_file:
        key_file.write(secrets.token_bytes(32))
    _own(user, path, 0o600)


def start(config: StackConfig, user: ServerUser) -> None:
    try:
        _run(
            user,
            config,
            str(BIN / "pg_ctl"),
            "-D",
            str(config.data_dir),
            "-l",
            str(config.log_file),
            "-w",
            "-t",
            "60",
            "start",
            code="start_failed",
        )
    except StackError as exc:
        raise StackError("start_failed", f"{exc.message}\n{log_tail(config)}") from None


def stop(config: StackConfig, user: ServerUser) -> bool:
    """Stop the server if it runs; True when it was running."""
    if running_pid(config) is None:
        return False
    _run(
        user,
        config,
        str(BIN / "pg_ctl"),
        "-D",
        str(config.data_dir),
        "-m",
        "fast",
        "-w",
        "stop",
        code="stop_failed",
    )
    return True


def log_tail(config: StackConfig, lines: int = 20) -> str:
    try:
        text = config.log_file.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no server log at {config.log_file})"
    return "\n".join(text.splitlines()[-lines:])

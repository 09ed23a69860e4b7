"""Where the dev stack listens and keeps its files: defaults, overridable by environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from avito_sync.db.config import StackConfig, project_dir

ENV_DEV_DIR = "AVITO_SYNC_DEV_DIR"
PORT_VARIABLES = {
    "api": ("AVITO_SYNC_DEV_API_PORT", 8000),
    "sandbox": ("AVITO_SYNC_DEV_SANDBOX_PORT", 8790),
    "realtime": ("AVITO_SYNC_DEV_REALTIME_PORT", 54340),
    "inbox": ("AVITO_SYNC_DEV_INBOX_PORT", 8791),
    "telegram": ("AVITO_SYNC_DEV_TELEGRAM_PORT", 8792),
    "push": ("AVITO_SYNC_DEV_PUSH_PORT", 8793),
}
HOST = "127.0.0.1"


class DevConfigError(ValueError):
    """A dev-stack variable is unusable; the message names it."""


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise DevConfigError(f"{name} must be a port in 1024..65535, got {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class DevConfig:
    """The database cluster, the loopback ports of every service, and the dev state directory."""

    database: StackConfig
    state_dir: Path
    api_port: int
    sandbox_port: int
    realtime_port: int
    inbox_port: int
    telegram_port: int
    push_port: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DevConfig:
        env = os.environ if env is None else env
        raw_dir = env.get(ENV_DEV_DIR, "").strip()
        state_dir = Path(raw_dir).expanduser().absolute() if raw_dir else project_dir() / ".local"
        ports = {key: _port(env, name, default) for key, (name, default) in PORT_VARIABLES.items()}
        config = cls(
            database=StackConfig.from_env(env),
            state_dir=state_dir,
            api_port=ports["api"],
            sandbox_port=ports["sandbox"],
            realtime_port=ports["realtime"],
            inbox_port=ports["inbox"],
            telegram_port=ports["telegram"],
            push_port=ports["push"],
        )
        taken = [config.database.port, *ports.values()]
        if len(set(taken)) != len(taken):
            raise DevConfigError(
                "the dev ports must differ: AVITO_SYNC_PG_PORT and "
                + ", ".join(name for name, _ in PORT_VARIABLES.values())
            )
        return config

    @property
    def env_file(self) -> Path:
        return self.state_dir / "dev.env"

    @property
    def sandbox_state_file(self) -> Path:
        return self.state_dir / "sandbox-state.json"

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://{HOST}:{self.sandbox_port}"

    @property
    def realtime_url(self) -> str:
        return f"ws://{HOST}:{self.realtime_port}/realtime/v1"

    @property
    def inbox_url(self) -> str:
        return f"http://{HOST}:{self.inbox_port}/notifications"

"""Where the dev stack listens and keeps its files: defaults, overridable by environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from avito_sync.local.postgres.config import ENV_DIR, StackConfig, project_dir

ENV_DEV_DIR = "AVITO_SYNC_DEV_DIR"
ENV_FUNCTIONS_URL = "AVITO_SYNC_DEV_FUNCTIONS_URL"
PORT_VARIABLES = {
    "api": ("AVITO_SYNC_DEV_API_PORT", 8000),
    "sandbox": ("AVITO_SYNC_DEV_SANDBOX_PORT", 8790),
    "realtime": ("AVITO_SYNC_DEV_REALTIME_PORT", 54340),
    "inbox": ("AVITO_SYNC_DEV_INBOX_PORT", 8791),
    "supabase": ("AVITO_SYNC_DEV_SUPABASE_PORT", 54321),  # the functions gateway (SUPABASE_URL)
    "app": ("AVITO_SYNC_DEV_APP_PORT", 5173),
    "telegram": ("AVITO_SYNC_DEV_TELEGRAM_PORT", 8792),
    "push": ("AVITO_SYNC_DEV_PUSH_PORT", 8793),
}
APP_CALLBACK_PATH = "/auth/avito-callback"
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
    supabase_port: int = 54321
    app_port: int = 5173
    # Where the callback page calls `/functions/v1/<name>`: by default the functions gateway
    # (SUPABASE_URL), the route the deployed app takes; AVITO_SYNC_DEV_FUNCTIONS_URL overrides.
    functions_base_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DevConfig:
        env = os.environ if env is None else env
        raw_dir = env.get(ENV_DEV_DIR, "").strip()
        state_dir = Path(raw_dir).expanduser().absolute() if raw_dir else project_dir() / ".local"
        ports = {key: _port(env, name, default) for key, (name, default) in PORT_VARIABLES.items()}
        database = StackConfig.from_env(env)
        if raw_dir and not env.get(ENV_DIR, "").strip():
            database = StackConfig(root=state_dir / "pg", port=database.port)
        functions = env.get(ENV_FUNCTIONS_URL, "").strip().rstrip("/") or None
        if functions is not None and not functions.startswith(("http://", "https://")):
            raise DevConfigError(f"{ENV_FUNCTIONS_URL} must be an http(s) URL, got {functions!r}")
        config = cls(
            database=database,
            state_dir=state_dir,
            api_port=ports["api"],
            sandbox_port=ports["sandbox"],
            realtime_port=ports["realtime"],
            inbox_port=ports["inbox"],
            supabase_port=ports["supabase"],
            app_port=ports["app"],
            functions_base_url=functions,
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

    @property
    def supabase_url(self) -> str:
        """The app-facing base URL: `/functions/v1/<name>` answered by the forwarders."""
        return f"http://{HOST}:{self.supabase_port}"

    @property
    def app_url(self) -> str:
        return f"http://{HOST}:{self.app_port}"

    @property
    def app_callback_url(self) -> str:
        """The Avito redirect URI in dev: the stand-in for the app's callback page."""
        return self.app_url + APP_CALLBACK_PATH

    @property
    def functions_url(self) -> str:
        return self.functions_base_url or self.supabase_url

    @property
    def ports(self) -> dict[str, int]:
        """Every loopback port the dev stack serves itself, by its variable's name."""
        return {PORT_VARIABLES[key][0]: getattr(self, f"{key}_port") for key in PORT_VARIABLES}

"""Start-up configuration of the sandbox and the demo world it seeds on every reset."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

DEFAULT_CLIENT_ID = "sandbox-demo-client-0001"
DEFAULT_CLIENT_SECRET = "sandbox-demo-secret-not-for-production"  # noqa: S105 - public dev default
DEFAULT_REDIRECT_URI = "http://127.0.0.1:5173/auth/avito-callback"
DEMO_APPLICATION_NAME = "avito-sync (sandbox)"
DEMO_ACCOUNT_ID = 387_654_321
DEMO_ITEM_IDS = (4_012_345_678, 4_012_345_679)


class SandboxConfig(BaseModel):
    client_id: str = Field(default=DEFAULT_CLIENT_ID, min_length=20, max_length=200)
    client_secret: str = Field(default=DEFAULT_CLIENT_SECRET, min_length=8, max_length=200)
    redirect_uri: str = Field(default=DEFAULT_REDIRECT_URI, pattern=r"^https?://\S+$")
    token_ttl_seconds: int = Field(default=86400, ge=1, le=10 * 365 * 86400)
    state_file: Path | None = None

    @property
    def uses_default_credentials(self) -> bool:
        return self.client_id == DEFAULT_CLIENT_ID and self.client_secret == DEFAULT_CLIENT_SECRET


def config_from_env(env: Mapping[str, str] | None = None, **overrides: object) -> SandboxConfig:
    """Read ``AVITO_CLIENT_ID`` / ``AVITO_CLIENT_SECRET`` / ``AVITO_REDIRECT_URI``.

    Explicit ``overrides`` (CLI options) win over the environment; ``None`` means "not given".
    Raises ``ValueError`` with every problem when a value is invalid.
    """
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    for field, var in (
        ("client_id", "AVITO_CLIENT_ID"),
        ("client_secret", "AVITO_CLIENT_SECRET"),
        ("redirect_uri", "AVITO_REDIRECT_URI"),
    ):
        if env.get(var):
            values[field] = env[var]
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return SandboxConfig.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        raise ValueError(f"invalid sandbox configuration: {problems}") from None

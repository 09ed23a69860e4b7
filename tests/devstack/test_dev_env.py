"""The dev secrets file, dev tokens (checked by the service's own verifier) and the dev config."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from avito_sync.api.auth import JwtVerifier
from avito_sync.api.errors import ApiError
from avito_sync.api.jwks import JwksCache
from avito_sync.cli import app
from avito_sync.local.devstack import secrets
from avito_sync.local.devstack.config import DevConfig, DevConfigError
from avito_sync.local.devstack.seed import DEMO_USER_ID
from avito_sync.local.devstack.token import issuer, mint


def test_secrets_are_generated_once_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "state" / "dev.env"
    first = secrets.ensure(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert set(secrets.REQUIRED) <= set(first)
    assert all(len(first[name]) >= 32 for name in secrets.REQUIRED if name != "SUPABASE_URL")
    assert secrets.ensure(path) == first
    assert secrets.read(path) == first


def test_developer_lines_are_kept_and_missing_secrets_added(tmp_path: Path) -> None:
    path = tmp_path / "dev.env"
    path.write_text("# mine\nAVITO_SYNC_LOG_LEVEL=DEBUG\nSUPABASE_URL=http://127.0.0.1:9999\n")
    values = secrets.ensure(path)
    assert values["AVITO_SYNC_LOG_LEVEL"] == "DEBUG"
    assert values["SUPABASE_URL"] == "http://127.0.0.1:9999"
    assert values["SUPABASE_JWT_SECRET"]
    assert "# mine" in path.read_text()


def test_malformed_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "dev.env"
    path.write_text("SUPABASE_URL=http://x\nnot a setting\n")
    with pytest.raises(secrets.DevEnvError, match=r"dev.env:2: expected NAME=value"):
        secrets.ensure(path)


async def test_dev_token_passes_the_service_verifier(tmp_path: Path) -> None:
    dev_env = secrets.ensure(tmp_path / "dev.env")
    token = mint(dev_env, DEMO_USER_ID, email="demo@example.com")
    async with httpx.AsyncClient(trust_env=False) as http:
        jwks = JwksCache("http://127.0.0.1:9/unused", http, ttl_seconds=60)
        verifier = JwtVerifier(
            jwks=jwks, issuer=issuer(dev_env), hs256_secret=dev_env["SUPABASE_JWT_SECRET"]
        )
        user = await verifier.verify(token)
        assert user.id == DEMO_USER_ID
        other = secrets.ensure(tmp_path / "other.env")
        stranger = JwtVerifier(
            jwks=jwks, issuer=issuer(other), hs256_secret=other["SUPABASE_JWT_SECRET"]
        )
        with pytest.raises(ApiError):
            await stranger.verify(token)


def test_token_command_refuses_without_the_dev_env_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["dev", "token"], env={"AVITO_SYNC_DEV_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert not (tmp_path / "dev.env").exists()


def test_token_command_signs_for_the_given_user(tmp_path: Path) -> None:
    secrets.ensure(tmp_path / "dev.env")
    user = uuid.uuid4()
    result = CliRunner().invoke(
        app,
        ["dev", "token", "--user-id", str(user)],
        env={"AVITO_SYNC_DEV_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), options={"verify_signature": False})
    assert claims["sub"] == str(user)
    assert claims["role"] == "authenticated"


def test_config_rejects_bad_and_clashing_ports(tmp_path: Path) -> None:
    base = {"AVITO_SYNC_DEV_DIR": str(tmp_path), "AVITO_SYNC_PG_DIR": str(tmp_path / "pg")}
    with pytest.raises(DevConfigError, match="AVITO_SYNC_DEV_API_PORT"):
        DevConfig.from_env({**base, "AVITO_SYNC_DEV_API_PORT": "80"})
    with pytest.raises(DevConfigError, match="must differ"):
        DevConfig.from_env({**base, "AVITO_SYNC_DEV_SANDBOX_PORT": "8000"})
    config = DevConfig.from_env({**base, "AVITO_SYNC_DEV_API_PORT": "18000"})
    assert config.api_url == "http://127.0.0.1:18000"
    assert config.env_file == tmp_path / "dev.env"

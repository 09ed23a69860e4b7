"""The forwarders' settings (supabase/functions/_shared/config.ts) at their boundaries,
evaluated by the pinned Deno in one process."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from avito_sync.local.devstack.functions import DENO_ENV, deno_binary, functions_dir

URL = "AVITO_SYNC_SERVICE_URL"
TIMEOUT = "AVITO_SYNC_FORWARDER_TIMEOUT_SECONDS"
MAX_BODY = "AVITO_SYNC_FORWARDER_MAX_BODY_BYTES"
SECRET = "AVITO_SYNC_FORWARDER_SECRET"
GOOD = {URL: "https://avito-sync.example.com"}

# (extra env, the variable refused or None, the config expected when accepted)
CASES: list[tuple[dict[str, str], str | None, dict[str, Any] | None]] = [
    (
        {},
        None,
        {
            "serviceUrl": "https://avito-sync.example.com",
            "secret": None,
            "timeoutMs": 120_000,
            "maxBodyBytes": 1_048_576,
        },
    ),
    ({URL: "http://127.0.0.1:8000///"}, None, {"serviceUrl": "http://127.0.0.1:8000"}),
    ({URL: " https://svc.example/base/ "}, None, {"serviceUrl": "https://svc.example/base"}),
    ({URL: ""}, URL, None),
    ({URL: "svc.example"}, URL, None),
    ({URL: "ftp://svc.example"}, URL, None),
    ({URL: "https://svc.example/?x=1"}, URL, None),
    ({URL: "https://user:pw@svc.example"}, URL, None),
    ({TIMEOUT: "0"}, TIMEOUT, None),
    ({TIMEOUT: "0.001"}, None, {"timeoutMs": 1}),
    ({TIMEOUT: "0.5"}, None, {"timeoutMs": 500}),
    ({TIMEOUT: "140"}, None, {"timeoutMs": 140_000}),
    ({TIMEOUT: "140.001"}, TIMEOUT, None),
    ({TIMEOUT: "-1"}, TIMEOUT, None),
    ({TIMEOUT: "1e3"}, TIMEOUT, None),
    ({TIMEOUT: "soon"}, TIMEOUT, None),
    ({MAX_BODY: "0"}, MAX_BODY, None),
    ({MAX_BODY: "1"}, None, {"maxBodyBytes": 1}),
    ({MAX_BODY: "10485760"}, None, {"maxBodyBytes": 10_485_760}),
    ({MAX_BODY: "10485761"}, MAX_BODY, None),
    ({MAX_BODY: "1.5"}, MAX_BODY, None),
    ({SECRET: "  "}, None, {"secret": None}),
    ({SECRET: "s" * 40}, None, {"secret": "s" * 40}),
    ({SECRET: "two words"}, SECRET, None),
    ({SECRET: "ключ"}, SECRET, None),
]


def evaluate(envs: list[dict[str, str]], tmp_path: Path) -> list[dict[str, Any]]:
    config = (functions_dir() / "_shared" / "config.ts").as_uri()
    script = tmp_path / "configs.ts"
    script.write_text(
        f'import {{ loadConfig }} from "{config}";\n'
        f"const envs: Record<string, string>[] = {json.dumps(envs)};\n"
        "console.log(JSON.stringify(envs.map((env) => loadConfig({ get: (n) => env[n] }))));\n",
        encoding="utf-8",
    )
    deno = [str(deno_binary()), "run", "--no-config", "--no-lock", "--no-remote", "--no-npm"]
    done = subprocess.run(
        [*deno, f"--allow-read={functions_dir()},{tmp_path}", str(script)],
        env={**DENO_ENV, "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def test_settings_are_accepted_or_refused_at_their_boundaries(tmp_path: Path) -> None:
    results = evaluate([{**GOOD, **extra} for extra, _, _ in CASES], tmp_path)
    for (extra, refused, expected), result in zip(CASES, results, strict=True):
        if refused is not None:
            assert result["ok"] is False, (extra, result)
            assert result["variable"] == refused, (extra, result)
        else:
            assert result["ok"] is True, (extra, result)
            assert expected is not None
            assert expected.items() <= result["config"].items(), (extra, result)

"""The report both cutover commands print: findings with a status and what to do.

The `--json` form is a stable interface (README "Deploying to Supabase"): an object with
`command`, `exit_code` and `findings`, each finding `{id, status, title, detail, action}`, and
for `apply` an `applied` object; fields are only ever added.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Status(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


class ExitCode(enum.IntEnum):
    """0: nothing needs action (warnings allowed); 1: a finding needs action, or apply refused;
    2: the command cannot run (configuration, database unreachable, migrations missing)."""

    OK = 0
    ACTION_NEEDED = 1
    CANNOT_RUN = 2


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    status: Status
    title: str
    detail: str
    action: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "title": self.title,
            "detail": self.detail,
            "action": self.action,
        }


@dataclass(frozen=True, slots=True)
class Report:
    command: str
    findings: tuple[Finding, ...]
    applied: dict[str, Any] | None = None
    refused: bool = False

    @property
    def exit_code(self) -> ExitCode:
        if self.refused or any(f.status is Status.FAIL for f in self.findings):
            return ExitCode.ACTION_NEEDED
        return ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "command": self.command,
            "exit_code": int(self.exit_code),
            "findings": [f.as_json() for f in self.findings],
        }
        if self.command == "apply":
            out["refused"] = self.refused
            out["applied"] = self.applied
        return out

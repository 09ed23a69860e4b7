"""Which Postgres cluster the dev stack must stop on exit.

The dev stack records the postmaster it started in a marker file and removes it once the
cluster is stopped. A marker still naming the running postmaster at the next start means an
earlier dev stack died before its stop step (killed, or its terminal gone): that cluster is
adopted and stopped on exit. A running cluster without such a marker was started by someone
else (`avito-sync db up`) and is left running.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

MARKER_NAME = "dev-cluster.pid"


@dataclass(frozen=True)
class Found:
    """What was running before the dev stack touched the cluster."""

    pid: int | None
    left_behind: bool

    def note(self) -> str | None:
        if self.pid is None:
            return None
        if self.left_behind:
            return (
                f"found the cluster (postmaster {self.pid}) an earlier dev stack left running; "
                "it is stopped on exit"
            )
        return (
            f"the cluster was already running (postmaster {self.pid}, not started by the dev "
            "stack): it is left running on exit; stop it with `avito-sync db down`"
        )


def marker(state_dir: Path) -> Path:
    return state_dir / MARKER_NAME


def recorded_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def inspect(path: Path, running_pid: int | None) -> Found:
    """Classify the running postmaster (if any) by the marker; a stale marker is removed."""
    recorded = recorded_pid(path)
    if recorded is not None and recorded != running_pid:
        forget(path)
    return Found(running_pid, running_pid is not None and recorded == running_pid)


def remember(path: Path, pid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid}\n")


def forget(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()

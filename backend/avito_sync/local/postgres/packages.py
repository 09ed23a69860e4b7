"""Debian packages the local stack needs: detect what is missing and install it when allowed.

The decision (what to run, or what to tell the user) is pure and unit-tested; only
`ensure_packages` touches dpkg/apt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from avito_sync.local.postgres.errors import StackError

REQUIRED_PACKAGES: tuple[str, ...] = (
    "postgresql-15",
    "postgresql-client-15",
    "postgresql-15-cron",
    "postgresql-15-pgtap",
    "libtap-parser-sourcehandler-pgtap-perl",  # pg_prove: only a Recommends of pgtap
    "postgresql-15-plpgsql-check",
    "postgresql-15-wal2json",
    "postgresql-plpython3-15",
)
# Only for the browser test (`make test` installs it before pytest): Playwright drives this
# system browser and never downloads one of its own.
BROWSER_PACKAGES: tuple[str, ...] = ("chromium",)
BROWSER_BINARY = "/usr/bin/chromium"


def parse_installed(dpkg_output: str) -> frozenset[str]:
    """Names whose `dpkg-query -f '${Package} ${db:Status-Abbrev}\\n'` status is `ii`."""
    installed = set()
    for line in dpkg_output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("ii"):
            installed.add(parts[0].split(":")[0])
    return frozenset(installed)


def missing_packages(required: Iterable[str], installed: frozenset[str]) -> tuple[str, ...]:
    return tuple(name for name in required if name not in installed)


def install_commands(missing: Iterable[str]) -> list[list[str]]:
    wait_for_lock = ["-o", "DPkg::Lock::Timeout=300"]  # another apt may be running
    return [
        ["apt-get", *wait_for_lock, "update"],
        ["apt-get", *wait_for_lock, "install", "-y", "--no-install-recommends", *missing],
    ]


@dataclass(frozen=True)
class InstallPlan:
    """Either commands to run now (as root on Debian) or a message telling the user what to run."""

    commands: list[list[str]]
    refusal: str | None


def plan_install(missing: tuple[str, ...], *, is_root: bool, has_apt: bool) -> InstallPlan:
    if not missing:
        return InstallPlan(commands=[], refusal=None)
    commands = install_commands(missing)
    if is_root and has_apt:
        return InstallPlan(commands=commands, refusal=None)
    shown = " && ".join(("sudo " if has_apt else "") + " ".join(c) for c in commands)
    why = "not running as root" if has_apt else "apt-get is not available (not Debian/Ubuntu)"
    return InstallPlan(
        commands=[],
        refusal=f"missing Debian packages: {' '.join(missing)} ({why}); install them with:\n"
        f"  {shown}",
    )


def installed_packages(names: Iterable[str]) -> frozenset[str]:
    if shutil.which("dpkg-query") is None:
        return frozenset()
    result = subprocess.run(  # noqa: S603 - fixed program, package names are constants
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\n", *names],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return parse_installed(result.stdout)


def ensure_packages(required: tuple[str, ...] = REQUIRED_PACKAGES) -> tuple[str, ...]:
    """Install missing packages when root on Debian; return what was installed."""
    missing = missing_packages(required, installed_packages(required))
    plan = plan_install(
        missing, is_root=os.geteuid() == 0, has_apt=shutil.which("apt-get") is not None
    )
    if plan.refusal is not None:
        raise StackError("missing_packages", plan.refusal)
    if not plan.commands:
        return ()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in plan.commands:
        # apt's progress goes to stderr: stdout of `avito-sync db ...` is the URL, for scripts.
        done = subprocess.run(command, env=env, stdout=sys.stderr, check=False)  # noqa: S603
        if done.returncode != 0:
            raise StackError(
                "package_install_failed", f"`{' '.join(command)}` exited {done.returncode}"
            )
    still = missing_packages(required, installed_packages(required))
    if still:
        raise StackError("package_install_failed", f"still missing after install: {still}")
    return missing

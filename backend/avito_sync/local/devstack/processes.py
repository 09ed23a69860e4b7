"""Child processes of the dev stack: started one by one, each awaited until ready, all stopped
together (newest first) when the developer stops the stack or any of them dies."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from avito_sync.local.devstack.output import Output, compact
from avito_sync.local.devstack.ports import owns_listener

READY_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1


class ChildFailed(RuntimeError):
    """A child exited (or never became ready); the message carries its last output lines."""


def _die_with_parent() -> Callable[[], None]:
    """A pre-exec hook: Linux sends the child SIGTERM if the dev stack itself is killed."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return lambda: None
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    ready_line: str | None
    seen_ready: asyncio.Event = field(default_factory=asyncio.Event)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=20))
    pump: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def failure(self, what: str) -> ChildFailed:
        lines = "\n".join(f"  {compact(line)}" for line in self.tail)
        return ChildFailed(
            f"{self.name} {what}" + (f"; its last output:\n{lines}" if lines else "")
        )


class Supervisor:
    def __init__(self, output: Output, command: list[str]) -> None:
        self._output = output
        self._command = command
        self._preexec = _die_with_parent()
        self.children: list[Child] = []

    async def _spawn(
        self, name: str, args: list[str], env: dict[str, str], command: list[str] | None = None
    ) -> Child:
        process = await asyncio.create_subprocess_exec(
            *(self._command if command is None else command),
            *args,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches only us; we stop the children in order
            preexec_fn=self._preexec,
            limit=1 << 20,
        )
        return Child(name, process, None)

    async def _pump(self, child: Child) -> None:
        assert child.process.stdout is not None
        async for raw in child.process.stdout:
            text = raw.decode("utf-8", "replace").rstrip()
            child.tail.append(text)
            self._output.line(child.name, text)
            if child.ready_line is not None and child.ready_line in text:
                child.seen_ready.set()

    async def start(
        self,
        name: str,
        args: list[str],
        env: dict[str, str],
        *,
        ready_line: str | None = None,
        ready_check: Callable[[], Awaitable[bool]] | None = None,
        ready_within: float = READY_TIMEOUT_SECONDS,
        command: list[str] | None = None,
        listens_on: int | None = None,
    ) -> Child:
        """Start a long-running child and wait until it prints `ready_line` or passes the check
        (and, with `listens_on`, holds that port's listening socket itself); `command` replaces
        the `avito-sync` command (e.g. for Deno)."""
        child = await self._spawn(name, args, env, command)
        child.ready_line = ready_line
        child.pump = asyncio.create_task(self._pump(child))
        self.children.append(child)
        deadline = time.monotonic() + ready_within
        while True:
            if (
                child.seen_ready.is_set() or (ready_check is not None and await ready_check())
            ) and (listens_on is None or owns_listener(child.process.pid, listens_on)):
                return child
            if not child.running:
                await child.pump
                raise child.failure(f"exited with status {child.process.returncode}")
            if time.monotonic() > deadline:
                raise child.failure(f"was not ready after {ready_within:.0f} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(child.seen_ready.wait(), 0.2)

    async def run_once(self, name: str, args: list[str], env: dict[str, str]) -> None:
        """Run a one-shot command to completion; a non-zero status is a failure."""
        child = await self._spawn(name, args, env)
        child.pump = asyncio.create_task(self._pump(child))
        code = await child.process.wait()
        await child.pump
        if code != 0:
            raise child.failure(f"failed with status {code}")

    async def first_exit(self) -> Child:
        """The first long-running child to exit (they are all meant to run until stopped)."""
        waits = {asyncio.create_task(c.process.wait()): c for c in self.children}
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        child = waits[next(iter(done))]
        if child.pump is not None:
            await child.pump
        return child

    async def stop_all(self, grace_seconds: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM each child's process group, newest first; SIGKILL what outlives the grace."""
        for child in reversed(self.children):
            if child.running:
                _signal_group(child.process.pid, signal.SIGTERM)
                try:
                    await asyncio.wait_for(child.process.wait(), grace_seconds)
                except TimeoutError:
                    self._output.line(
                        child.name, f"did not stop within {grace_seconds:.0f} s: killed"
                    )
                    _signal_group(child.process.pid, signal.SIGKILL)
                    await child.process.wait()
            if child.pump is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(child.pump, 2)
        self.children.clear()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)

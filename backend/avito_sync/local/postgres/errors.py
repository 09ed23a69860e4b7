"""The one error type of the local stack: a stable code plus a message meant for a human."""

from __future__ import annotations


class StackError(Exception):
    """A failure the CLI reports as `error[<code>]: <message>` and exit status 1."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"error[{self.code}]: {self.message}"

"""Settings read from the environment: the checks every part shares, and one way to fail.

A bad variable fails the same way everywhere: one message naming each offending variable as
it is spelled in the environment, never echoing a value (a malformed secret must not reach a
terminal or a log), and commands exit with status 2 on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import BaseSettings

S = TypeVar("S", bound=BaseSettings)


class SettingsError(ValueError):
    """Invalid configuration; the message names every offending environment variable."""


def variable_name(model: type[BaseSettings], key: str) -> str:
    """The environment variable behind field (or alias) `key` of `model`."""
    info = model.model_fields.get(key)
    if info is None:
        return key  # pydantic reports an aliased field under its alias
    if isinstance(info.validation_alias, str):
        return info.validation_alias
    return str(model.model_config.get("env_prefix") or "") + key.upper()


def describe_validation_error(model: type[BaseSettings], error: ValidationError) -> str:
    """`NAME: problem` for each bad variable, joined by "; "."""
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        if item["type"] == "missing":
            problem = "is required but not set"
        else:
            problem = item["msg"].removeprefix("Value error, ")
        # A model-level check has no location; its message names the variables itself.
        problems.append(
            f"{variable_name(model, str(item['loc'][0]))}: {problem}" if item["loc"] else problem
        )
    return "; ".join(problems)


def load_settings(
    model: type[S], error: type[SettingsError], context: str = "", **overrides: Any
) -> S:
    """`model(**overrides)` read from the environment, or `error` describing what is wrong.

    The pydantic error is not chained: it may carry the rejected values.
    """
    try:
        return model(**overrides)
    except ValidationError as exc:
        message = describe_validation_error(model, exc)
    raise error(f"{context}: {message}" if context else message)


@contextmanager
def exit_on_settings_error(command: str) -> Iterator[None]:
    """Turn a `SettingsError` inside into `avito-sync COMMAND: ...` on stderr and exit 2."""
    try:
        yield
    except SettingsError as exc:
        typer.secho(f"avito-sync {command}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from None

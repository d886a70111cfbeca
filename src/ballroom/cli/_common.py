"""What every subcommand shares: turning ballroom errors into exit code 2 and one line."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from ballroom.errors import BallroomError, InvalidInput, MalformedDocument

P = ParamSpec("P")
R = TypeVar("R")

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    """Print one line on stderr and exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn any ``BallroomError`` into exit 2 with a one-line reason; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except BallroomError as error:
            where = f" [{error.field}]" if error.field else ""
            exit_code = EXIT_BAD_INPUT if isinstance(error, InvalidInput) else EXIT_CHECK_FAILED
            click.echo(f"error: {error.code}{where}: {error.message}", err=True)
            sys.exit(exit_code)
        except OSError as error:
            click.echo(
                f"error: {error.strerror or error}: {error.filename or ''}".rstrip(": "), err=True
            )
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


def read_json_file(path: Path) -> Any:
    """Parse a JSON file, naming the line and column of a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise MalformedDocument(f"{path}: not UTF-8 text ({error.reason})") from error
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as error:
        raise MalformedDocument(
            f"{path}: line {error.lineno} column {error.colno}: {error.msg}"
        ) from error


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON silently keeps the last of two equal keys; a judge keying twice must not vanish."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise MalformedDocument(
                f"key {key!r} appears twice in one object (a judge scoring twice?)", field=key
            )
        seen[key] = value
    return seen

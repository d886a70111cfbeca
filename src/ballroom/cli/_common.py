"""What every subcommand shares: turning ballroom errors into exit code 2 and one line."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import click

from ballroom.adapters.jsonfile import read_json_file
from ballroom.errors import BallroomError, InvalidInput

__all__ = ["fail", "read_json_file", "reports_errors"]

P = ParamSpec("P")
R = TypeVar("R")

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
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

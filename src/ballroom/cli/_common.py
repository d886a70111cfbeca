"""What every subcommand shares: turning ballroom errors into exit code 2 and one line, and
the collector settings of the commands that move many votes."""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, ParamSpec, TypeVar

import click

from ballroom.adapters.jsonfile import read_json_file
from ballroom.errors import BallroomError, InvalidInput

__all__ = [
    "GC_THRESHOLDS",
    "fail",
    "read_json_file",
    "reports_errors",
    "settle_heap",
    "settled_heap",
]

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
            where = f" [{error.filename}]" if error.filename else ""
            click.echo(f"error: invalid_input{where}: {error.strerror or error}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


GC_THRESHOLDS = (20_000, 20, 10)
"""Young-generation collections every 20,000 new objects instead of 700 (see settle_heap)."""


def settle_heap() -> None:
    """Keep the collector's full passes off the vote path of a long-running server.

    Everything alive once the server has started (modules, the app, the season, the vote
    state rebuilt from the log) is moved out of the collector's reach with ``gc.freeze()``,
    and young collections run less often. Full collections walked that whole heap every few
    seconds under load, and every ballot waiting then waited that long: they set the web
    path's p99 (benchmarks/README.md). Frozen objects are still freed by reference counting;
    only cycles among them are never collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@contextmanager
def settled_heap() -> Iterator[None]:
    """:func:`settle_heap` for a bulk job that returns (``ballroom import``, the ingest
    benchmark): the collector's thresholds are restored and the heap unfrozen after it."""
    previous = gc.get_threshold()
    settle_heap()
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()

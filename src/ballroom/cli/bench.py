"""``ballroom bench``: the benchmark drivers, which live in a source checkout, not in the package.

The drivers (``benchmarks/ballroom_bench``) load a scratch store, start servers and a load
generator, and compare against bare baselines (docs/interfaces.md §5). They are not part of an
installed product, so this group finds them beside the source tree it was imported from, or in
the current directory, and says plainly when neither is a checkout.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from ballroom.cli._common import fail
from ballroom.errors import NotFound

# Subcommand -> the module under benchmarks/ballroom_bench that defines it.
_DRIVERS = {"ingest": "ingest", "http": "http"}


def benchmarks_folder() -> Path | None:
    """The checkout's ``benchmarks`` folder: beside this source tree first, then in ``cwd``."""
    source_root = Path(__file__).resolve().parents[3]
    for root in (source_root, Path.cwd()):
        folder = root / "benchmarks"
        if (folder / "ballroom_bench" / "__init__.py").is_file():
            return folder
    return None


def _load(name: str) -> click.Command:
    folder = benchmarks_folder()
    if folder is None:
        raise NotFound(
            "ballroom bench runs from a source checkout: no benchmarks/ballroom_bench "
            "beside the installed package or in the current directory",
            field="benchmarks",
        )
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    module = importlib.import_module(f"ballroom_bench.{_DRIVERS[name]}")
    command = getattr(module, name)
    assert isinstance(command, click.Command)
    return command


class _CheckoutCommands(click.Group):
    """Lists the drivers without importing them; imports one only when it is run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_DRIVERS) if benchmarks_folder() is not None else []

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _DRIVERS:
            return None
        try:
            return _load(cmd_name)
        except NotFound as error:
            fail(f"{error.code} [{error.field}]: {error.message}")


@click.group("bench", cls=_CheckoutCommands)
def bench() -> None:
    """Benchmarks that print one JSON object (docs/interfaces.md §5); run from a checkout."""

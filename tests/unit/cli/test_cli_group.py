"""The ``ballroom`` group: subcommands load on first use, and every error is one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ballroom.cli import COMMANDS, main


def test_help_lists_every_command_without_importing_any() -> None:
    # A fresh interpreter: `ballroom --help` must not pay for importing the whole product.
    script = (
        "import sys\n"
        "from ballroom.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('ballroom.')\n"
        "                and m not in ('ballroom.cli',))\n"
        "print('LOADED', loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "LOADED []" in done.stdout
    for name in COMMANDS:
        assert f"  {name} " in done.stdout


def test_every_lazy_entry_loads_its_command() -> None:
    ctx = click.Context(main)
    for name, entry in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command), name
        for child, _ in entry.children:
            assert isinstance(command, click.Group)
            assert child in command.commands


@pytest.mark.parametrize(
    "args",
    [
        ["import", "nope.csv"],
        ["verify", "no-such-folder"],
        ["results", "nope.json"],
        ["export", "--window", "s34w04"],
        ["results", "--format", "xml", "x.json"],
        ["season", "show", "--bogus"],
        ["no-such-command"],
    ],
)
def test_usage_errors_are_one_line_exit_2(args: list[str], tmp_path: Path) -> None:
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 2, outcome.output
    lines = outcome.output.strip().splitlines()
    assert len(lines) == 1, outcome.output
    assert lines[0].startswith("error: ")
    assert "Usage:" not in outcome.output


def test_a_missing_file_reads_the_same_in_import_and_verify() -> None:
    first = CliRunner().invoke(main, ["import", "nope.csv"]).output.strip()
    second = CliRunner().invoke(main, ["verify", "nope"]).output.strip()
    assert first == "error: invalid_input [VOTES]: nope.csv: no such file"
    assert second == "error: invalid_input [EXPORT_DIR]: nope: no such folder"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_answers_help(name: str) -> None:
    outcome = CliRunner(env={"COLUMNS": "80"}).invoke(main, [name, "--help"], prog_name="ballroom")
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.startswith(f"Usage: ballroom {name}")

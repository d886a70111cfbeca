"""The ``ballroom`` command.

Each subcommand lives in its own module beside this one and is imported only when it runs
(``ballroom --help`` imports none of them: the table below carries their one-line help).
Errors look the same in every command: one line on stderr, ``error: CODE [FIELD]: reason``,
exit 2 for bad input (click's own usage errors included) and 1 for a failed check.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

import click

from ballroom import __version__


class Lazy(NamedTuple):
    """Where a subcommand lives, its one-line help, and lazy subcommands of its own."""

    target: str
    """``module:attribute`` of the click command."""
    summary: str
    children: tuple[tuple[str, str], ...] = ()
    """``(name, "module:attribute")`` commands added to this group when it is loaded."""


COMMANDS: dict[str, Lazy] = {
    "demo": Lazy("ballroom.cli.demo:demo", "Replay Season 34 and rehearse a night."),
    "results": Lazy(
        "ballroom.cli.results:results", "Compute one night's standings from a request."
    ),
    "season": Lazy("ballroom.cli.season:season", "Validate a season file, or show a season."),
    "import": Lazy("ballroom.cli.votes:import_votes", "Import a vote log through the vote rules."),
    "export": Lazy("ballroom.cli.votes:export_votes", "Export a night's vote log and its proof."),
    "verify": Lazy("ballroom.cli.votes:verify", "Recount an exported night and check its chain."),
    "bench": Lazy("ballroom.cli.bench:bench", "Benchmarks that print one JSON object."),
    "serve": Lazy("ballroom.cli.serve:serve", "Run the live service: API and pages."),
    "users": Lazy("ballroom.cli.serve:users", "Producer and judge accounts."),
    "outbox": Lazy("ballroom.cli.serve:outbox", "Show the development mail outbox."),
    "sms": Lazy("ballroom.cli.serve:sms", "The SMS aggregator's access."),
    "integrity": Lazy(
        "ballroom.cli.integrity:integrity", "Find abuse and campaigns in a vote log."
    ),
    "simulate": Lazy("ballroom.cli.simulate:simulate", "Generate a simulated night's vote log."),
}


def load(target: str) -> click.Command:
    """The click command at ``module:attribute``."""
    module, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    assert isinstance(command, click.Command), target
    return command


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, and whose errors are one line."""

    def __init__(self, *args: Any, lazy: dict[str, Lazy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            entry = self.lazy[cmd_name]
            command = load(entry.target)
            if isinstance(command, click.Group):
                for name, target in entry.children:
                    if name not in command.commands:
                        command.add_command(load(target), name)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the table, so that ``--help`` imports no command module."""
        rows = [(name, self.lazy[name].summary) for name in sorted(self.lazy)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            outcome = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as error:
            click.echo(usage_line(error), err=True)
            sys.exit(2)
        except click.ClickException as error:
            click.echo(f"error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(outcome if isinstance(outcome, int) else 0)


def usage_line(error: click.UsageError) -> str:
    """Click's usage error as the one line every ballroom error is."""
    field = ""
    if isinstance(error, click.BadParameter) and error.param is not None:
        param = error.param
        name = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
        field = f" [{name}]"
    message = " ".join(error.format_message().split())
    command = error.ctx.command_path if error.ctx is not None else "ballroom"
    return f"error: invalid_input{field}: {message} (see '{command} --help')"


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="ballroom")
def main() -> None:
    """Run a judged competition with a capped public vote, and prove the count.

    Start with `ballroom demo` (replays Season 34 on simulated votes) or
    `ballroom results NIGHT.json` (one night's standings under any rule set).
    """

"""The ``ballroom`` command.

Each subcommand lives in its own module beside this one; this module only assembles them.
Errors from the one hierarchy become exit code 2 with a one-line reason on stderr.
"""

from __future__ import annotations

import click

from ballroom import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ballroom")
def main() -> None:
    """Run a judged competition with a capped public vote, and prove the count.

    Start with `ballroom demo` (replays Season 34 on simulated votes) or
    `ballroom results NIGHT.json` (one night's standings under any rule set).
    """


def _register() -> None:
    # Imported here, not at the top, so each command module may import from this package.
    from ballroom.cli.bench import bench
    from ballroom.cli.demo import demo
    from ballroom.cli.integrity import integrity
    from ballroom.cli.results import results
    from ballroom.cli.season import season
    from ballroom.cli.serve import outbox, serve, sms, users
    from ballroom.cli.simulate import simulate
    from ballroom.cli.votes import export_votes, import_votes, verify

    main.add_command(demo)
    main.add_command(results)
    main.add_command(season)
    main.add_command(import_votes)
    main.add_command(export_votes)
    main.add_command(verify)
    main.add_command(bench)
    main.add_command(serve)
    main.add_command(users)
    main.add_command(outbox)
    main.add_command(sms)
    main.add_command(integrity)
    main.add_command(simulate)


_register()

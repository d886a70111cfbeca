"""``ballroom results FILE.json``: one night's standings (docs/interfaces.md §1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.table import Table

from ballroom.adapters.results_request import parse_request, schema_text
from ballroom.cli._common import read_json_file, reports_errors
from ballroom.domain.night import NightResult
from ballroom.domain.rules import RULE_SET_NAMES, compute
from ballroom.domain.rules.skating import SkatingRequest, SkatingResult, place_final
from ballroom.errors import MissingField


@click.command()
@click.argument(
    "request_file",
    metavar="FILE.json",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=False,
)
@click.option(
    "--rules",
    type=click.Choice(RULE_SET_NAMES),
    default=None,
    help="Rule set to apply; overrides the file's own `rules` field.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "table"]),
    default="json",
    show_default=True,
    help="JSON as in docs/interfaces.md §1, or a readable table with who goes and why.",
)
@click.option(
    "--schema",
    "print_schema",
    is_flag=True,
    help="Print the JSON Schema that every request is checked against, and exit.",
)
@reports_errors
def results(
    request_file: Path | None, rules: str | None, output_format: str, print_schema: bool
) -> None:
    """Compute one night's standings from a self-contained request.

    FILE.json holds the couples, the judges (and any judge absent all night), every dance's
    scores from every judge present, bonus points, every couple's viewer votes and anything
    carried from a week without elimination; the skating rule set takes each judge's places
    (marks) instead (docs/interfaces.md §1, `--schema`). A request that is incomplete or has
    a field the format does not know is never computed: exit 2 with a one-line reason.
    """
    if print_schema:
        click.echo(schema_text(), nl=False)
        return
    if request_file is None:
        raise MissingField("give the request file FILE.json (or --schema)", field="FILE.json")
    request = parse_request(read_json_file(request_file), rules=rules)
    if isinstance(request, SkatingRequest):
        _emit_skating(place_final(request), output_format)
        return
    _emit_night(compute(request), output_format)


def _emit_night(result: NightResult, output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    console = Console()
    console.print(night_table(result))
    for tie in result.ties:
        console.print(f"[bold yellow]Unresolved tie:[/] {', '.join(tie)}")
    for line in result.explanation:
        console.print(f"• {line}")


def night_table(result: NightResult) -> Table:
    """The standings in 80 columns: who goes home is a word in the last column, never cut."""
    table = Table(title=f"Standings ({result.rules})", box=box.SIMPLE_HEAD, pad_edge=False)
    rank_points = [
        name for name in ("judges_rank_points", "vote_rank_points") if _has(result, name)
    ]
    table.add_column("#", justify="right")
    table.add_column("Couple", overflow="fold")
    table.add_column("Judges", justify="right")
    if not rank_points:
        table.add_column("J %", justify="right")
    table.add_column("Votes", justify="right")
    if not rank_points:
        table.add_column("V %", justify="right")
    for name in rank_points:
        table.add_column("J rank" if name.startswith("judges") else "V rank", justify="right")
    table.add_column("Total", justify="right")
    table.add_column("", no_wrap=True)
    for standing in result.standings:
        status = ""
        if standing.couple in result.eliminated:
            status = "[bold red]goes home[/]"
        elif standing.couple in result.bottom:
            status = "[yellow]bottom[/]"
        shares = [] if rank_points else [f"{standing.judges_share:.1%}"]
        votes_share = [] if rank_points else [f"{standing.vote_share:.1%}"]
        table.add_row(
            str(standing.place),
            standing.couple,
            f"{standing.judges_points:g}",
            *shares,
            f"{standing.votes:,}",
            *votes_share,
            *(f"{standing.extra.get(name, 0):g}" for name in rank_points),
            f"{standing.combined:.4g}",
            status,
        )
    return table


def _has(result: NightResult, name: str) -> bool:
    return any(name in standing.extra for standing in result.standings)


def _emit_skating(result: SkatingResult, output_format: str) -> None:
    body: dict[str, Any] = result.as_dict()
    if output_format == "json":
        click.echo(json.dumps(body, indent=2))
        return
    console = Console()
    dances = list(body["dance_places"])
    table = Table(title="Skating System: final placings", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Place", justify="right")
    table.add_column("Couple", overflow="fold")
    for dance in dances:
        table.add_column(dance, justify="right", overflow="fold")
    final = body["final_places"]
    for couple in sorted(final, key=lambda name: (final[name], name)):
        table.add_row(
            f"{final[couple]:g}",
            couple,
            *(f"{body['dance_places'][dance][couple]:g}" for dance in dances),
        )
    console.print(table)
    for line in body.get("explanation", []):
        console.print(f"• {line}")

"""``ballroom results FILE.json``: one night's standings (docs/interfaces.md §1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ballroom.cli._common import read_json_file, reports_errors
from ballroom.domain.night import Night, NightResult
from ballroom.domain.rules import RULE_SET_NAMES, compute
from ballroom.domain.rules.skating import SkatingRequest, SkatingResult, place_final
from ballroom.errors import WrongType


@click.command()
@click.argument("request_file", metavar="FILE.json", type=click.Path(path_type=Path))
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
@reports_errors
def results(request_file: Path, rules: str | None, output_format: str) -> None:
    """Compute one night's standings from a self-contained request.

    FILE.json holds the couples, judges, every dance's keyed scores, bonus points, viewer
    votes and anything carried from a week without elimination (see docs/interfaces.md §1).
    Exits 2 with a one-line reason naming the field on any bad input.
    """
    data = read_json_file(request_file)
    if not isinstance(data, dict):
        raise WrongType("the request must be a JSON object", field="$")
    rules_name = rules or data.get("rules")
    if rules_name == "skating":
        skating = place_final(SkatingRequest.from_mapping(data))
        _emit_skating(skating, output_format)
        return
    night = Night.from_mapping(data, rules=rules)
    _emit_night(compute(night), output_format)


def _emit_night(result: NightResult, output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    console = Console()
    table = Table(title=f"Standings — rules: {result.rules}")
    extra_columns = _extra_columns(result)
    table.add_column("Place", justify="right")
    table.add_column("Couple")
    table.add_column("Judges", justify="right")
    table.add_column("Judges %", justify="right")
    table.add_column("Votes", justify="right")
    table.add_column("Votes %", justify="right")
    for name in extra_columns:
        table.add_column(name.replace("_", " ").capitalize(), justify="right")
    table.add_column("Combined", justify="right")
    table.add_column("")
    for standing in result.standings:
        status = ""
        if standing.couple in result.eliminated:
            status = "[bold red]eliminated[/]"
        elif standing.couple in result.bottom:
            status = "[yellow]bottom[/]"
        table.add_row(
            str(standing.place),
            standing.couple,
            f"{standing.judges_points:g}",
            f"{standing.judges_share:.2%}",
            f"{standing.votes:,}",
            f"{standing.vote_share:.2%}",
            *(f"{standing.extra.get(name, 0):g}" for name in extra_columns),
            f"{standing.combined:.4g}",
            status,
        )
    console.print(table)
    for tie in result.ties:
        console.print(f"[bold yellow]Unresolved tie:[/] {', '.join(tie)}")
    for line in result.explanation:
        console.print(f"• {line}")


def _extra_columns(result: NightResult) -> list[str]:
    names: list[str] = []
    for standing in result.standings:
        names.extend(name for name in standing.extra if name not in names)
    return names


def _emit_skating(result: SkatingResult, output_format: str) -> None:
    body: dict[str, Any] = result.as_dict()
    if output_format == "json":
        click.echo(json.dumps(body, indent=2))
        return
    console = Console()
    dances = list(body["dance_places"])
    table = Table(title="Skating System — final placings")
    table.add_column("Place", justify="right")
    table.add_column("Couple")
    for dance in dances:
        table.add_column(dance, justify="right")
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

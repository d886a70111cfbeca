"""``ballroom season``: check a season file, or show a season week by week."""

from __future__ import annotations

from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.table import Table

from ballroom.cli._common import fail, reports_errors
from ballroom.domain.season import JudgeRole, Season, Week
from ballroom.domain.weeks import known_points, max_points
from ballroom.errors import InvalidInput
from ballroom.seasons import bundled_season34, load_season


@click.group()
def season() -> None:
    """Season files: validate one, or show a season (the bundled Season 34 by default)."""


def _load(path: Path | None) -> Season:
    """Load a season; a bad file exits 2 with ``FILE:LINE: field: problem``."""
    try:
        return bundled_season34() if path is None else load_season(path)
    except InvalidInput as error:
        # The message already names the file, line and field; nothing to add.
        fail(error.message)


@season.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@reports_errors
def validate(file: Path) -> None:
    """Check a season FILE (.toml, .yaml or .yml); exit 2 naming the line of any problem."""
    loaded = _load(file)
    regular = sum(1 for judge in loaded.judges if judge.role is JudgeRole.REGULAR)
    guests = len(loaded.judges) - regular
    guest_note = f" (+{guests} guest judge{'s' if guests != 1 else ''})" if guests else ""
    click.echo(
        f"ok: {loaded.id} — {len(loaded.couples)} couples, {len(loaded.weeks)} weeks, "
        f"{regular} judges{guest_note}"
    )


@season.command()
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@reports_errors
def show(file: Path | None) -> None:
    """Show a season week by week (default: the bundled Season 34)."""
    loaded = _load(file)
    console = Console(soft_wrap=False)
    console.print(_cast_table(loaded))
    console.print(_weeks_table(loaded))
    console.print("[bold]Published judges' points[/] (bonus included where there was one)")
    for week in loaded.weeks:
        known = _known(loaded, week)
        console.print(
            f"Week {week.number} (out of {max_points(loaded, week):g}): {known or 'none published'}"
        )
    console.print("Scores not listed were never published; a replay simulates them.", style="dim")


def _cast_table(loaded: Season) -> Table:
    table = Table(
        title=f"{loaded.name} ({loaded.id}): couples",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title_justify="left",
    )
    table.add_column("Id", no_wrap=True)
    table.add_column("Celebrity", overflow="fold")
    table.add_column("Professional", overflow="fold")
    table.add_column("Keyword", no_wrap=True)
    table.add_column("Left", no_wrap=True)
    left = {couple: week.number for week in loaded.weeks for couple in week.eliminated}
    final = loaded.weeks[-1].final_order
    for couple in loaded.couples:
        if couple.id in left:
            outcome = f"week {left[couple.id]}"
        elif couple.id in final:
            outcome = f"place {final.index(couple.id) + 1}"
        else:
            outcome = ""
        table.add_row(couple.id, couple.celebrity, couple.professional, couple.keyword, outcome)
    return table


def _weeks_table(loaded: Season) -> Table:
    """Fits 80 columns: long cells wrap, none is cut (the result column least of all)."""
    example = loaded.window_id(loaded.weeks[0]) if loaded.weeks else ""
    table = Table(
        title="Weeks",
        caption=f"Each week's voting window is the season id, w and the week ({example}).",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Date", no_wrap=True)
    table.add_column("Theme", overflow="fold", ratio=2)
    table.add_column("Panel", overflow="fold", ratio=2)
    table.add_column("Result", overflow="fold", ratio=4)
    for week in loaded.weeks:
        panel = ", ".join(loaded.judge(j).name.split()[-1] for j in week.judges)
        table.add_row(
            str(week.number),
            week.date.isoformat() if week.date else "",
            week.theme,
            panel,
            _result(loaded, week),
        )
    return table


def _result(loaded: Season, week: Week) -> str:
    if week.final_order:
        return "; ".join(
            f"{place}. {loaded.couple(c).celebrity}"
            for place, c in enumerate(week.final_order, start=1)
        )
    if week.eliminated:
        out = "out: " + ", ".join(loaded.couple(c).celebrity for c in week.eliminated)
        if week.bottom:
            out += " (bottom: " + ", ".join(loaded.couple(c).celebrity for c in week.bottom) + ")"
        return out
    if week.carry_over:
        return "no elimination; carries over"
    return "no elimination" if week.eliminate == 0 else "unknown"


def _known(loaded: Season, week: Week) -> str:
    top = max_points(loaded, week)
    parts = []
    for couple, points in known_points(loaded, week).items():
        bonus = week.bonus.get(couple, 0.0)
        if points is None:
            # The bonus is real even when the dance's score was never published.
            if bonus:
                parts.append(f"{couple} +{bonus:g} bonus")
            continue
        extra = f" incl. +{bonus:g} bonus" if bonus else ""
        parts.append(f"{couple} {points:g}/{top:g}{extra}")
    return ", ".join(parts)

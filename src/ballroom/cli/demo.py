"""``ballroom demo``: replay the bundled Season 34 with simulated electorates; write a report.

Needs no server and no network. Real judges' scores are used wherever they are known; every
unknown score and every vote is simulated, and labelled so in the tables, the JSON summary
and the HTML report.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ballroom.cli._common import reports_errors
from ballroom.seasons import bundled_season34
from ballroom.services.replay import (
    RULE_SETS,
    ReplayConfig,
    SeasonReplay,
    WeekOutcome,
    replay_season,
)
from ballroom.web.report import write_report

DEFAULT_REPORT = Path("ballroom-report.html")
SHORT_RULES = {"dwts-judges-save": "save", "strictly": "strict", "skating": "skate"}


@click.command()
@click.option(
    "--seed",
    type=int,
    default=34,
    show_default=True,
    help="Seed of every simulated number; the same seed gives the same replay.",
)
@click.option(
    "--electorates",
    "-n",
    type=int,
    default=200,
    show_default=True,
    help="How many simulated electorates to replay the season with.",
)
@click.option(
    "--rules",
    "rule_sets",
    multiple=True,
    type=click.Choice(RULE_SETS),
    help="Rule set to compare (repeat for several; default: all four).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_REPORT,
    show_default=True,
    help="Where to write the HTML report.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the replay's JSON summary on stdout instead of the tables.",
)
@click.option("--no-report", is_flag=True, help="Do not write the HTML report.")
@reports_errors
def demo(
    *,
    seed: int,
    electorates: int,
    rule_sets: tuple[str, ...],
    out: Path,
    as_json: bool,
    no_report: bool,
) -> None:
    """Replay Season 34 week by week under every rule set, with simulated electorates.

    Every week the real cast dances with the real judges' scores where known (unknown scores
    simulated, marked sim); votes come from N simulated electorates. Prints each week's
    standings for electorate #1, then how often each rule set reproduces the real
    eliminations, and writes a self-contained HTML report.
    """
    config = ReplayConfig(seed=seed, electorates=electorates, rule_sets=rule_sets or RULE_SETS)
    config.check()
    season = bundled_season34()
    err = Console(stderr=True)
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]simulated electorates"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("replay", total=config.electorates)
        replay = replay_season(
            season, config, progress=lambda done, _total: progress.update(task, completed=done)
        )
    elapsed = time.perf_counter() - started
    if as_json:
        click.echo(json.dumps(replay.summary(), sort_keys=True, indent=2))
    else:
        console = Console(soft_wrap=False)
        for week in replay.showcase:
            console.print(_week_table(replay, week))
        console.print(_reproduction_table(replay))
        console.print(
            "Votes are simulated (no per-couple counts are published); 'sim' marks simulated "
            "judges' points. Judges' save and skating decisions follow the documented "
            "simulated rules (see the report).",
            style="dim",
        )
    if not no_report:
        write_report(replay, out)
        err.print(f"report written to {out}")
    err.print(
        f"{config.electorates} electorates x {len(replay.showcase)} weeks x "
        f"{len(config.rule_sets)} rule sets in {elapsed:.1f} s (seed {config.seed})",
        style="dim",
    )


def _week_table(replay: SeasonReplay, week: WeekOutcome) -> Table:
    volume = f"{week.volume:,} votes " + ("(published)" if week.volume_published else "(simulated)")
    flags = []
    if week.carry_over:
        flags.append("no elimination: scores and votes carry into next week")
    if week.bonus:
        flags.append("bonus " + ", ".join(f"{c} +{v:g}" for c, v in week.bonus.items()))
    carried = any(line.carried_points or line.carried_votes for line in week.lines)
    if carried:
        flags.append("(+n) = carried from last week")
    caption_bits = [volume, *flags]
    if week.real_eliminated:
        caption_bits.append(
            "really eliminated: " + ", ".join(_celebrity(replay, c) for c in week.real_eliminated)
        )
    if week.real_final_order:
        caption_bits.append(
            "real placing: " + " > ".join(_celebrity(replay, c) for c in week.real_final_order)
        )
    rule_names = " ".join(SHORT_RULES.get(r, r) for r in week.outcomes)
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title=f"Week {week.number}: {week.theme} (out of {week.max_points:g}) — electorate #1",
        caption="; ".join(caption_bits),
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Couple", min_width=8)
    table.add_column("Judges", justify="right", no_wrap=True)
    table.add_column("Votes (sim)", justify="right", no_wrap=True)
    table.add_column("J %", justify="right", no_wrap=True)
    table.add_column("V %", justify="right", no_wrap=True)
    table.add_column("Comb.", justify="right", no_wrap=True)
    if week.finale:
        table.add_column(f"Place ({rule_names})")
    elif week.eliminate:
        table.add_column("Out under", min_width=6)
    table.add_column("Real", no_wrap=True, min_width=4)
    for line in week.lines:
        points = f"{line.points:g}" if line.points_known else f"{line.points:g} [yellow]sim[/]"
        votes = f"{line.votes / 1e6:.2f}M"
        if carried:
            points += f"\n(+{line.carried_points:g})"
            votes += f"\n(+{line.carried_votes / 1e6:.2f}M)"
        cells = [
            str(line.place),
            _celebrity(replay, line.couple),
            points,
            votes,
            f"{100 * line.judges_share:.1f}",
            f"{100 * line.vote_share:.1f}",
            f"{line.combined:.3f}",
        ]
        if week.finale:
            cells.append(
                " ".join(str(o.order.index(line.couple) + 1) for o in week.outcomes.values())
            )
        elif week.eliminate:
            cells.append(_out_under(line.couple, week))
        cells.append(_really(line.couple, week))
        table.add_row(*cells)
    return table


def _out_under(couple: str, week: WeekOutcome) -> str:
    """The rule sets that send ``couple`` home tonight ("all" when every one does)."""
    out = [name for name, o in week.outcomes.items() if couple in o.eliminated]
    if out and len(out) == len(week.outcomes) and len(out) > 1:
        return "[bold red]all[/]"
    return "[red]" + " ".join(SHORT_RULES.get(name, name) for name in out) + "[/]" if out else ""


def _celebrity(replay: SeasonReplay, couple: str) -> str:
    return replay.names[couple].split(" & ")[0]


def _really(couple: str, week: WeekOutcome) -> str:
    if week.finale and couple in week.real_final_order:
        place = week.real_final_order.index(couple) + 1
        return "[bold]winner[/]" if place == 1 else f"#{place}"
    if couple in week.real_eliminated:
        return "[bold red]out[/]"
    if couple in week.real_bottom:
        return "bottom"
    return ""


def _reproduction_table(replay: SeasonReplay) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title=f"How often the real result is reproduced ({replay.config.electorates} simulated "
        f"electorates, seed {replay.config.seed})",
        title_justify="left",
    )
    table.add_column("Night")
    table.add_column("Really")
    for rep in replay.reproduction:
        table.add_column(SHORT_RULES.get(rep.rules, rep.rules), justify="right")
    by_week = {week.number: week for week in replay.showcase}
    for number in sorted({w for rep in replay.reproduction for w in rep.weeks}):
        week = by_week[number]
        table.add_row(
            f"Week {number}: {week.theme}",
            ", ".join(_celebrity(replay, c) for c in week.real_eliminated),
            *(f"{100 * rep.weeks[number]:.0f}%" for rep in replay.reproduction),
        )
    finale = next((week for week in replay.showcase if week.finale), None)
    order = finale.real_final_order if finale else ()
    rows = (
        ("Every elimination", "", "all_eliminations"),
        ("Finale winner", _celebrity(replay, order[0]) if order else "", "winner"),
        ("Finale placing", " > ".join(_celebrity(replay, c) for c in order), "final_order"),
        ("Whole real order", "eliminations + placing", "whole_order"),
    )
    for label, real, attribute in rows:
        table.add_row(
            f"[bold]{label}[/]",
            real,
            *(f"{100 * getattr(rep, attribute):.0f}%" for rep in replay.reproduction),
        )
    return table

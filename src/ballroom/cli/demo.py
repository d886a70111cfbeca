"""``ballroom demo``: replay the bundled Season 34 with simulated electorates, rehearse one live
night on the embedded vote store, and write a report.

Needs no server and no network. Real judges' scores are used wherever they are known; every
unknown score and every vote is simulated, and labelled so in the tables, the JSON summary
and the HTML report. The rehearsal (``ballroom.services.rehearsal``) plays Disney Night
through the real vote store (SQLite in a temporary folder unless ``--db`` names one),
export, verification and integrity analysis.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ballroom.cli._common import EXIT_CHECK_FAILED, reports_errors
from ballroom.seasons import bundled_season34
from ballroom.services.rehearsal import (
    DEFAULT_VOTERS,
    Rehearsal,
    RehearsalConfig,
    check_fresh_store,
    rehearse,
)
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
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Print every week's table, the reproduction table and the rehearsal in full "
    "(the report has them all either way).",
)
@click.option("--no-report", is_flag=True, help="Do not write the HTML report.")
@click.option(
    "--no-rehearsal", is_flag=True, help="Skip the live-night rehearsal on the vote store."
)
@click.option(
    "--rehearsal-voters",
    type=int,
    default=DEFAULT_VOTERS,
    show_default=True,
    help="Organic voters in the rehearsal's simulated electorate.",
)
@click.option(
    "--db",
    "db_url",
    default=None,
    help="Keep the rehearsal's vote store at this database URL (default: a temporary "
    "SQLite file). It must not hold Disney Night already.",
)
@reports_errors
def demo(
    *,
    seed: int,
    electorates: int,
    rule_sets: tuple[str, ...],
    out: Path,
    as_json: bool,
    verbose: bool,
    no_report: bool,
    no_rehearsal: bool,
    rehearsal_voters: int,
    db_url: str | None,
) -> None:
    """Replay Season 34 week by week under every rule set, with simulated electorates, then
    rehearse Disney Night live on the vote store.

    Every week the real cast dances with the real judges' scores where known (unknown scores
    simulated, marked sim); votes come from N simulated electorates. Prints a short summary
    (how often each rule set reproduces the real eliminations, the rehearsal's outcome) and
    where the report is; --verbose prints each week's standings for electorate #1 too.

    The rehearsal generates a simulated electorate for Disney Night (organic fans, duplicate-
    account farms, a bot burst, an all-but-one campaign against Hilaria), imports it into a
    fresh vote store under the live caps, computes the night from the store's tallies,
    exports and verifies it, and runs the integrity analysis against the ground truth.

    Writes a self-contained HTML report; the rehearsal's export and JSON files go beside it
    in a folder named after the report (REPORT-rehearsal/).
    """
    config = ReplayConfig(seed=seed, electorates=electorates, rule_sets=rule_sets or RULE_SETS)
    config.check()
    rehearsal_config = RehearsalConfig(seed=seed, voters=rehearsal_voters)
    if not no_rehearsal:
        rehearsal_config.check()
        if db_url is not None:
            check_fresh_store(db_url)  # before the replay: a bad --db should fail at once
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
    rehearsal: Rehearsal | None = None
    if not no_rehearsal:
        folder = None if no_report else out.with_name(f"{out.stem}-rehearsal")
        with ExitStack() as stack:
            step = None
            if err.is_terminal and not as_json:  # a spinner only where someone watches it
                status = stack.enter_context(err.status("rehearsal", spinner="dots"))
                step = lambda text: status.update(f"rehearsal: {text}")  # noqa: E731
            rehearsal = rehearse(season, rehearsal_config, folder=folder, db_url=db_url, step=step)
    if as_json:
        summary = replay.summary()
        if rehearsal is not None:
            summary["rehearsal"] = rehearsal.summary()
        click.echo(json.dumps(summary, sort_keys=True, indent=2))
    elif verbose:
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
        if rehearsal is not None:
            _print_rehearsal(console, rehearsal)
    else:
        for line in _summary_lines(replay, rehearsal, elapsed):
            click.echo(line)
    if not no_report:
        write_report(replay, out, rehearsal)
        if not as_json:
            click.echo(f"Report: {out}" + ("" if verbose else "  (details: --verbose)"))
            if rehearsal is not None and rehearsal.folder is not None:
                click.echo(f"Rehearsal export and JSON: {rehearsal.folder}")
    if verbose:
        err.print(
            f"{config.electorates} electorates x {len(replay.showcase)} weeks x "
            f"{len(config.rule_sets)} rule sets in {elapsed:.1f} s (seed {config.seed})",
            style="dim",
        )
    if rehearsal is not None:
        if verbose:
            ingest = rehearsal.ingest
            err.print(
                f"rehearsal: {ingest.summary.ballots:,} ballots ingested in "
                f"{ingest.seconds:.1f} s ({ingest.ballots_per_s:,.0f} ballots/s, "
                f"{ingest.rows_per_s:,.0f} rows/s)",
                style="dim",
            )
        if not rehearsal.ok:
            click.echo(f"error: rehearsal check failed: {'; '.join(rehearsal.problems)}", err=True)
            raise SystemExit(EXIT_CHECK_FAILED)


def _summary_lines(replay: SeasonReplay, rehearsal: Rehearsal | None, elapsed: float) -> list[str]:
    """What the demo found, in a few lines of at most 80 characters."""
    config = replay.config
    lines = [
        f"Season 34 replayed: {len(replay.showcase)} weeks, {config.electorates} simulated "
        f"electorates, seed {config.seed} ({elapsed:.1f} s).",
        "How often each rule set reproduces what really happened:",
    ]
    finale = next((week for week in replay.showcase if week.finale), None)
    winner = finale.real_final_order[0] if finale and finale.real_final_order else None
    rows = [("every real elimination", "all_eliminations")]
    if winner is not None:
        rows.append((f"the winner, {_celebrity(replay, winner)}", "winner"))
    for label, attribute in rows:
        shares = ", ".join(
            f"{SHORT_RULES.get(rep.rules, rep.rules)} {100 * getattr(rep, attribute):.0f}%"
            for rep in replay.reproduction
        )
        lines.append(f"  {label}: {shares}")
    if rehearsal is None:
        return lines
    summary = rehearsal.ingest.summary
    names = rehearsal.names
    lines.append(
        f"{rehearsal.theme} rehearsed: {summary.ballots:,} ballots, "
        f"{summary.accepted:,} accepted, {summary.refused:,} refused."
    )
    tonight = ", ".join(_name(names, c) for c in rehearsal.result.eliminated) or "nobody"
    really = ", ".join(_name(names, c) for c in rehearsal.real_eliminated) or "nobody"
    lines.append(f"  Goes home on simulated votes: {tonight} (really: {really}).")
    checks = rehearsal.verification
    if checks.ok:
        lines.append(f"  Export verified: {checks.entries:,} ballots, chain root")
        lines.append(f"  {checks.root}.")
    else:
        lines.append(f"  Verification FAILED: {checks.message}")
    found = rehearsal.integrity
    lines.append(
        f"  Integrity: {found.flagged:,} of {found.voters:,} voters flagged (precision "
        f"{100 * found.precision:.0f}%, recall {100 * found.recall:.0f}%)."
    )
    for campaign in found.campaigns_found:
        lines.append(
            f"  Campaign against {_name(names, campaign['target'])}: "
            f"{campaign['voters']:,} voters, reported, not flagged."
        )
    return lines


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


def _print_rehearsal(console: Console, rehearsal: Rehearsal) -> None:
    """The rehearsal in a few lines: ingest, results, verification, integrity."""
    ingest = rehearsal.ingest
    summary = ingest.summary
    planted = rehearsal.planted
    config = rehearsal.config
    console.print(
        f"[bold]Live-night rehearsal: Week {rehearsal.week}, {rehearsal.theme} "
        f"({rehearsal.window}) on the vote store[/] — [yellow]simulated votes[/], "
        f"{config.voters:,} organic voters, seed {config.seed}"
    )
    refused = ", ".join(f"{code} {n:,}" for code, n in sorted(summary.refused_by_code.items()))
    console.print(
        f"ingest: {ingest.rows:,} rows, {summary.ballots:,} ballots in {ingest.seconds:.1f} s "
        f"({ingest.ballots_per_s:,.0f} ballots/s); accepted {summary.accepted:,}, refused "
        f"{summary.refused:,}{f' ({refused})' if refused else ''}; planted: "
        f"{planted.over_cap_texts} over-cap texts, {planted.late_ballots} late ballots"
    )
    console.print(_rehearsal_table(rehearsal))
    checks = rehearsal.verification
    if checks.ok:
        tallies = "tallies match" if checks.tallies_match else "[red]tallies DIFFER[/]"
        receipts = "" if checks.receipts_match else ", [red]receipts DIFFER[/]"
        console.print(
            f"verified: chain root {checks.root}, {checks.entries:,} ballots, {tallies}{receipts}"
        )
    else:
        console.print(f"[red]verification failed:[/] {checks.message}")
    for line in _integrity_lines(rehearsal):
        console.print(line)


def _rehearsal_table(rehearsal: Rehearsal) -> Table:
    result = rehearsal.result
    night = rehearsal.night
    points = night.judges_points()
    real = ", ".join(_name(rehearsal.names, c) for c in rehearsal.real_eliminated)
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title=f"{rehearsal.theme} from the store's tallies ({night.rules}); votes simulated, "
        "sim = simulated judges' points",
        caption=f"really eliminated: {real}" if real else None,
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Couple", no_wrap=True)
    table.add_column("Judges", justify="right", no_wrap=True)
    table.add_column("Web", justify="right", no_wrap=True)
    table.add_column("SMS", justify="right", no_wrap=True)
    table.add_column("V %", justify="right", no_wrap=True)
    table.add_column("Comb.", justify="right", no_wrap=True)
    table.add_column("Tonight", no_wrap=True)
    table.add_column("Real", no_wrap=True)
    for standing in result.standings:
        couple = standing.couple
        tally = rehearsal.tallies.get(couple, {})
        known = rehearsal.points_known.get(couple, False)
        table.add_row(
            str(standing.place),
            _name(rehearsal.names, couple),
            f"{points[couple]:g}" + ("" if known else " [yellow]sim[/]"),
            f"{tally.get('web', 0):,}",
            f"{tally.get('sms', 0):,}",
            f"{100 * standing.vote_share:.1f}",
            f"{standing.combined:.3f}",
            _fate(couple, result.eliminated, result.bottom),
            _fate(couple, rehearsal.real_eliminated, rehearsal.real_bottom),
        )
    return table


def _fate(couple: str, eliminated: Sequence[str], bottom: Sequence[str]) -> str:
    if couple in eliminated:
        return "[bold red]out[/]"
    return "bottom" if couple in bottom else ""


def _integrity_lines(rehearsal: Rehearsal) -> list[str]:
    found = rehearsal.integrity
    names = rehearsal.names
    lines = [
        f"integrity: {found.flagged:,} voters flagged of {found.voters:,}; against the ground "
        f"truth ({found.abusive:,} abusive accounts planted): precision "
        f"{100 * found.precision:.1f}%, recall {100 * found.recall:.1f}%; tactical campaign "
        f"voters flagged: {found.tactical_flagged} of {found.tactical:,}"
    ]
    for group in found.groups:
        lines.append(
            f"  {group['kind']} ({group['style']}, {group['aim']}): "
            f"{group['flagged']}/{group['accounts']} accounts flagged"
        )
    for campaign in found.campaigns_found:
        lines.append(
            f"  campaign found: all but {_name(names, campaign['target'])}, "
            f"{campaign['voters']:,} voters, {campaign['votes']:,} votes (reported, not flagged)"
        )
    if not found.campaigns_found:
        lines.append("  no all-but-one campaign found")
    effect = found.counterfactual
    if effect is not None:
        before = ", ".join(_name(names, c) for c in effect.get("eliminated", [])) or "nobody"
        after = (
            ", ".join(_name(names, c) for c in effect.get("eliminated_without_flagged", []))
            or "nobody"
        )
        verdict = "[bold red]changes[/]" if effect.get("changes") else "unchanged"
        lines.append(
            f"  counterfactual: eliminated {before}; without the flagged votes {after} "
            f"({verdict}); margin {_margin(effect.get('margin'))} -> "
            f"{_margin(effect.get('margin_without_flagged'))}"
        )
    return lines


def _margin(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "n/a"


def _name(names: Mapping[str, str], couple: str) -> str:
    return names.get(couple, couple).split(" & ")[0]

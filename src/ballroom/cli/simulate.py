"""``ballroom simulate``: write a synthetic night's vote log and its ground truth."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ballroom.adapters.interchange import write_vote_arrow
from ballroom.cli._common import reports_errors
from ballroom.integrity.electorate import generate, scenario_from_options
from ballroom.integrity.families import family


@click.command()
@click.argument("out", metavar="OUT.csv|OUT.parquet", type=click.Path(path_type=Path))
@click.option("--voters", default=20_000, show_default=True, help="Organic voters.")
@click.option("--seed", default=0, show_default=True, help="Same seed, same night.")
@click.option(
    "--campaign",
    "campaigns",
    multiple=True,
    default=("hilaria:0.03",),
    show_default=True,
    help="An all-but-one campaign TARGET[:SHARE]; repeatable.",
)
@click.option("--no-campaign", is_flag=True, help="No campaign at all.")
@click.option("--farms", default=6, show_default=True, help="Duplicate-account farms.")
@click.option("--bots", default=2, show_default=True, help="Bot bursts.")
@click.option(
    "--camouflage",
    default=0.0,
    show_default=True,
    help="Share of abusive accounts that also vote organically (0-1).",
)
@click.option(
    "--time-spread",
    default=1.0,
    show_default=True,
    help="Stretch of the abusers' timing (1 = tight bursts).",
)
@click.option(
    "--family",
    "family_name",
    default=None,
    help="A night of this scenario family of `integrity eval` (holdout, homes, crowds): "
    "households, NATs, fan clubs, SMS fans, SIM banks, all labelled in the truth; only "
    "--voters and --seed apply.",
)
@click.option(
    "--truth",
    "truth_out",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write the ground truth JSON (default: OUT with .truth.json).",
)
@reports_errors
def simulate(
    *,
    out: Path,
    voters: int,
    seed: int,
    campaigns: tuple[str, ...],
    no_campaign: bool,
    farms: int,
    bots: int,
    camouflage: float,
    time_spread: float,
    family_name: str | None,
    truth_out: Path | None,
) -> None:
    """Generate a simulated night (Disney Night couples) in the interchange format.

    Organic fans, web and SMS, revisions; plus duplicate-account farms, bots and all-but-one
    campaigns with ground truth. Simulated votes: label them so wherever they are shown.
    """
    started = time.perf_counter()
    scenario = scenario_from_options(
        voters,
        seed,
        () if no_campaign else campaigns,
        farms=farms,
        bots=bots,
        camouflage=camouflage,
        time_spread=time_spread,
    )
    if family_name is not None:
        scenario = family(family_name).night(voters, seed)
    electorate = generate(scenario)
    rows = write_vote_arrow(out, electorate.table)
    truth_path = truth_out or out.with_name(out.name.split(".")[0] + ".truth.json")
    electorate.truth.write(truth_path)
    click.echo(
        f"wrote {rows:,} rows (simulated) to {out} and the ground truth to {truth_path} "
        f"in {time.perf_counter() - started:.1f} s",
        err=True,
    )

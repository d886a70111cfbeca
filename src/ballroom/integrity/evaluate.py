"""How well the detectors recover a generated night's ground truth, over a grid of scenarios.

Measured per scenario: precision and recall over abusive accounts (farms and bots), the share
of tactical campaign voters flagged (must stay under 1 %), and whether every all-but-one
campaign of at least 1 % of voters was found with the right target.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ballroom.adapters.interchange import vote_table_from_arrow
from ballroom.integrity.analysis import analyze
from ballroom.integrity.electorate import Campaign, Scenario, generate

TARGETS = {"precision": 0.95, "recall": 0.95, "tactical_flagged": 0.01}


@dataclass(frozen=True)
class Outcome:
    """One scenario's scores."""

    voters: int
    camouflage: float
    time_spread: float
    seed: int
    rows: int
    abusive: int
    flagged: int
    precision: float
    recall: float
    tactical: int
    tactical_flagged: float
    campaigns: int
    campaigns_found: int
    false_campaigns: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def grid(
    seeds: int = 2,
    sizes: Iterable[int] = (5_000, 20_000),
    camouflage: Iterable[float] = (0.0, 0.3, 0.6),
    spread: Iterable[float] = (1.0, 3.0),
) -> list[Scenario]:
    """The standard scenarios: sizes x camouflage x time spread x seeds, two campaigns each."""
    scenarios = []
    for voters in sizes:
        for camo in camouflage:
            for stretch in spread:
                for seed in range(seeds):
                    scenarios.append(Scenario(
                        voters=voters, camouflage=camo, time_spread=stretch, seed=seed,
                        farms=max(4, voters // 2500), bots=max(1, voters // 10_000),
                        campaigns=(Campaign("hilaria", 0.03), Campaign("andy", 0.01)),
                    ))  # fmt: skip
    return scenarios


def evaluate(scenario: Scenario) -> Outcome:
    """Generate, analyse and score one scenario."""
    started = time.perf_counter()
    electorate = generate(scenario)
    report = analyze(vote_table_from_arrow(electorate.table), seed=scenario.seed, draws=0)
    seconds = time.perf_counter() - started
    truth = electorate.truth
    flagged = set(report.flagged_voters)
    abusive = set(truth.abusive)
    tactical = truth.tactical
    hits = len(flagged & abusive)
    found_targets = {campaign.target for campaign in report.findings.campaigns}
    big = [c for c in truth.campaigns if len(c["voters"]) >= 0.01 * scenario.voters]
    return Outcome(
        voters=scenario.voters, camouflage=scenario.camouflage,
        time_spread=scenario.time_spread, seed=scenario.seed, rows=electorate.rows,
        abusive=len(abusive), flagged=len(flagged),
        precision=hits / len(flagged) if flagged else 1.0,
        recall=hits / len(abusive) if abusive else 1.0,
        tactical=len(tactical),
        tactical_flagged=len(flagged & tactical) / len(tactical) if tactical else 0.0,
        campaigns=len(big),
        campaigns_found=sum(c["target"] in found_targets for c in big),
        false_campaigns=len(found_targets - {c["target"] for c in truth.campaigns}),
        seconds=seconds,
    )  # fmt: skip


def meets_targets(outcomes: list[Outcome]) -> bool:
    return all(
        o.precision >= TARGETS["precision"]
        and o.recall >= TARGETS["recall"]
        and o.tactical_flagged < TARGETS["tactical_flagged"]
        and o.campaigns_found == o.campaigns
        for o in outcomes
    )


def markdown(outcomes: list[Outcome]) -> str:
    """The results as a Markdown table (one line per scenario, then the worst case)."""
    lines = [
        "| voters | camouflage | time spread | seed | rows | abusive | flagged | precision "
        "| recall | tactical flagged | campaigns found | false campaigns | seconds |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.voters:,} | {o.camouflage:.1f} | {o.time_spread:.0f}x | {o.seed} | {o.rows:,} "
            f"| {o.abusive} | {o.flagged} | {o.precision:.3f} | {o.recall:.3f} "
            f"| {o.tactical_flagged:.2%} | {o.campaigns_found}/{o.campaigns} "
            f"| {o.false_campaigns} | {o.seconds:.2f} |"
        )
    if outcomes:
        lines.append(
            f"| **worst** | | | | | | | **{min(o.precision for o in outcomes):.3f}** "
            f"| **{min(o.recall for o in outcomes):.3f}** "
            f"| **{max(o.tactical_flagged for o in outcomes):.2%}** "
            f"| **{sum(o.campaigns_found for o in outcomes)}/{sum(o.campaigns for o in outcomes)}**"
            f" | **{sum(o.false_campaigns for o in outcomes)}** | |"
        )
    return "\n".join(lines) + "\n"

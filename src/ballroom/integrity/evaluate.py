"""How well the analysis recovers generated nights' ground truth, family by family.

A family (``ballroom.integrity.families``) is a set of assumptions about the world. Per family
and summed over its nights: precision and recall per abuse kind (farm, bot, SIM bank), the
share of *each* benign population flagged (households on one tablet, NATs, fan clubs, spikes,
SMS fans, revisions, tactical campaign voters, and everyone else), and the all-but-one
campaigns of at least 1 % of voters found with the right target.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ballroom.adapters.interchange import vote_table_from_arrow
from ballroom.integrity.analysis import analyze
from ballroom.integrity.electorate import ABUSE, BENIGN, generate
from ballroom.integrity.families import FAMILIES, Family

TARGETS = {"precision": 0.95, "recall": 0.95, "benign_flagged": 0.005, "campaign_flagged": 0.01}
ORDINARY = "ordinary"  # every voter in no labelled population and not abusive
# Which abuse kind each flag reason stands for (a voter may carry several).
REASON_KIND = {
    "mailbox": "farm",
    "device": "farm",
    "sequential": "farm",
    "identity": "farm",
    "machine_timing": "bot",
    "sms_machine": "sim-bank",
}


@dataclass
class Counts:
    """Counts summed over a family's nights."""

    nights: int = 0
    voters: int = 0
    rows: int = 0
    flagged: int = 0
    hits: int = 0  # flagged and abusive
    abusive: dict[str, int] = field(default_factory=dict)  # kind -> voters
    found: dict[str, int] = field(default_factory=dict)  # kind -> of them flagged
    called: dict[str, int] = field(default_factory=dict)  # kind -> flagged as that kind
    called_right: dict[str, int] = field(default_factory=dict)  # ... and abusive
    benign: dict[str, int] = field(default_factory=dict)  # population -> voters
    benign_flagged: dict[str, int] = field(default_factory=dict)
    campaigns: int = 0
    campaigns_found: int = 0
    campaign_voters: int = 0
    campaign_voters_flagged: int = 0
    false_campaigns: int = 0
    seconds: float = 0.0

    def add(self, name: str, table: dict[str, int], value: int) -> None:
        table[name] = table.get(name, 0) + value

    @property
    def precision(self) -> float:
        return self.hits / self.flagged if self.flagged else 1.0

    @property
    def recall(self) -> float:
        total = sum(self.abusive.values())
        return sum(self.found.values()) / total if total else 1.0

    def kind_precision(self, kind: str) -> float:
        called = self.called.get(kind, 0)
        return self.called_right.get(kind, 0) / called if called else 1.0

    def kind_recall(self, kind: str) -> float:
        total = self.abusive.get(kind, 0)
        return self.found.get(kind, 0) / total if total else 1.0

    def benign_rate(self, population: str) -> float:
        total = self.benign.get(population, 0)
        return self.benign_flagged.get(population, 0) / total if total else 0.0

    def campaign_flag_rate(self) -> float:
        if not self.campaign_voters:
            return 0.0
        return self.campaign_voters_flagged / self.campaign_voters

    def as_dict(self) -> dict[str, Any]:
        return {
            "nights": self.nights,
            "voters": self.voters,
            "rows": self.rows,
            "flagged": self.flagged,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "kinds": {
                kind: {
                    "voters": self.abusive.get(kind, 0),
                    "precision": round(self.kind_precision(kind), 4),
                    "recall": round(self.kind_recall(kind), 4),
                }
                for kind in ABUSE
            },
            "benign": {
                name: {
                    "voters": self.benign[name],
                    "flagged": self.benign_flagged.get(name, 0),
                    "rate": round(self.benign_rate(name), 5),
                }
                for name in self.benign
            },
            "campaigns": self.campaigns,
            "campaigns_found": self.campaigns_found,
            "campaign_voters_flagged": round(self.campaign_flag_rate(), 5),
            "false_campaigns": self.false_campaigns,
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class FamilyResult:
    family: Family
    counts: Counts

    def meets_targets(self) -> bool:
        c = self.counts
        return (
            c.precision >= TARGETS["precision"]
            and c.recall >= TARGETS["recall"]
            and all(c.benign_rate(name) < TARGETS["benign_flagged"] for name in c.benign)
            and c.campaigns_found == c.campaigns
            and c.campaign_flag_rate() < TARGETS["campaign_flagged"]
            and (c.abusive.get("sim-bank", 0) == 0 or c.found.get("sim-bank", 0) > 0)
        )


def score_night(family: Family, voters: int, seed: int, into: Counts) -> None:
    """Generate one night of ``family``, analyse it, and add its scores to ``into``."""
    started = time.perf_counter()
    scenario = family.night(voters, seed)
    electorate = generate(scenario)
    report = analyze(vote_table_from_arrow(electorate.table), seed=seed, draws=0)
    into.seconds += time.perf_counter() - started
    truth = electorate.truth
    flagged = set(report.flagged_voters)
    into.nights += 1
    into.voters += report.voters
    into.rows += electorate.rows
    into.flagged += len(flagged)
    into.hits += len(flagged & set(truth.abusive))
    for kind in ABUSE:
        members = {voter for voter, k in truth.abusive.items() if k == kind}
        into.add(kind, into.abusive, len(members))
        into.add(kind, into.found, len(members & flagged))
    labels = report.voter_labels()
    kinds_of: dict[str, set[str]] = {}
    for reason, kind in REASON_KIND.items():
        for voter in labels.get(reason, ()):
            kinds_of.setdefault(voter, set()).add(kind)
    for voter, kinds in kinds_of.items():
        for kind in kinds:
            into.add(kind, into.called, 1)
            into.add(kind, into.called_right, int(voter in truth.abusive))
    populations = truth.populations()
    labelled = set().union(*populations.values()) if populations else set()
    every = set(electorate.table.column("voter").unique().to_pylist())
    populations[ORDINARY] = every - labelled - set(truth.abusive)
    for name in (*BENIGN, ORDINARY):
        members = populations.get(name, set())
        if members:
            into.add(name, into.benign, len(members))
            into.add(name, into.benign_flagged, len(members & flagged))
    found = {campaign.target for campaign in report.findings.campaigns}
    for campaign in truth.campaigns:
        if len(campaign["voters"]) < 0.01 * scenario.voters:
            continue
        into.campaigns += 1
        into.campaigns_found += campaign["target"] in found
        into.campaign_voters += len(campaign["voters"])
        into.campaign_voters_flagged += len(set(campaign["voters"]) & flagged)
    into.false_campaigns += len(found - {c["target"] for c in truth.campaigns})


def evaluate(
    families: Iterable[Family] = FAMILIES, voters: int = 20_000, seeds: int = 2
) -> list[FamilyResult]:
    """Every family's nights (``seeds`` of them, ``voters`` each), scored."""
    results = []
    for fam in families:
        counts = Counts()
        for seed in range(seeds):
            score_night(fam, voters, seed, counts)
        results.append(FamilyResult(fam, counts))
    return results


def _pct(value: float) -> str:
    return f"{value:.2%}"


def markdown(results: list[FamilyResult]) -> str:
    """Per family: abuse kinds, benign populations, campaigns (Markdown, under 80 columns)."""
    lines: list[str] = []
    for result in results:
        c, fam = result.counts, result.family
        tuned = "tuned on" if fam.tuned_on else "**never tuned on**"
        lines += [
            f"**{fam.name}** ({tuned}; {c.nights} nights, {c.voters:,} voters, {c.rows:,} rows): "
            f"{fam.assumptions}.",
            "",
            "| abuse kind | voters | flagged | precision | recall |",
            "|---|---:|---:|---:|---:|",
        ]
        for kind in ABUSE:
            lines.append(
                f"| {kind} | {c.abusive.get(kind, 0):,} | {c.found.get(kind, 0):,} "
                f"| {c.kind_precision(kind):.3f} | {c.kind_recall(kind):.3f} |"
            )
        lines.append(
            f"| **all** | {sum(c.abusive.values()):,} | {c.flagged:,} "
            f"| **{c.precision:.3f}** | **{c.recall:.3f}** |"
        )
        lines += ["", "| benign population | voters | flagged | rate |", "|---|---:|---:|---:|"]
        for name in c.benign:
            lines.append(
                f"| {name} | {c.benign[name]:,} | {c.benign_flagged.get(name, 0):,} "
                f"| {_pct(c.benign_rate(name))} |"
            )
        lines += [
            "",
            f"Campaigns of ≥ 1 % found with their target: {c.campaigns_found}/{c.campaigns}; "
            f"their voters flagged: {_pct(c.campaign_flag_rate())}; false campaigns: "
            f"{c.false_campaigns}. Targets {'met' if result.meets_targets() else 'MISSED'}.",
            "",
        ]
    return "\n".join(lines)

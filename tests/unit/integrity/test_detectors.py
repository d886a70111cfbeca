"""The detectors recover a seeded night's ground truth and never flag tactical voters."""

from __future__ import annotations

import pytest

from ballroom.adapters.interchange import vote_table_from_arrow
from ballroom.integrity.analysis import analyze
from ballroom.integrity.detectors import disposable_domains, normalise_email
from ballroom.integrity.electorate import Campaign, Scenario, generate


@pytest.mark.parametrize(
    ("raw", "mailbox"),
    [
        ("John.Smith+dwts@Gmail.com", "johnsmith@gmail.com"),
        ("j.o.h.n.smith@googlemail.com", "johnsmith@gmail.com"),
        ("john.smith+1@yahoo.com", "john.smith@yahoo.com"),  # dots matter outside gmail
        ("  Fan@Example.org ", "fan@example.org"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_normalise_email(raw: str, mailbox: str) -> None:
    assert normalise_email(raw) == mailbox


def test_disposable_list_is_bundled() -> None:
    assert {"mailinator.com", "yopmail.com"} <= disposable_domains()


@pytest.mark.parametrize("camouflage", [0.0, 0.5])
def test_recovers_abusive_accounts_and_spares_tactical_voters(camouflage: float) -> None:
    scenario = Scenario(
        voters=8000,
        farms=6,
        bots=2,
        camouflage=camouflage,
        seed=11,
        campaigns=(Campaign("hilaria", 0.03), Campaign("andy", 0.01)),
    )
    electorate = generate(scenario)
    report = analyze(vote_table_from_arrow(electorate.table), draws=0)
    flagged = set(report.flagged_voters)
    abusive = set(electorate.truth.abusive)
    hits = len(flagged & abusive)
    assert hits / len(flagged) >= 0.95
    assert hits / len(abusive) >= 0.95
    assert len(flagged & electorate.truth.tactical) / len(electorate.truth.tactical) < 0.01
    assert {c.target for c in report.findings.campaigns} == {"hilaria", "andy"}


def test_clusters_carry_readable_evidence() -> None:
    electorate = generate(Scenario(voters=4000, farms=4, bots=1, seed=5))
    report = analyze(vote_table_from_arrow(electorate.table), draws=0)
    kinds = {cluster.kind for cluster in report.findings.clusters}
    assert {"multi-account", "bot"} <= kinds
    alias = next(f for f in electorate.truth.farms if f["style"] == "alias")
    cluster = next(c for c in report.findings.clusters if set(alias["voters"]) <= set(c.voters))
    assert "mailbox" in cluster.evidence
    assert "+aliases" in cluster.evidence
    bot = next(c for c in report.findings.clusters if c.kind == "bot")
    assert "machine-regular" in bot.evidence


def test_organic_night_flags_nobody_and_finds_no_campaign() -> None:
    electorate = generate(Scenario(voters=10000, farms=0, bots=0, campaigns=(), seed=2))
    report = analyze(vote_table_from_arrow(electorate.table), draws=0)
    assert report.flagged_voters == []
    assert report.findings.campaigns == []
    assert not [c for c in report.findings.clusters if c.flagged]

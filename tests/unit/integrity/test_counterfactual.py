"""The effect of flagged votes and campaigns on the elimination, computed by the real rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ballroom.adapters.interchange import read_vote_table, write_vote_arrow
from ballroom.domain.night import Night
from ballroom.errors import UnknownCouple
from ballroom.integrity.analysis import analyze
from ballroom.integrity.electorate import DISNEY_NIGHT, Campaign, Scenario, generate


def night(couples: tuple[str, ...] = DISNEY_NIGHT, **extra: Any) -> Night:
    # Equal judges' scores: the public vote alone decides, so the arithmetic is easy to check.
    scores = {c: {"derek": 8, "bruno": 8} for c in couples}
    return Night.from_mapping(
        {
            "rules": "dwts",
            "couples": list(couples),
            "judges": ["derek", "bruno"],
            "dances": [{"name": "Disney", "scores": scores}],
            **extra,
        }
    )


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = Scenario(
        voters=6000, farms=4, bots=1, seed=3, campaigns=(Campaign("hilaria", 0.05),)
    )
    path = tmp_path_factory.mktemp("cf") / "night.parquet"
    write_vote_arrow(path, generate(scenario).table)
    return path


def test_counterfactual_shape_and_consistency(log: Path) -> None:
    report = analyze(read_vote_table(log), night(), draws=50)
    cf = report.counterfactual
    assert cf is not None
    votes = cf["votes"]
    # With equal judges' points the fewest votes go home.
    assert cf["eliminated"] == [min(votes, key=votes.get)]
    clean = cf["votes_without_flagged"]
    assert cf["eliminated_without_flagged"] == [min(clean, key=clean.get)]
    assert cf["flagged_votes"] == sum(votes.values()) - sum(clean.values()) > 0
    assert cf["margin"] > 0
    (campaign,) = cf["campaigns"]
    assert campaign["target"] == "hilaria"
    assert 0.0 <= cf["bootstrap"]["holds"] <= 1.0
    assert cf["bootstrap"]["method"] == "poisson"


def test_removing_the_campaign_saves_its_target(log: Path) -> None:
    report = analyze(read_vote_table(log), night(), draws=0)
    cf = report.counterfactual
    assert cf is not None
    assert cf["eliminated"] == ["hilaria"]
    assert cf["campaigns"][0]["eliminated_without_campaign"] != ["hilaria"]
    assert cf["campaigns"][0]["changes"] is True


def test_couple_not_dancing_is_named(log: Path) -> None:
    with pytest.raises(UnknownCouple, match=r"row \d+: couple '\w+' is not dancing"):
        analyze(read_vote_table(log), night(DISNEY_NIGHT[:-1]), draws=0)

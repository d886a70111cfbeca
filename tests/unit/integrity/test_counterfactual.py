"""The effect of flagged votes and campaigns on the elimination, computed by the real rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from ballroom.adapters.interchange import Categorical, read_vote_table, write_vote_arrow
from ballroom.domain.night import Night
from ballroom.errors import UnknownCouple
from ballroom.integrity.analysis import analyze
from ballroom.integrity.counterfactual import effect
from ballroom.integrity.electorate import DISNEY_NIGHT, Campaign, Scenario, generate
from ballroom.integrity.tally import Allocations


def night(couples: tuple[str, ...] = DISNEY_NIGHT, **extra: Any) -> Night:
    # Equal judges' scores: the public vote alone decides, so the arithmetic is easy to check.
    scores = {c: {"derek": 8, "bruno": 8} for c in couples}
    return Night.from_mapping(
        {
            "rules": "dwts",
            "couples": list(couples),
            "judges": ["derek", "bruno"],
            "dances": [{"name": "Disney", "scores": scores}],
            "votes": dict.fromkeys(couples, 0),  # replaced by the log's tallies
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


def _voters_giving(counts: dict[str, int], flagged_to: str, flagged: int) -> Allocations:
    """One vote per voter: ``counts`` honest voters per couple, then ``flagged`` voters for
    ``flagged_to`` (the last rows)."""
    couples = list(counts)
    rows = [couples.index(c) for c, k in counts.items() for _ in range(k)]
    rows += [couples.index(flagged_to)] * flagged
    web = np.zeros((len(rows), len(couples)), dtype=np.int8)
    web[np.arange(len(rows)), rows] = 1
    return Allocations(
        voters=Categorical(
            codes=np.arange(len(rows), dtype=np.int32),
            values=pa.array([f"v{i}" for i in range(len(rows))]),
        ),
        couples=couples,
        web=web,
        sms=np.zeros_like(web),
        web_ts=np.zeros(len(rows), dtype=np.int64),
        first_row=np.arange(len(rows), dtype=np.int32),
        kept=np.ones(len(rows), dtype=bool),
    )


def _effect(alloc: Allocations, flagged: int, strong: int) -> dict[str, Any]:
    n = alloc.n_voters
    mask = np.zeros(n, dtype=bool)
    mask[n - flagged :] = True
    strong_mask = np.zeros(n, dtype=bool)
    strong_mask[n - strong :] = True
    score = np.where(strong_mask, 2.0, np.where(mask, 1.0, 0.0)).astype(np.float32)
    return effect(
        night(("a", "b", "c")),
        alloc,
        mask,
        [],
        rng=np.random.default_rng(0),
        draws=0,
        score=score,
        strong=strong_mask,
    )


def test_a_change_that_holds_across_the_band_is_claimed() -> None:
    # 10 flagged votes lift b over a; without them b goes home, even with a tenth kept.
    cf = _effect(_voters_giving({"a": 100, "b": 90, "c": 120}, "b", 20), flagged=20, strong=20)
    assert cf["eliminated"] == ["a"]
    assert cf["eliminated_without_flagged"] == ["b"]
    assert cf["changes_as_flagged"] is True
    assert cf["changes"] is True
    assert [case["eliminated"] for case in cf["band"]["cases"]] == [["b"], ["b"], ["b"]]
    assert "and it does across the detection's uncertainty" in cf["verdict"]


def test_a_change_that_rests_on_weak_flags_is_not_claimed() -> None:
    # Only 3 of the 20 flags are strong: removing those alone leaves a at the bottom.
    cf = _effect(_voters_giving({"a": 100, "b": 95, "c": 120}, "b", 20), flagged=20, strong=3)
    assert cf["changes_as_flagged"] is True
    assert cf["band"]["cases"][0]["case"] == "strongly evidenced only"
    assert cf["band"]["cases"][0]["eliminated"] == ["a"]
    assert cf["changes"] is False
    assert "no change is claimed" in cf["verdict"]


def test_a_change_that_a_tenth_of_wrong_flags_undoes_is_not_claimed() -> None:
    # b is 1 vote under a without the flags; 2 wrong flags of 20 put it back above.
    cf = _effect(_voters_giving({"a": 100, "b": 99, "c": 120}, "b", 20), flagged=20, strong=20)
    assert cf["eliminated_without_flagged"] == ["b"]
    tenth = next(c for c in cf["band"]["cases"] if c["case"].startswith("the weakest tenth"))
    assert tenth["eliminated"] == ["a"]
    assert cf["changes"] is False

"""The synthetic electorate: deterministic, well-formed, with ground truth that adds up."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest

from ballroom.adapters.interchange import read_vote_rows, write_vote_arrow
from ballroom.errors import WrongType
from ballroom.integrity.electorate import Campaign, Scenario, generate

SMALL = Scenario(voters=3000, farms=4, bots=1, camouflage=0.3, seed=7)


def test_same_seed_same_night() -> None:
    assert generate(SMALL).table.equals(generate(SMALL).table)
    assert not generate(SMALL).table.equals(generate(Scenario(voters=3000, seed=8)).table)


def test_rows_are_valid_interchange(tmp_path: Path) -> None:
    electorate = generate(SMALL)
    path = tmp_path / "night.csv"
    assert write_vote_arrow(path, electorate.table) == electorate.rows
    rows = list(read_vote_rows(path))
    assert len(rows) == electorate.rows
    assert all(1 <= row.votes <= 10 for row in rows)
    assert [row.ts for row in rows] == sorted(row.ts for row in rows)  # order of acceptance
    assert {row.channel for row in rows} == {"web", "sms"}


def test_ground_truth_matches_the_log() -> None:
    electorate = generate(SMALL)
    truth = electorate.truth
    voters = set(electorate.table.column("voter").to_pylist())
    assert set(truth.abusive) <= voters
    assert len(truth.farms) == 4
    assert len(truth.bots) == 1
    (campaign,) = truth.campaigns
    assert campaign["target"] == "hilaria"
    assert len(campaign["voters"]) == 90  # 3 % of 3000
    assert not truth.tactical & set(truth.abusive)
    styles = {farm["style"] for farm in truth.farms}
    assert styles == {"alias", "dots", "disposable", "sequential"}


def test_campaign_voters_give_ten_to_all_but_the_target() -> None:
    electorate = generate(Scenario(voters=2000, farms=0, bots=0, revision_rate=0.0, seed=1))
    table = electorate.table
    voter = electorate.truth.campaigns[0]["voters"][0]
    mine = table.filter(pc.and_(pc.equal(table["voter"], voter), pc.equal(table["channel"], "web")))
    last = mine.filter(pc.equal(mine["ballot_id"], mine["ballot_id"][-1]))
    assert sorted(last["couple"].to_pylist()) == sorted(
        c for c in Scenario().couples if c != "hilaria"
    )
    assert set(last["votes"].to_pylist()) == {10}


def test_bad_scenarios_are_refused() -> None:
    with pytest.raises(WrongType, match="campaign target"):
        Scenario(campaigns=(Campaign("nobody"),))
    with pytest.raises(WrongType, match="voters"):
        Scenario(voters=0)
    with pytest.raises(WrongType, match="bots must be 0 or more"):
        Scenario(bots=-1)
    with pytest.raises(WrongType, match="share must be between"):
        Scenario(campaigns=(Campaign("hilaria", 2.0),))
    with pytest.raises(WrongType, match="time_spread"):
        Scenario(time_spread=0)

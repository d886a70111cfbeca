"""The ``dwts`` rule set: combined shares, the tie rule, bottoms and the dispatcher."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ballroom.domain.night import DanceScores, Night
from ballroom.domain.rules import RULE_SET_NAMES, compute, describe, dwts
from ballroom.errors import InvalidInput, UnknownCouple, UnknownRules

CONTRACT_REQUEST: dict[str, Any] = {
    "rules": "dwts",
    "couples": ["robert", "whitney", "hilaria"],
    "judges": ["carrie-ann", "derek", "bruno"],
    "absent_judges": ["carrie-ann"],
    "dances": [
        {
            "name": "Tango",
            "scores": {
                "robert": {"derek": 8, "bruno": 7},
                "whitney": {"derek": 7, "bruno": 8},
                "hilaria": {"derek": 7, "bruno": 7},
            },
        }
    ],
    "bonus": {"whitney": 5},
    "votes": {"robert": 120000, "whitney": 80000, "hilaria": 60000},
    "carried": {"scores": {"robert": 15}, "votes": {"robert": 90000}},
    "eliminate": 1,
    "save_votes": {"derek": "whitney", "bruno": "hilaria"},
    "head_judge": "derek",
}


def night(
    points: Mapping[str, float], votes: dict[str, int], *, eliminate: int = 1, **extra: Any
) -> Night:
    """A night where each couple's judges' points come from one judge's bonus-free total."""
    couples = tuple(points)
    return Night(
        rules="dwts",
        couples=couples,
        judges=("j",),
        bonus=points,
        votes=votes,
        eliminate=eliminate,
        **extra,
    )


def by_couple(result: Any) -> dict[str, Any]:
    return {row["couple"]: row for row in result.as_dict()["standings"]}


def test_worked_example_from_the_show_website() -> None:
    # Judges' totals 38 / 26 / 14 are 48.72% / 33.33% / 17.95% of the 78 points.
    result = dwts.compute(night({"a": 38, "b": 26, "c": 14}, {"a": 1, "b": 1, "c": 1}))
    shares = {row.couple: round(row.judges_share * 100, 2) for row in result.standings}
    assert shares == {"a": 48.72, "b": 33.33, "c": 17.95}


def test_contract_request_is_ranked_by_combined_share() -> None:
    result = dwts.compute(Night.from_mapping(CONTRACT_REQUEST))
    rows = by_couple(result)
    # Carrie Ann is absent: the night is out of Derek's and Bruno's scores. robert: 15
    # tonight + 15 carried = 30 of 30 + 20 + 14 = 64 points; 210,000 of 350,000 votes.
    assert rows["robert"]["judges_points"] == 30
    assert rows["robert"]["judges_share"] == pytest.approx(30 / 64)
    assert rows["robert"]["vote_share"] == pytest.approx(0.6)
    # whitney 15 + 5 bonus = 20: 20/64 + 80,000/350,000 = 0.54 > hilaria's 14/64 + 60/350.
    assert rows["whitney"]["combined"] == pytest.approx(20 / 64 + 80 / 350)
    assert rows["hilaria"]["combined"] == pytest.approx(14 / 64 + 60 / 350)
    assert [row["place"] for row in result.as_dict()["standings"]] == [1, 2, 3]
    assert result.bottom == ("hilaria", "whitney")
    assert result.eliminated == ("hilaria",)
    assert result.ties == ()
    assert (
        "hilaria has the lowest combined total: 0.39 (judges 0.22 + votes 0.17) and is "
        "eliminated." in result.explanation
    )


def test_contract_output_shape() -> None:
    body = compute(Night.from_mapping(CONTRACT_REQUEST)).as_dict()
    assert list(body) == ["rules", "standings", "bottom", "eliminated", "ties", "explanation"]
    assert list(body["standings"][0]) == [
        "couple",
        "place",
        "judges_points",
        "judges_share",
        "votes",
        "vote_share",
        "combined",
    ]
    assert body["rules"] == "dwts"


def test_eliminate_zero_reveals_no_bottom() -> None:
    result = dwts.compute(night({"a": 30, "b": 20, "c": 10}, {"a": 5, "b": 5, "c": 5}, eliminate=0))
    assert result.bottom == ()
    assert result.eliminated == ()
    assert [row.couple for row in result.standings] == ["a", "b", "c"]
    assert "No couple is eliminated" in result.explanation[0]


def test_double_elimination_shows_bottom_three() -> None:
    points = {"a": 30, "b": 25, "c": 20, "d": 15, "e": 10}
    votes = {"a": 100, "b": 100, "c": 100, "d": 100, "e": 100}
    result = dwts.compute(night(points, votes, eliminate=2))
    assert result.bottom == ("e", "d", "c")
    assert result.eliminated == ("e", "d")
    text = " ".join(result.explanation)
    assert "Bottom three (lowest first): e, d, c." in text
    assert "d has the second-lowest combined total" in text
    assert "c is in the bottom but safe" in text


def test_all_votes_zero_gives_zero_vote_shares() -> None:
    result = dwts.compute(night({"a": 30, "b": 10}, {}))
    assert {row.vote_share for row in result.standings} == {0.0}
    assert result.eliminated == ("b",)


def test_equal_combined_goes_against_fewer_votes() -> None:
    # 10/40 + 6/120 = 0.3 = 11/40 + 3/120: an exact tie on the combined total.
    result = dwts.compute(night({"a": 10, "b": 11, "c": 19}, {"a": 6, "b": 3, "c": 111}))
    assert result.eliminated == ("b",)
    assert result.ties == ()
    assert any("fewer viewer votes" in line for line in result.explanation)


def test_float_noise_never_decides_an_elimination() -> None:
    # In floats 10/40 + 6000/120000 is 0.3 but 11/40 + 3000/120000 is 0.30000000000000004,
    # which would send a home; exactly they are equal and b, with fewer votes, goes.
    dances = (
        DanceScores("Jive", {"a": {"j": 5, "k": 5}, "b": {"j": 5.5, "k": 5.5}, "c": {"j": 9.5}}),
        DanceScores("Bonus round", {"c": {"k": 9.5}}),
    )
    tonight = Night(
        rules="dwts",
        couples=("a", "b", "c"),
        judges=("j", "k"),
        dances=dances,
        votes={"a": 6000, "b": 3000, "c": 111000},
    )
    assert 10 / 40 + 6000 / 120000 < 11 / 40 + 3000 / 120000  # the trap floats would fall into
    assert dwts.compute(tonight).eliminated == ("b",)


def test_exact_tie_on_the_line_is_left_to_the_producers() -> None:
    result = dwts.compute(night({"a": 20, "b": 10, "c": 10}, {"a": 50, "b": 25, "c": 25}))
    assert result.eliminated == ()
    assert result.ties == (("b", "c"),)
    assert result.bottom == ("b", "c")
    assert {row.place for row in result.standings if row.couple in "bc"} == {2}
    assert any("producers must decide who goes home" in line for line in result.explanation)


def test_tie_below_the_line_still_eliminates_the_clear_couple() -> None:
    # Double elimination: d is clearly lowest, b and c tie exactly just above it.
    result = dwts.compute(
        night({"a": 30, "b": 10, "c": 10, "d": 5}, {"a": 9, "b": 3, "c": 3, "d": 1}, eliminate=2)
    )
    assert result.eliminated == ("d",)
    assert result.ties == (("b", "c"),)
    assert result.bottom == ("d", "b", "c")


def test_tie_across_the_bottom_line_widens_the_bottom() -> None:
    result = dwts.compute(
        night({"a": 30, "b": 10, "c": 10, "d": 5}, {"a": 9, "b": 3, "c": 3, "d": 1})
    )
    assert result.eliminated == ("d",)
    assert result.bottom == ("d", "b", "c")
    assert result.ties == (("b", "c"),)
    assert any("all of them are shown in the bottom" in line for line in result.explanation)


def test_close_totals_are_printed_with_enough_decimals() -> None:
    # 0.3000 vs 0.3033: two decimals would print both as 0.30.
    result = dwts.compute(night({"a": 300, "b": 300, "c": 400}, {"a": 3000, "b": 3033, "c": 3967}))
    assert result.eliminated == ("a",)
    assert (
        "a has the lowest combined total: 0.600 (judges 0.300 + votes 0.300)"
        in (result.explanation[1])
    )


def test_final_names_the_winner() -> None:
    result = dwts.compute(night({"a": 30, "b": 28}, {"a": 10, "b": 9}, eliminate=0, final=True))
    assert result.explanation[-1].startswith("a wins with the highest combined total")
    tied = dwts.compute(night({"a": 30, "b": 30}, {"a": 9, "b": 9}, eliminate=0, final=True))
    assert tied.ties == (("a", "b"),)


def test_points_known_only_as_totals_count_like_bonus() -> None:
    tonight = Night(
        rules="dwts",
        couples=("a", "b"),
        judges=("j",),
        dances=(DanceScores("Waltz", {"a": {"j": 7}}),),
        extra_points={"b": 21},
        votes={"a": 1, "b": 1},
    )
    rows = {row.couple: row for row in dwts.compute(tonight).standings}
    assert (rows["a"].judges_points, rows["b"].judges_points) == (7, 21)
    assert rows["b"].judges_share == 0.75


def test_hand_built_night_with_unknown_couple_is_rejected() -> None:
    bad = Night(
        rules="dwts",
        couples=("a", "b"),
        judges=("j",),
        dances=(DanceScores("Waltz", {"zed": {"j": 7}}),),
    )
    with pytest.raises(UnknownCouple) as error:
        dwts.compute(bad)
    assert error.value.field == "dances[0].scores"


def test_hand_built_night_eliminating_everyone_is_rejected() -> None:
    with pytest.raises(InvalidInput) as error:
        dwts.compute(night({"a": 1, "b": 2}, {}, eliminate=2))
    assert error.value.field == "eliminate"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"save_votes": {"derek": ["robert"]}}, "save_votes.derek"),
        ({"head_judge": ["derek"]}, "head_judge"),
        ({"head_judge": {"id": "derek"}}, "head_judge"),
    ],
)
def test_non_string_save_vote_or_head_judge_names_the_field(
    extra: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        Night.from_mapping({**CONTRACT_REQUEST, **extra})
    assert error.value.field == field


def test_dispatcher_picks_the_rule_set_and_rejects_unknown_names() -> None:
    request = dict(CONTRACT_REQUEST)
    assert compute(Night.from_mapping(request, rules="dwts-judges-save")).rules == (
        "dwts-judges-save"
    )
    assert compute(Night.from_mapping(request, rules="strictly")).rules == "strictly"
    with pytest.raises(UnknownRules) as error:
        compute(Night.from_mapping(request, rules="eurovision"))
    assert error.value.field == "rules"
    with pytest.raises(InvalidInput, match="marks") as skating:
        compute(Night.from_mapping(request, rules="skating"))
    assert skating.value.field == "rules"


def test_every_rule_set_is_described() -> None:
    for name in RULE_SET_NAMES:
        assert describe(name).startswith(name)
    with pytest.raises(UnknownRules):
        describe("eurovision")

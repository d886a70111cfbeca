"""The ``strictly`` rule set: rank points, the dance-off, the final and the 2008 trap."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import permutations
from typing import Any

import pytest

from ballroom.domain.night import DanceScores, Night
from ballroom.domain.rules import strictly
from ballroom.errors import InvalidInput

PANEL = ("craig", "arlene", "len", "bruno")


def night(
    points: Mapping[str, float], votes: dict[str, int], *, eliminate: int = 1, **extra: Any
) -> Night:
    return Night(
        rules="strictly",
        couples=tuple(points),
        judges=PANEL,
        bonus=points,
        votes=votes,
        eliminate=eliminate,
        **extra,
    )


def test_rank_points_dense_and_standard() -> None:
    assert strictly.rank_points({"a": 40, "b": 40, "c": 35, "d": 30}) == {
        "a": 4,
        "b": 4,
        "c": 3,
        "d": 2,
    }
    assert strictly.rank_points({"a": 40, "b": 40, "c": 35, "d": 30}, "standard") == {
        "a": 4,
        "b": 4,
        "c": 2,
        "d": 1,
    }


def test_combined_is_the_sum_of_rank_points_and_reported_per_couple() -> None:
    result = strictly.compute(night({"a": 36, "b": 30, "c": 24}, {"a": 100, "b": 200, "c": 300}))
    body = result.as_dict()
    rows = {row["couple"]: row for row in body["standings"]}
    assert rows["a"]["judges_rank_points"] == 3
    assert rows["a"]["vote_rank_points"] == 1
    assert rows["b"]["combined"] == 2 + 2
    assert rows["a"]["judges_share"] == pytest.approx(36 / 90)
    assert rows["c"]["vote_share"] == pytest.approx(300 / 600)
    # All three have 4 points; ties go the public's way, so the public's order decides.
    assert [row["couple"] for row in body["standings"]] == ["c", "b", "a"]
    assert [row["place"] for row in body["standings"]] == [1, 2, 3]
    assert result.bottom == ("a", "b")
    assert result.eliminated == ()


def test_tie_on_the_sum_at_the_bottom_line_goes_the_public_way() -> None:
    # a: judges 4 + public 1 = 5; b: judges 2 + public 3 = 5; c: 3 + 2 = 5; d: 1 + 4 = 5.
    points = {"a": 40, "b": 30, "c": 35, "d": 20}
    votes = {"a": 1, "b": 3, "c": 2, "d": 4}
    result = strictly.compute(night(points, votes))
    assert result.bottom == ("a", "c")
    assert any("ties go the public's way: b ranks higher" in line for line in result.explanation)


def test_dance_off_is_decided_by_the_judges() -> None:
    points = {"a": 36, "b": 30, "c": 24}
    votes = {"a": 100, "b": 300, "c": 200}
    saved_a = strictly.compute(
        night(points, votes, save_votes={"craig": "a", "arlene": "c", "len": "a", "bruno": "a"})
    )
    assert saved_a.eliminated == ("c",)
    split = strictly.compute(
        night(
            points,
            votes,
            save_votes={"craig": "a", "arlene": "c", "len": "c", "bruno": "a"},
            head_judge="len",
        )
    )
    assert split.eliminated == ("a",)


def test_final_is_decided_by_the_public_alone() -> None:
    points = {"a": 40, "b": 30, "c": 20}
    votes = {"a": 100, "b": 300, "c": 200}
    result = strictly.compute(night(points, votes, eliminate=1, final=True))
    assert [row.couple for row in result.standings] == ["b", "c", "a"]
    assert [row.combined for row in result.standings] == [3.0, 2.0, 1.0]
    assert result.eliminated == ("a",)
    assert result.explanation[-1].startswith("b wins the public vote: 300")
    with pytest.raises(InvalidInput) as error:
        strictly.compute(night(points, votes, final=True, save_votes={"len": "a"}))
    assert error.value.field == "save_votes"


def test_final_tie_for_the_most_votes_is_reported() -> None:
    result = strictly.compute(night({"a": 40, "b": 30}, {"a": 5, "b": 5}, eliminate=0, final=True))
    assert result.ties == (("a", "b"),)
    assert result.eliminated == ()


# The 2008 semi-final (series 6, 13 December 2008): four judges, two dances each, out of 80.
# Lisa Snowdon and Rachel Stevens both scored 75, Tom Chambers 67. The rank points of the day
# gave tied couples the higher points and let the next skip ("standard": 3, 3, 1), so Tom could
# reach at most 1 + 3 = 4 while the rival the public ranked second was sure of 3 + 2 = 5: Tom
# was in the dance-off whatever the vote, and the BBC voided the vote. Today's dense points
# (3, 3, 2) let the public rescue him: 2 + 3 = 5 beats or ties (and a tie goes the public's
# way) every rival.
def semi_final_2008(votes: dict[str, int]) -> Night:
    first = {"lisa": 38, "rachel": 37, "tom": 33}
    second = {"lisa": 37, "rachel": 38, "tom": 34}

    def dance(name: str, totals: dict[str, int]) -> DanceScores:
        # Spread each total over the four judges (only the totals mattered on the night).
        return DanceScores(
            name,
            {
                couple: dict(zip(PANEL, _split(total), strict=True))
                for couple, total in totals.items()
            },
        )

    return Night(
        rules="strictly",
        couples=("lisa", "rachel", "tom"),
        judges=PANEL,
        dances=(dance("first dance", first), dance("second dance", second)),
        votes=votes,
        eliminate=1,
    )


def _split(total: int) -> tuple[int, ...]:
    base, rest = divmod(total, 4)
    return tuple(base + (1 if index < rest else 0) for index in range(4))


def test_2008_semi_final_trapped_tom_under_the_rank_points_of_the_day() -> None:
    probe = semi_final_2008({"lisa": 1, "rachel": 2, "tom": 3})
    assert strictly.rank_points({"lisa": 75, "rachel": 75, "tom": 67}, "standard") == {
        "lisa": 3,
        "rachel": 3,
        "tom": 1,
    }
    assert strictly.trapped_couples(probe, ranking="standard") == ["tom"]
    assert strictly.public_vote_can_change_bottom_two(probe, ranking="standard") == {
        "lisa": True,
        "rachel": True,
        "tom": False,
    }
    # Every public order: Tom always dances off.
    for order in permutations(["lisa", "rachel", "tom"]):
        votes = {couple: 1000 * (rank + 1) for rank, couple in enumerate(order)}
        result = strictly.compute(semi_final_2008(votes), ranking="standard")
        assert "tom" in result.bottom
    # The night as announced at the final: Rachel 5, Tom 4 and Lisa 4 (Tom topped the vote).
    night_of = strictly.compute(
        semi_final_2008({"lisa": 1000, "rachel": 2000, "tom": 3000}), ranking="standard"
    )
    assert {row.couple: row.combined for row in night_of.standings} == {
        "rachel": 5.0,
        "tom": 4.0,
        "lisa": 4.0,
    }
    assert night_of.bottom == ("lisa", "tom")
    assert any("Whatever the public vote, tom" in line for line in night_of.explanation)


def test_2008_semi_final_under_dense_points_lets_the_public_save_tom() -> None:
    assert strictly.trapped_couples(semi_final_2008({})) == []
    rescued = strictly.compute(semi_final_2008({"lisa": 1000, "rachel": 2000, "tom": 3000}))
    assert rescued.standings[0].couple == "tom"
    assert "tom" not in rescued.bottom


def test_analogous_trap_with_four_couples() -> None:
    # Three couples tied on top (4, 4, 4) and one far below (1 under the 2008 points): the
    # lowest couple reaches at most 1 + 4 = 5, and two rivals are sure of 4 + 2 and 4 + 3.
    tonight = night({"a": 40, "b": 40, "c": 40, "d": 30}, {})
    assert strictly.trapped_couples(tonight, ranking="standard") == ["d"]
    assert strictly.trapped_couples(tonight) == []


def test_everyone_is_trapped_when_the_bottom_is_the_whole_night() -> None:
    assert strictly.trapped_couples(night({"a": 40, "b": 30}, {})) == ["a", "b"]

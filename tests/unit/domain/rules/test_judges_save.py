"""The ``dwts-judges-save`` rule set: the combined bottom and the judges' save."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ballroom.domain.night import Night
from ballroom.domain.rules import judges_save
from ballroom.errors import InvalidInput, UnknownJudge, UnresolvableTie

PANEL = ("carrie-ann", "derek", "bruno")


def night(
    points: Mapping[str, float],
    votes: dict[str, int],
    *,
    judges: tuple[str, ...] = PANEL,
    eliminate: int = 1,
    **extra: Any,
) -> Night:
    return Night(
        rules="dwts-judges-save",
        couples=tuple(points),
        judges=judges,
        bonus=points,
        votes=votes,
        eliminate=eliminate,
        **extra,
    )


# robert safe; whitney lowest, hilaria second-lowest (as in the docs/interfaces.md example).
POINTS = {"robert": 30, "whitney": 5, "hilaria": 14}
VOTES = {"robert": 210000, "whitney": 80000, "hilaria": 60000}


def test_majority_saves_and_the_other_goes() -> None:
    result = judges_save.compute(
        night(
            POINTS,
            VOTES,
            save_votes={"carrie-ann": "hilaria", "derek": "whitney", "bruno": "hilaria"},
        )
    )
    assert result.rules == "dwts-judges-save"
    assert result.bottom == ("whitney", "hilaria")
    assert result.eliminated == ("whitney",)
    assert result.explanation[-1] == (
        "The judges save hilaria (save votes: hilaria 2, whitney 1); whitney is eliminated."
    )


def test_judges_may_save_the_lowest_couple() -> None:
    result = judges_save.compute(
        night(POINTS, VOTES, save_votes={"carrie-ann": "whitney", "derek": "whitney"})
    )
    assert result.eliminated == ("hilaria",)


def test_split_is_broken_by_the_head_judge() -> None:
    panel = (*PANEL, "guest")
    votes = {"carrie-ann": "whitney", "derek": "hilaria", "bruno": "hilaria", "guest": "whitney"}
    result = judges_save.compute(
        night(POINTS, VOTES, judges=panel, save_votes=votes, head_judge="carrie-ann")
    )
    assert result.eliminated == ("hilaria",)
    assert "head judge carrie-ann's vote saves whitney" in result.explanation[-1]


def test_split_without_head_judge_is_unresolvable() -> None:
    with pytest.raises(UnresolvableTie) as error:
        judges_save.compute(
            night(POINTS, VOTES, save_votes={"carrie-ann": "whitney", "derek": "hilaria"})
        )
    assert error.value.field == "head_judge"


def test_split_where_head_judge_did_not_vote_names_their_vote() -> None:
    with pytest.raises(UnresolvableTie) as error:
        judges_save.compute(
            night(
                POINTS,
                VOTES,
                save_votes={"carrie-ann": "whitney", "derek": "hilaria"},
                head_judge="bruno",
            )
        )
    assert error.value.field == "save_votes.bruno"


def test_save_vote_outside_the_bottom_names_the_judge() -> None:
    with pytest.raises(InvalidInput) as error:
        judges_save.compute(
            night(POINTS, VOTES, save_votes={"carrie-ann": "hilaria", "derek": "robert"})
        )
    assert error.value.field == "save_votes.derek"
    assert "robert" in error.value.message


def test_save_vote_from_a_judge_off_the_panel_is_rejected() -> None:
    with pytest.raises(UnknownJudge) as error:
        judges_save.compute(night(POINTS, VOTES, save_votes={"len": "hilaria"}))
    assert error.value.field == "save_votes.len"


def test_no_save_votes_announces_the_bottom_two_only() -> None:
    result = judges_save.compute(night(POINTS, VOTES))
    assert result.bottom == ("whitney", "hilaria")
    assert result.eliminated == ()
    assert "The judges' save decides between whitney and hilaria" in result.explanation[-1]


def test_double_elimination_saves_one_of_the_bottom_three() -> None:
    points = {"a": 30, "b": 25, "c": 20, "d": 15, "e": 10}
    votes = dict.fromkeys(points, 100)
    result = judges_save.compute(
        night(
            points, votes, eliminate=2, save_votes={"carrie-ann": "e", "derek": "e", "bruno": "c"}
        )
    )
    assert result.bottom == ("e", "d", "c")
    assert result.eliminated == ("d", "c")
    assert result.explanation[0].startswith("Bottom three by combined total (lowest first): e ")


def test_no_elimination_rejects_save_votes() -> None:
    result = judges_save.compute(night(POINTS, VOTES, eliminate=0))
    assert (result.bottom, result.eliminated) == ((), ())
    with pytest.raises(InvalidInput) as error:
        judges_save.compute(night(POINTS, VOTES, eliminate=0, save_votes={"derek": "robert"}))
    assert error.value.field == "save_votes"


def test_exact_tie_across_the_bottom_line_goes_to_the_producers() -> None:
    # d is lowest; b and c are identical, so who joins d in the dance-off is undecided.
    points = {"a": 30, "b": 10, "c": 10, "d": 5}
    votes = {"a": 9, "b": 3, "c": 3, "d": 1}
    result = judges_save.compute(night(points, votes, save_votes={"derek": "d"}))
    assert result.bottom == ("d", "b", "c")
    assert result.eliminated == ()
    assert result.ties == (("b", "c"),)
    assert "producers must decide who dances off" in result.explanation[-1]


def test_equal_combined_at_the_bottom_line_is_explained() -> None:
    # 10/40 + 6/120 = 11/40 + 3/120; b has fewer votes so b is in the bottom two with d.
    points = {"a": 10, "b": 11, "c": 18, "d": 1}
    votes = {"a": 6, "b": 3, "c": 111, "d": 0}
    result = judges_save.compute(night(points, votes))
    assert result.bottom == ("d", "b")
    assert any("fewer viewer votes" in line for line in result.explanation)

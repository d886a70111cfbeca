"""From a season's week to a Night: known scores stay real, the rest is labelled extra."""

from __future__ import annotations

import pytest

from ballroom.domain.weeks import (
    couples_dancing,
    known_points,
    max_points,
    night_for_week,
    plain_number,
    sheet_from_grid,
)
from ballroom.errors import InvalidInput, MissingField, NotFound, UnknownCouple, UnknownJudge
from ballroom.seasons import bundled_season34


def _fill(week: int, default: float) -> dict[str, float]:
    """Known points where known, ``default`` (a stand-in simulated score) elsewhere."""
    known = known_points(bundled_season34(), week)
    return {c: (p if p is not None else default) for c, p in known.items()}


def test_couples_dancing_follow_eliminations() -> None:
    season = bundled_season34()
    assert len(couples_dancing(season, 1)) == 14
    assert "corey" not in couples_dancing(season, 3)
    assert couples_dancing(season, 11) == ("robert", "alix", "elaine", "dylan", "jordan")
    with pytest.raises(NotFound):
        couples_dancing(season, 12)


def test_max_points_counts_judges_and_rounds() -> None:
    season = bundled_season34()
    assert max_points(season, 1) == 20
    assert max_points(season, 5) == 40
    assert max_points(season, season.week(10)) == 60
    assert max_points(season, 11) == 90


def test_known_points_add_the_bonus_only_to_known_scores() -> None:
    season = bundled_season34()
    assert known_points(season, 7)["whitney"] is None
    assert known_points(season, 1)["whitney"] == 15  # the keyed 8, not the paddle's 7


def test_premiere_night_keeps_per_judge_scores_and_published_totals_apart() -> None:
    season = bundled_season34()
    scores = _fill(1, 0)
    night = night_for_week(season, 1, scores=scores, votes={"robert": 100})
    assert night.judges == ("derek", "bruno")
    assert night.eliminate == 0
    assert night.head_judge is None  # Inaba was absent
    (dance,) = night.dances
    assert dance.scores == {
        "whitney": {"derek": 7, "bruno": 8},
        "hilaria": {"derek": 7, "bruno": 7},
    }
    assert night.extra_points["robert"] == 15
    assert "whitney" not in night.extra_points
    assert night.judges_points() == {c: float(v) for c, v in scores.items()}
    assert night.total_votes()["robert"] == 100
    assert night.total_votes()["alix"] == 0


def test_semifinal_totals_and_simulated_scores_go_to_extra_points() -> None:
    season = bundled_season34()
    night = night_for_week(season, 10, scores=_fill(10, 0), votes={})
    assert night.dances == ()
    assert night.extra_points == {
        "robert": 59,
        "whitney": 58,
        "alix": 58,
        "elaine": 57,
        "dylan": 55,
        "jordan": 57,
    }
    assert night.head_judge == "carrie-ann"


def test_bonus_stays_bonus_and_carried_values_pass_through() -> None:
    season = bundled_season34()
    scores = _fill(7, 30)
    scores["whitney"] = 38  # a simulated 33 plus the real +5 marathon bonus
    night = night_for_week(
        season,
        7,
        scores=scores,
        votes={"jen": 10},
        carried_scores={"jen": 4},
        carried_votes={"jen": 5},
        rules="strictly",
    )
    assert night.rules == "strictly"
    assert night.bonus == {"whitney": 5}
    assert night.extra_points["whitney"] == 33
    assert night.judges_points()["whitney"] == 38
    assert night.judges_points()["jen"] == 34
    assert night.total_votes()["jen"] == 15


def test_finale_night_is_final() -> None:
    night = night_for_week(bundled_season34(), 11, scores=_fill(11, 80), votes={})
    assert night.final
    assert night.judges_points()["alix"] == 90


def test_a_real_score_is_never_replaced() -> None:
    scores = _fill(2, 20)
    scores["hilaria"] = 27
    with pytest.raises(InvalidInput, match="known points are 21"):
        night_for_week(bundled_season34(), 2, scores=scores, votes={})


def test_every_dancing_couple_needs_points_and_nobody_else() -> None:
    season = bundled_season34()
    scores = _fill(3, 20)
    del scores["robert"]
    with pytest.raises(MissingField):
        night_for_week(season, 3, scores=scores, votes={})
    with pytest.raises(UnknownCouple):
        night_for_week(season, 3, scores={**_fill(3, 20), "corey": 20}, votes={})
    with pytest.raises(UnknownCouple):
        night_for_week(season, 3, scores=_fill(3, 20), votes={"corey": 3})


def test_points_below_the_bonus_are_refused() -> None:
    scores = _fill(7, 30)
    scores["whitney"] = 4
    with pytest.raises(InvalidInput, match="less than its bonus"):
        night_for_week(bundled_season34(), 7, scores=scores, votes={})


def test_a_whole_sheet_becomes_the_dances_with_plain_numbers() -> None:
    season = bundled_season34()
    week = season.week(10)  # two rounds, three judges
    grid = [
        [[7.0 + (c + r + j) % 3 for j in range(len(week.judges))] for r in range(len(week.rounds))]
        for c in range(len(week.couples))
    ]
    sheet = sheet_from_grid(week.couples, week.rounds, week.judges, grid)
    assert list(sheet) == list(week.rounds)
    night = night_for_week(
        season, week, sheet=sheet, votes={"robert": 7}, carried_votes={"robert": 2}, rules="dwts"
    )
    assert [d.name for d in night.dances] == list(week.rounds)
    first = night.dances[0].scores[week.couples[1]]
    assert first == {week.judges[0]: 8, week.judges[1]: 9, week.judges[2]: 7}
    assert all(type(v) is int for v in first.values())
    assert night.extra_points == {}
    assert night.votes == {c: (7 if c == "robert" else 0) for c in week.couples}
    assert night.total_votes()["robert"] == 9
    assert night.rules == "dwts"


def test_rounds_nobody_scored_are_left_out_and_strangers_refused() -> None:
    season = bundled_season34()
    week = season.week(10)
    first, second = week.rounds
    keyed = {first: {"robert": {"derek": 9.5}}, second: {}}
    night = night_for_week(season, week, sheet=keyed, votes={})
    assert [d.name for d in night.dances] == [first]
    assert night.dances[0].scores == {"robert": {"derek": 9.5}}
    with pytest.raises(UnknownCouple):
        night_for_week(season, week, sheet={first: {"corey": {"derek": 7}}}, votes={})
    with pytest.raises(UnknownJudge):
        night_for_week(season, week, sheet={first: {"robert": {"kym": 7}}}, votes={})


def test_plain_numbers_keep_halves() -> None:
    assert plain_number(7.0) == 7
    assert type(plain_number(7.0)) is int
    assert plain_number(7.5) == 7.5

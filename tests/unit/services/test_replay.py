"""The Season 34 replay: real scores kept, simulated numbers labelled, seeded, rates sane."""

from __future__ import annotations

import json

import pytest

from ballroom.domain.weeks import known_points
from ballroom.errors import InvalidInput, UnknownRules
from ballroom.seasons import bundled_season34, load_season_text
from ballroom.services.replay import RULE_SETS, ReplayConfig, SeasonReplay, replay_season

# Three couples; every score is known; cat scores lowest from every judge in week 1.
TINY_TOML = """\
[season]
id = "tiny"
name = "Tiny season"

[[couples]]
id = "ann"
celebrity = "Ann A"
professional = "Pro P"
keyword = "ANN"

[[couples]]
id = "bob"
celebrity = "Bob B"
professional = "Pro Q"
keyword = "BOB"

[[couples]]
id = "cat"
celebrity = "Cat C"
professional = "Pro R"
keyword = "CAT"

[[judges]]
id = "j1"
name = "Judge One"
head = true

[[judges]]
id = "j2"
name = "Judge Two"

[[judges]]
id = "j3"
name = "Judge Three"

[[weeks]]
number = 1
theme = "Rock & <Roll>"
judges = ["j1", "j2", "j3"]
eliminate = 1
eliminated = ["cat"]

[[weeks.performances]]
couple = "ann"
scores = { j1 = 9, j2 = 9, j3 = 9 }

[[weeks.performances]]
couple = "bob"
scores = { j1 = 8, j2 = 8, j3 = 8 }

[[weeks.performances]]
couple = "cat"
scores = { j1 = 3, j2 = 3, j3 = 3 }

[[weeks]]
number = 2
theme = "Final"
judges = ["j1", "j2", "j3"]
eliminate = 0
finale = true
final_order = ["ann", "bob"]

[[weeks.performances]]
couple = "ann"
scores = { j1 = 10, j2 = 10, j3 = 10 }

[[weeks.performances]]
couple = "bob"
scores = { j1 = 9, j2 = 9, j3 = 9 }
"""


@pytest.fixture(scope="module")
def season34_replay() -> SeasonReplay:
    return replay_season(bundled_season34(), ReplayConfig(seed=11, electorates=12))


def test_same_seed_gives_byte_identical_summary(season34_replay: SeasonReplay) -> None:
    again = replay_season(bundled_season34(), ReplayConfig(seed=11, electorates=12))
    first = json.dumps(season34_replay.summary(), sort_keys=True)
    assert first == json.dumps(again.summary(), sort_keys=True)


def test_another_seed_gives_other_votes(season34_replay: SeasonReplay) -> None:
    other = replay_season(bundled_season34(), ReplayConfig(seed=12, electorates=12))
    votes = [line.votes for week in season34_replay.showcase for line in week.lines]
    assert votes != [line.votes for week in other.showcase for line in week.lines]


def test_electorate_one_does_not_depend_on_how_many_run(season34_replay: SeasonReplay) -> None:
    few = replay_season(bundled_season34(), ReplayConfig(seed=11, electorates=2))
    assert few.showcase == season34_replay.showcase


def test_real_known_scores_are_used(season34_replay: SeasonReplay) -> None:
    weeks = {week.number: week for week in season34_replay.showcase}
    hilaria = next(line for line in weeks[2].lines if line.couple == "hilaria")
    assert hilaria.points == 21
    assert hilaria.points_known
    # Only the split of the published 21 between the three judges is simulated.
    assert hilaria.simulated_scores == 3
    # Every electorate keeps every known total, so their mean is the real one too.
    season = bundled_season34()
    for number, known in ((w.number, known_points(season, w)) for w in season.weeks):
        for couple, points in known.items():
            if points is not None:
                assert season34_replay.mean_points[number][couple] == pytest.approx(points)
    assert season34_replay.mean_points[10]["robert"] == pytest.approx(59)
    assert season34_replay.mean_points[11]["alix"] == pytest.approx(90)


def test_fully_keyed_scores_are_not_simulated(season34_replay: SeasonReplay) -> None:
    premiere = season34_replay.showcase[0]
    whitney = next(line for line in premiere.lines if line.couple == "whitney")
    assert (whitney.points, whitney.simulated_scores, whitney.scores) == (15, 0, 2)


def test_bonus_points_count(season34_replay: SeasonReplay) -> None:
    halloween = next(week for week in season34_replay.showcase if week.number == 7)
    whitney = next(line for line in halloween.lines if line.couple == "whitney")
    assert halloween.bonus == {"whitney": 5}
    # Four judges, one dance, at least 1 point each, plus the marathon's 5.
    assert whitney.points >= 4 + 5


def test_every_week_dances_its_real_cast(season34_replay: SeasonReplay) -> None:
    season = bundled_season34()
    for week in season34_replay.showcase:
        assert {line.couple for line in week.lines} == set(season.week(week.number).couples)
        panel = len(season.week(week.number).judges) * len(season.week(week.number).rounds)
        assert {line.scores for line in week.lines} == {panel}


def test_carry_over_weeks_hand_on_points_and_votes(season34_replay: SeasonReplay) -> None:
    weeks = {week.number: week for week in season34_replay.showcase}
    for before, after in ((1, 2), (5, 6)):
        earlier = {line.couple: line for line in weeks[before].lines}
        for line in weeks[after].lines:
            assert line.carried_points == earlier[line.couple].points
            assert line.carried_votes == earlier[line.couple].votes
    assert all(line.carried_votes == 0 for line in weeks[3].lines)


def test_published_volumes_are_used_and_others_labelled(season34_replay: SeasonReplay) -> None:
    weeks = {week.number: week for week in season34_replay.showcase}
    assert (weeks[4].volume, weeks[4].volume_published) == (40_000_000, True)
    assert (weeks[11].volume, weeks[11].volume_published) == (72_000_000, True)
    assert not weeks[3].volume_published
    for week in weeks.values():
        assert sum(line.votes for line in week.lines) == week.volume


def test_summary_labels_every_simulated_number(season34_replay: SeasonReplay) -> None:
    summary = season34_replay.summary()
    assert "simulated" in summary["labels"]["votes"]
    for week in summary["weeks"]:
        for row in week["showcase"]["standings"]:
            assert row["votes_label"] == "simulated"
            assert row["points_label"] in {"real", "simulated"}
    week2 = next(w for w in summary["weeks"] if w["week"] == 2)
    labels = {r["couple"]: r["points_label"] for r in week2["showcase"]["standings"]}
    assert labels["hilaria"] == "real"
    assert labels["robert"] == "simulated"
    week3 = next(w for w in summary["weeks"] if w["week"] == 3)
    assert week3["showcase"]["volume_label"] == "simulated"


def test_rates_are_shares_of_electorates(season34_replay: SeasonReplay) -> None:
    assert [r.rules for r in season34_replay.reproduction] == list(RULE_SETS)
    for rep in season34_replay.reproduction:
        assert set(rep.weeks) == {2, 3, 4, 6, 7, 8, 9, 10}
        rates = [*rep.weeks.values(), rep.all_eliminations, rep.winner, rep.final_order]
        assert all(0.0 <= rate <= 1.0 for rate in [*rates, rep.whole_order])
        # Each is a count out of 12 electorates.
        assert all((rate * 12) == pytest.approx(round(rate * 12)) for rate in rates)
        assert rep.whole_order <= min(rep.all_eliminations, rep.final_order)
        assert rep.all_eliminations <= min(rep.weeks.values())
        assert rep.final_order <= rep.winner


def test_showcase_outcomes_match_the_real_result_flags(season34_replay: SeasonReplay) -> None:
    for week in season34_replay.showcase:
        for outcome in week.outcomes.values():
            if week.finale:
                assert outcome.reproduced == (outcome.order == week.real_final_order)
            elif week.eliminate:
                assert outcome.reproduced == (set(outcome.eliminated) == set(week.real_eliminated))
                assert len(outcome.eliminated) in {0, week.eliminate}
            else:
                assert outcome.reproduced is None
                assert outcome.eliminated == ()


def test_judges_save_keeps_the_couple_every_judge_scored_higher() -> None:
    season = load_season_text(TINY_TOML, "toml")
    replay = replay_season(season, ReplayConfig(seed=5, electorates=40))
    rates = {rep.rules: rep for rep in replay.reproduction}
    # Cat scores lowest from every judge: in any dance-off the judges send cat home, so a
    # save can only turn a wrong dwts elimination into the right one, never the reverse.
    assert rates["dwts-judges-save"].weeks[1] >= rates["dwts"].weeks[1]
    # The judges alone (skating) always place cat last.
    assert rates["skating"].weeks[1] == 1.0
    assert rates["skating"].winner == 1.0
    week1 = replay.showcase[0]
    for name in ("dwts-judges-save", "strictly", "skating"):
        outcome = week1.outcomes[name]
        if "cat" in outcome.bottom:
            assert outcome.eliminated == ("cat",)


def test_replay_of_a_season_with_every_score_known_simulates_no_score() -> None:
    season = load_season_text(TINY_TOML, "toml")
    replay = replay_season(season, ReplayConfig(seed=1, electorates=3))
    for week in replay.showcase:
        assert all(line.points_known and line.simulated_scores == 0 for line in week.lines)
    assert replay.mean_points[1] == {"ann": 27, "bob": 24, "cat": 9}


def test_bad_configurations_raise_specific_errors() -> None:
    season = bundled_season34()
    with pytest.raises(InvalidInput) as error:
        replay_season(season, ReplayConfig(electorates=0))
    assert error.value.field == "electorates"
    with pytest.raises(UnknownRules):
        replay_season(season, ReplayConfig(rule_sets=("dwts", "borda")))
    with pytest.raises(InvalidInput) as error:
        replay_season(season, ReplayConfig(seed=-1))
    assert error.value.field == "seed"


def test_progress_is_reported_after_each_electorate() -> None:
    seen: list[tuple[int, int]] = []
    replay_season(
        bundled_season34(),
        ReplayConfig(seed=2, electorates=3, rule_sets=("dwts",)),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_most_often_elimination_agrees_with_the_rates(season34_replay: SeasonReplay) -> None:
    summary = season34_replay.summary()
    for rep in season34_replay.reproduction:
        assert set(rep.most_often) == set(rep.weeks)
        for week, (who, share) in rep.most_often.items():
            assert 0 < share <= 1
            real = tuple(sorted(season34_replay.showcase[week - 1].real_eliminated))
            if who == real:
                assert share == pytest.approx(rep.weeks[week])
            else:
                assert share >= rep.weeks[week]
        assert summary["reproduction"][rep.rules]["most_often"].keys() == {
            str(w) for w in rep.weeks
        }

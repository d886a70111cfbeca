"""The keyed score sheet: keyed once, corrected with an audit trail, final once locked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballroom.domain.night import Night
from ballroom.domain.scoring import ScoreSheet
from ballroom.errors import (
    DuplicateScore,
    InvalidInput,
    MissingField,
    NotFound,
    ScoreLocked,
    ScoreOutOfRange,
    UnknownCouple,
    UnknownJudge,
    WrongType,
)
from ballroom.seasons import bundled_season34

T0 = datetime(2025, 9, 16, 20, 0, tzinfo=UTC)
JUDGES = ("carrie-ann", "derek", "bruno")
COUPLES = ("robert", "whitney", "hilaria")


def _sheet(**kwargs: object) -> ScoreSheet:
    return ScoreSheet(judges=JUDGES, couples=COUPLES, **kwargs)  # type: ignore[arg-type]


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_keyed_scores_total_per_couple_and_missing_shrinks() -> None:
    sheet = _sheet()
    assert len(sheet.missing()) == 9
    sheet.key("derek", "whitney", "Dance", 7, _at(1))
    sheet.key("bruno", "whitney", "Dance", 8, _at(2))  # keyed 8 counts, whatever the paddle
    assert sheet.totals() == {"robert": 0.0, "whitney": 15.0, "hilaria": 0.0}
    assert ("carrie-ann", "whitney", "Dance") in sheet.missing()
    assert ("bruno", "whitney", "Dance") not in sheet.missing()
    assert len(sheet.missing()) == 7
    assert sheet.score("bruno", "whitney", "Dance") == 8
    assert sheet.score("bruno", "robert", "Dance") is None
    assert [k.score for k in sheet.keyed] == [7, 8]


def test_keying_the_same_dance_twice_is_a_duplicate() -> None:
    sheet = _sheet()
    sheet.key("bruno", "whitney", "Dance", 8, _at(1))
    with pytest.raises(DuplicateScore, match="already keyed 8"):
        sheet.key("bruno", "whitney", "Dance", 7, _at(2))
    assert sheet.score("bruno", "whitney", "Dance") == 8


def test_correction_before_lock_is_audited() -> None:
    sheet = _sheet()
    sheet.key("bruno", "whitney", "Dance", 8, _at(1))
    entry = sheet.correct(
        "bruno", "whitney", "Dance", 7, _at(3), "keyed the wrong key", by="producer-1"
    )
    assert (entry.old, entry.new, entry.by, entry.at, entry.reason) == (
        8,
        7,
        "producer-1",
        _at(3),
        "keyed the wrong key",
    )
    assert sheet.audit == (entry,)
    assert sheet.totals()["whitney"] == 7
    second = sheet.correct("bruno", "whitney", "Dance", 9, _at(4), "second thoughts")
    assert second.by == "bruno"
    assert len(sheet.audit) == 2


def test_correction_rules() -> None:
    sheet = _sheet()
    with pytest.raises(NotFound):
        sheet.correct("bruno", "whitney", "Dance", 7, _at(1), "why")
    sheet.key("bruno", "whitney", "Dance", 8, _at(1))
    with pytest.raises(MissingField):
        sheet.correct("bruno", "whitney", "Dance", 7, _at(2), "  ")
    with pytest.raises(InvalidInput, match="already 8"):
        sheet.correct("bruno", "whitney", "Dance", 8, _at(2), "same")
    assert sheet.audit == ()


def test_lock_makes_everything_final() -> None:
    sheet = _sheet()
    sheet.key("bruno", "whitney", "Dance", 8, _at(1))
    sheet.lock(_at(10))
    assert sheet.is_locked
    assert sheet.locked_at == _at(10)
    with pytest.raises(ScoreLocked):
        sheet.key("derek", "whitney", "Dance", 7, _at(11))
    with pytest.raises(ScoreLocked):
        sheet.correct("bruno", "whitney", "Dance", 7, _at(11), "too late")
    with pytest.raises(ScoreLocked):
        sheet.lock(_at(12))
    assert sheet.totals()["whitney"] == 8
    assert sheet.audit == ()


def test_lock_cannot_predate_the_last_keyed_score() -> None:
    sheet = _sheet()
    sheet.key("bruno", "whitney", "Dance", 8, _at(5))
    with pytest.raises(WrongType, match="before the last keyed score"):
        sheet.lock(_at(4))
    assert not sheet.is_locked


@pytest.mark.parametrize(
    ("judge", "couple", "round_name", "score", "error"),
    [
        ("len", "robert", "Dance", 8, UnknownJudge),
        ("bruno", "corey", "Dance", 8, UnknownCouple),
        ("bruno", "robert", "Freestyle", 8, InvalidInput),
        ("bruno", "robert", "Dance", 11, ScoreOutOfRange),
        ("bruno", "robert", "Dance", 0, ScoreOutOfRange),
        ("bruno", "robert", "Dance", 7.5, ScoreOutOfRange),
        ("bruno", "robert", "Dance", "8", WrongType),
    ],
)
def test_bad_keys_are_refused(
    judge: str, couple: str, round_name: str, score: float, error: type[Exception]
) -> None:
    sheet = _sheet()
    with pytest.raises(error):
        sheet.key(judge, couple, round_name, score, _at(1))
    assert sheet.keyed == ()


def test_half_points_only_where_allowed() -> None:
    sheet = _sheet(half_points=True)
    assert sheet.key("bruno", "robert", "Dance", 7.5, _at(1)) == 7.5
    with pytest.raises(ScoreOutOfRange):
        sheet.key("derek", "robert", "Dance", 7.25, _at(1))


def test_naive_time_is_refused() -> None:
    with pytest.raises(WrongType, match="timezone-aware"):
        _sheet().key("bruno", "robert", "Dance", 8, datetime(2025, 9, 16, 20, 0))


def test_sheet_needs_a_panel_and_unique_ids() -> None:
    with pytest.raises(MissingField):
        ScoreSheet(judges=(), couples=COUPLES)
    with pytest.raises(InvalidInput):
        ScoreSheet(judges=("a", "a"), couples=COUPLES)


def test_sheet_for_a_season_week_feeds_a_night() -> None:
    season = bundled_season34()
    finale = season.week(11)
    sheet = ScoreSheet.for_week(season, finale)
    assert sheet.rounds == ("Judges' Choice", "Instant Dance", "Freestyle")
    assert len(sheet.missing()) == 3 * 5 * 3
    for minute, judge in enumerate(finale.judges):
        for round_name in sheet.rounds:
            sheet.key(judge, "alix", round_name, 10, _at(minute))
    assert sheet.totals()["alix"] == 90
    night = Night(rules="dwts", couples=finale.couples, judges=finale.judges, dances=sheet.dances())
    assert night.judges_points()["alix"] == 90
    assert night.judges_points()["robert"] == 0


@given(
    st.lists(
        st.tuples(
            st.sampled_from(JUDGES), st.sampled_from(COUPLES), st.integers(1, 10), st.booleans()
        ),
        max_size=30,
    )
)
def test_totals_always_equal_the_sum_of_official_scores(
    actions: list[tuple[str, str, int, bool]],
) -> None:
    sheet = _sheet()
    expected: dict[tuple[str, str], int] = {}
    corrections = 0
    for minute, (judge, couple, score, is_correction) in enumerate(actions):
        key = (judge, couple)
        if key not in expected:
            sheet.key(judge, couple, "Dance", score, _at(minute))
            expected[key] = score
        elif is_correction and expected[key] != score:
            sheet.correct(judge, couple, "Dance", score, _at(minute), "fix")
            expected[key] = score
            corrections += 1
        else:
            with pytest.raises(DuplicateScore):
                sheet.key(judge, couple, "Dance", score, _at(minute))
    totals = {c: float(sum(v for (_, cc), v in expected.items() if cc == c)) for c in COUPLES}
    assert sheet.totals() == totals
    assert len(sheet.audit) == corrections
    assert len(sheet.missing()) == 9 - len(expected)

"""The lock rule: a night locks complete, or with each hole explained by an absent judge."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballroom.domain.locking import check_lock
from ballroom.domain.scoring import ScoreSheet
from ballroom.errors import InvalidInput, ScoresIncomplete, UnknownJudge

JUDGES = ("carrie-ann", "derek", "bruno")
COUPLES = ("robert", "hilaria", "alix")
AT = datetime(2025, 10, 8, tzinfo=UTC)


def _sheet(keyed_by: tuple[str, ...] = JUDGES) -> ScoreSheet:
    sheet = ScoreSheet(judges=JUDGES, couples=COUPLES)
    for judge in keyed_by:
        for couple in COUPLES:
            sheet.key(judge, couple, "Dance", 8, AT)
    return sheet


def test_a_complete_sheet_locks_with_no_absences() -> None:
    assert check_lock(_sheet(), ()) == {}


def test_a_hole_without_an_absent_judge_is_refused() -> None:
    with pytest.raises(ScoresIncomplete, match="3 score\\(s\\) still missing"):
        check_lock(_sheet(("carrie-ann", "derek")), ())


def test_an_absent_judge_with_a_reason_explains_their_holes() -> None:
    sheet = _sheet(("carrie-ann", "derek"))
    assert check_lock(sheet, [("bruno", "  ill  ")]) == {"bruno": "ill"}


@pytest.mark.parametrize(
    ("absences", "error", "field"),
    [
        ([("len", "retired")], UnknownJudge, "absent.0.judge"),
        ([("bruno", " ")], InvalidInput, "absent.0.reason"),
        ([("bruno", "x" * 501)], InvalidInput, "absent.0.reason"),
        ([("bruno", "ill"), ("bruno", "ill")], InvalidInput, "absent.1.judge"),
        ([("bruno", "ill"), ("derek", "late")], InvalidInput, "absent.1.judge"),
    ],
)
def test_wrong_declarations_are_refused_naming_the_field(
    absences: list[tuple[object, object]], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as raised:
        check_lock(_sheet(("carrie-ann", "derek")), absences)
    assert getattr(raised.value, "field", None) == field


@given(st.sets(st.sampled_from(JUDGES)), st.sets(st.sampled_from(JUDGES)))
def test_it_locks_exactly_when_every_missing_judge_is_declared(
    keyed: set[str], declared: set[str]
) -> None:
    sheet = _sheet(tuple(j for j in JUDGES if j in keyed))
    missing = set(JUDGES) - keyed
    try:
        absent = check_lock(sheet, [(j, "away") for j in sorted(declared)])
    except (ScoresIncomplete, InvalidInput):
        assert declared != missing
    else:
        assert set(absent) == declared == missing

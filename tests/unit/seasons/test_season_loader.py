"""Season files: the schema, its validation, and errors that name the line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ballroom.errors import (
    DuplicateScore,
    InvalidInput,
    MalformedDocument,
    MissingField,
    ScoreOutOfRange,
    UnknownCouple,
    UnknownJudge,
    UnknownRules,
    WrongType,
)
from ballroom.seasons import load_season, load_season_text

SMALL_TOML = """\
[season]
id = "demo"
name = "Demo season"

[[couples]]
id = "ann"
celebrity = "Ann A"
professional = "Pro A"
keyword = "ANN"

[[couples]]
id = "bob"
celebrity = "Bob B"
professional = "Pro B"
keyword = "BOB"

[[couples]]
id = "cat"
celebrity = "Cat C"
professional = "Pro C"
keyword = "CAT"

[[judges]]
id = "carrie-ann"
name = "Carrie Ann Inaba"
head = true

[[judges]]
id = "bruno"
name = "Bruno Tonioli"

[[judges]]
id = "guest"
name = "A Guest"
role = "guest"

[[weeks]]
number = 1
date = 2025-09-16
theme = "Premiere"
judges = ["carrie-ann", "bruno"]
eliminate = 0
carry_over = true

[[weeks.performances]]
couple = "ann"
style = "Tango"
scores = { carrie-ann = 7, bruno = 8 }

[[weeks.performances]]
couple = "bob"
total = 12

[[weeks]]
number = 2
date = 2025-09-23
theme = "Finale"
judges = ["carrie-ann", "bruno", "guest"]
rounds = ["First", "Second"]
eliminate = 1
eliminated = ["cat"]
bottom = ["cat", "bob"]
bonus = { bob = 2 }
bonus_reason = "relay win"
totals = { ann = 55 }

[[weeks.performances]]
couple = "bob"
round = "First"
scores = { carrie-ann = 9, bruno = 9, guest = 9 }
"""


def _line(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``fragment``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return hits[occurrence - 1]


def _fails(text: str, error: type[Exception], fmt: str = "toml") -> InvalidInput:
    with pytest.raises(error) as caught:
        load_season_text(text, fmt, source="season.toml")
    assert isinstance(caught.value, InvalidInput)
    return caught.value


def test_small_season_loads_with_derived_couples_and_rounds() -> None:
    season = load_season_text(SMALL_TOML, "toml")
    assert season.id == "demo"
    assert season.rules == "dwts"
    assert season.votes_per_couple == 10
    assert season.head_judge == "carrie-ann"
    first, second = season.weeks
    assert first.date == date(2025, 9, 16)
    assert first.couples == ("ann", "bob", "cat")
    assert first.rounds == ("Dance",)
    assert first.performances[0].scores == {"carrie-ann": 7.0, "bruno": 8.0}
    assert first.performances[0].round == "Dance"
    assert first.performances[1].total == 12
    assert second.rounds == ("First", "Second")
    assert second.totals == {"ann": 55.0}
    assert second.bonus == {"bob": 2.0}
    assert second.eliminated == ("cat",)
    assert season.window_id(second) == "demow02"


def test_yaml_with_the_same_schema_gives_the_same_season() -> None:
    yaml_text = """\
season: {id: demo, name: Demo season}
couples:
  - {id: ann, celebrity: Ann A, professional: Pro A, keyword: ANN}
  - {id: bob, celebrity: Bob B, professional: Pro B, keyword: BOB}
  - {id: cat, celebrity: Cat C, professional: Pro C, keyword: CAT}
judges:
  - {id: carrie-ann, name: Carrie Ann Inaba, head: true}
  - {id: bruno, name: Bruno Tonioli}
  - {id: guest, name: A Guest, role: guest}
weeks:
  - number: 1
    date: 2025-09-16
    theme: Premiere
    judges: [carrie-ann, bruno]
    eliminate: 0
    carry_over: true
    performances:
      - {couple: ann, style: Tango, scores: {carrie-ann: 7, bruno: 8}}
      - {couple: bob, total: 12}
  - number: 2
    date: 2025-09-23
    theme: Finale
    judges: [carrie-ann, bruno, guest]
    rounds: [First, Second]
    eliminate: 1
    eliminated: [cat]
    bottom: [cat, bob]
    bonus: {bob: 2}
    bonus_reason: relay win
    totals: {ann: 55}
    performances:
      - couple: bob
        round: First
        scores: {carrie-ann: 9, bruno: 9, guest: 9}
"""
    assert load_season_text(yaml_text, "yaml") == load_season_text(SMALL_TOML, "toml")


def test_score_eleven_names_file_line_and_field() -> None:
    text = SMALL_TOML.replace(
        "scores = { carrie-ann = 7, bruno = 8 }", "scores = { carrie-ann = 7, bruno = 11 }"
    )
    error = _fails(text, ScoreOutOfRange)
    line = _line(text, "bruno = 11")
    assert error.message == (
        f"season.toml:{line}: weeks[0].performances[0].scores.bruno: score 11 is outside 1-10"
    )
    assert error.field == "weeks[0].performances[0].scores.bruno"


def test_score_in_a_scores_subtable_is_located() -> None:
    text = SMALL_TOML.replace(
        'couple = "bob"\nround = "First"\nscores = { carrie-ann = 9, bruno = 9, guest = 9 }',
        'couple = "bob"\nround = "First"\n\n[weeks.performances.scores]\ncarrie-ann = 9\n'
        "bruno = 0\nguest = 9",
    )
    error = _fails(text, ScoreOutOfRange)
    assert error.message.startswith(
        f"season.toml:{_line(text, 'bruno = 0')}: weeks[1].performances[0].scores.bruno:"
    )


def test_half_point_rejected_unless_the_season_allows_it() -> None:
    text = SMALL_TOML.replace("bruno = 8 }", "bruno = 7.5 }")
    error = _fails(text, ScoreOutOfRange)
    assert "half point" in error.message
    allowed = text.replace('name = "Demo season"', 'name = "Demo season"\nhalf_points = true')
    season = load_season_text(allowed, "toml")
    assert season.weeks[0].performances[0].scores == {"carrie-ann": 7.0, "bruno": 7.5}


def test_unknown_couple_in_a_performance() -> None:
    text = SMALL_TOML.replace('couple = "bob"\ntotal = 12', 'couple = "zed"\ntotal = 12')
    error = _fails(text, UnknownCouple)
    assert error.message == (
        f"season.toml:{_line(text, 'zed')}: weeks[0].performances[1].couple: unknown couple 'zed'"
    )


def test_judge_not_on_the_panel_or_unknown() -> None:
    not_on_panel = SMALL_TOML.replace(
        "scores = { carrie-ann = 7, bruno = 8 }", "scores = { carrie-ann = 7, guest = 8 }"
    )
    assert "not on this week's panel" in _fails(not_on_panel, UnknownJudge).message
    unknown = SMALL_TOML.replace(
        'judges = ["carrie-ann", "bruno"]', 'judges = ["carrie-ann", "len"]'
    )
    error = _fails(unknown, UnknownJudge)
    assert error.message.startswith(f"season.toml:{_line(unknown, 'len')}: weeks[0].judges[1]:")


def test_judge_scoring_twice_in_toml_is_a_duplicate_score_on_its_line() -> None:
    text = SMALL_TOML.replace(
        "scores = { carrie-ann = 7, bruno = 8 }",
        "scores = { carrie-ann = 7, bruno = 8, bruno = 7 }",
    )
    error = _fails(text, DuplicateScore)
    assert error.message.startswith(
        f"season.toml:{_line(text, 'bruno = 7 }')}: weeks[0].performances[0].scores.bruno:"
    )


def test_judge_scoring_twice_in_yaml_is_a_duplicate_score_on_its_line() -> None:
    text = (
        "season: {id: demo, name: Demo}\n"
        "couples:\n"
        "  - {id: ann, celebrity: A, professional: P, keyword: ANN}\n"
        "  - {id: bob, celebrity: B, professional: Q, keyword: BOB}\n"
        "judges: [{id: derek, name: Derek Hough}]\n"
        "weeks:\n"
        "  - number: 1\n"
        "    theme: Premiere\n"
        "    judges: [derek]\n"
        "    eliminate: 1\n"
        "    performances:\n"
        "      - couple: ann\n"
        "        scores:\n"
        "          derek: 7\n"
        "          derek: 9\n"
    )
    with pytest.raises(DuplicateScore) as caught:
        load_season_text(text, "yaml", source="s.yaml")
    assert caught.value.message.startswith("s.yaml:15: weeks[0].performances[0].scores.derek:")


def test_same_couple_and_round_twice_is_a_duplicate() -> None:
    text = SMALL_TOML.replace('couple = "bob"\ntotal = 12', 'couple = "ann"\ntotal = 12')
    assert "already has a performance" in _fails(text, DuplicateScore).message


def test_toml_syntax_error_names_line_and_column() -> None:
    text = SMALL_TOML.replace('theme = "Premiere"', 'theme = "Premiere')
    error = _fails(text, MalformedDocument)
    line = _line(text, 'theme = "Premiere')
    assert error.message.startswith(f"season.toml:{line}: column")


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(MalformedDocument) as caught:
        load_season_text("season: {id: demo\ncouples: [\n", "yaml", source="s.yaml")
    assert caught.value.message.startswith("s.yaml:")
    assert caught.value.message.split(":")[1].isdigit()


def test_empty_yaml_is_malformed() -> None:
    with pytest.raises(MalformedDocument):
        load_season_text("", "yaml")


@pytest.mark.parametrize(
    ("old", "new", "error", "fragment"),
    [
        ('keyword = "BOB"', 'keyword = "ann"', InvalidInput, "already used"),
        ('id = "bob"', 'id = "ann"', InvalidInput, "duplicate couple id"),
        ('id = "bruno"', 'id = "carrie-ann"', InvalidInput, "duplicate judge id"),
        ('name = "A Guest"', 'name = "A Guest"\nhead = true', InvalidInput, "only one head"),
        ("eliminate = 1", "eliminate = 3", InvalidInput, "0, 1 or 2"),
        (
            "eliminate = 0\ncarry_over = true",
            "eliminate = 1\ncarry_over = true",
            InvalidInput,
            "carry-over",
        ),
        ("number = 2", "number = 3", InvalidInput, "out of order"),
        ("date = 2025-09-23", "date = 2025-09-10", InvalidInput, "not after week 1"),
        ('eliminated = ["cat"]', 'eliminated = ["cat", "bob"]', InvalidInput, "but eliminate is 1"),
        (
            'bottom = ["cat", "bob"]',
            'bottom = ["ann", "bob"]',
            InvalidInput,
            "must include the eliminated",
        ),
        ('rules = "x"', "", UnknownRules, ""),
        ('theme = "Finale"', "", MissingField, "missing required field 'theme'"),
        ("eliminate = 0", 'eliminate = "none"', WrongType, "whole number"),
        ("total = 12", "total = 21", ScoreOutOfRange, "outside 2-20"),
        ("totals = { ann = 55 }", "totals = { ann = 61 }", ScoreOutOfRange, "outside 6-60"),
        ('bonus_reason = "relay win"', "", MissingField, "bonus_reason"),
        ("bonus = { bob = 2 }", "bonus = { cat = 2, zed = 1 }", UnknownCouple, "zed"),
        (
            'theme = "Premiere"',
            'theme = "Premiere"\nelimnate = 1',
            InvalidInput,
            "unknown field 'elimnate'",
        ),
        ('round = "First"', 'round = "Third"', InvalidInput, "not one of this week's rounds"),
        ('couple = "bob"\nround = "First"', 'couple = "bob"', MissingField, "round is required"),
        ("date = 2025-09-16", 'date = "16 Sept"', WrongType, "calendar date"),
        ('keyword = "CAT"', 'keyword = "C A T"', WrongType, "letters and digits"),
        ('id = "demo"', 'id = "Demo Season"', WrongType, "lower-case"),
    ],
)
def test_semantic_errors(old: str, new: str, error: type[InvalidInput], fragment: str) -> None:
    if old == 'rules = "x"':
        text = SMALL_TOML.replace('name = "Demo season"', 'name = "Demo season"\nrules = "x"')
    else:
        assert old in SMALL_TOML
        text = SMALL_TOML.replace(old, new, 1)
    caught = _fails(text, error)
    assert fragment in caught.message
    # Every located error reads "FILE:LINE: field: problem".
    source, line, field, _ = caught.message.split(":", 3)
    assert source == "season.toml"
    assert line.isdigit()
    assert field.strip() == caught.field


def test_eliminated_couple_cannot_dance_later() -> None:
    text = (
        SMALL_TOML.replace("eliminate = 0\ncarry_over = true", "eliminate = 1")
        .replace('theme = "Premiere"', 'theme = "Premiere"\neliminated = ["cat"]')
        .replace("totals = { ann = 55 }", 'totals = { ann = 55 }\ncouples = ["ann", "bob", "cat"]')
    )
    text = text.replace('eliminated = ["cat"]\nbottom = ["cat", "bob"]', 'eliminated = ["bob"]')
    error = _fails(text, InvalidInput)
    assert "was eliminated in week 1 and cannot dance in week 2" in error.message
    assert error.field == "weeks[1].couples[2]"


def test_eliminating_a_couple_twice() -> None:
    text = SMALL_TOML.replace("eliminate = 0\ncarry_over = true", "eliminate = 1").replace(
        'theme = "Premiere"', 'theme = "Premiere"\neliminated = ["cat"]'
    )
    error = _fails(text, UnknownCouple)
    assert "already eliminated in week 1" in error.message
    assert error.field == "weeks[1].eliminated[0]"


def test_performance_total_must_match_complete_scores() -> None:
    text = SMALL_TOML.replace('style = "Tango"', 'style = "Tango"\ntotal = 16')
    assert "outside 15-15" in _fails(text, ScoreOutOfRange).message


def test_load_season_picks_the_format_from_the_suffix(tmp_path: Path) -> None:
    toml_file = tmp_path / "season.toml"
    toml_file.write_text(SMALL_TOML, encoding="utf-8")
    assert load_season(toml_file).id == "demo"
    other = tmp_path / "season.txt"
    other.write_text(SMALL_TOML, encoding="utf-8")
    with pytest.raises(MalformedDocument, match="unknown season file type"):
        load_season(other)
    binary = tmp_path / "bad.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(MalformedDocument, match="not UTF-8"):
        load_season(binary)


def test_unknown_format_name() -> None:
    with pytest.raises(MalformedDocument, match="unknown season format"):
        load_season_text(SMALL_TOML, "json")

"""The Skating System, rule by rule, on published worked examples and hand-checked ones.

The rules 5-8 matrices are the worked examples of the WDSF-listed teaching document "The
Skating System" (couples 51-56, 61-66, 71-76, 81-86; the same examples are printed in the
Svenska Danssportförbundet edition of 2024-09-01) and those of the English Wikipedia article
"Skating system". Each step is re-derived in the comments. Rules 9-11 examples are built by
hand, each step checked in the comments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from ballroom.domain.rules.skating import (
    SkatingRequest,
    SkatingResult,
    place_dance,
    place_final,
)
from ballroom.errors import (
    DuplicateScore,
    InvalidInput,
    MissingField,
    ScoreOutOfRange,
    UnknownCouple,
    UnknownRules,
    WrongType,
)


def _judges(count: int) -> list[str]:
    return [f"j{index + 1}" for index in range(count)]


def _matrix(labels: Sequence[str], rows: Sequence[Sequence[int]]) -> dict[str, list[int]]:
    return {label: list(row) for label, row in zip(labels, rows, strict=True)}


def _final(*dances: tuple[str, Mapping[str, Sequence[int]]]) -> SkatingResult:
    """Place a final given (dance name, couple -> marks) pairs, all with the same panel."""
    marks = [
        {
            "dance": name,
            "judges": _judges(len(next(iter(places.values())))),
            "places": {couple: list(row) for couple, row in places.items()},
        }
        for name, places in dances
    ]
    return place_final(SkatingRequest.from_mapping({"rules": "skating", "marks": marks}))


def _unanimous(order: str, judges: int = 3) -> dict[str, list[int]]:
    """Every judge places the couples (one letter each) in ``order``: rule 5 reproduces it."""
    return {couple: [place] * judges for place, couple in enumerate(order, start=1)}


# --------------------------------------------------------------------------- rules 5-8


def test_contract_example_output_is_exact() -> None:
    request = SkatingRequest.from_mapping(
        {
            "rules": "skating",
            "marks": [
                {
                    "dance": "Waltz",
                    "judges": ["A", "B", "C"],
                    "places": {"c1": [1, 2, 1], "c2": [2, 1, 2]},
                }
            ],
        }
    )
    # c1 has two 1st marks of three: the majority (2) for 1st, rule 5.
    assert place_final(request).as_dict() == {
        "rules": "skating",
        "dance_places": {"Waltz": {"c1": 1, "c2": 2}},
        "final_places": {"c1": 1, "c2": 2},
    }


def test_rule_5_official_example() -> None:
    # 5 judges, majority 3. Column 1: 51 has 4 firsts -> 1st. Column 2: 52 has 4 (4,2,2,1,2
    # -> 2,2,1,2) -> 2nd. Column 3: 53 has 3 (3,3,3) -> 3rd. Column 4: 54 has 4 -> 4th.
    # Column 5: 55 has 4 -> 5th; 56 is 6th. Every place is won by a lone majority.
    marks = _matrix(
        ["51", "52", "53", "54", "55", "56"],
        [
            (1, 1, 1, 2, 1),
            (4, 2, 2, 1, 2),
            (3, 3, 3, 5, 4),
            (2, 4, 5, 4, 3),
            (5, 6, 4, 3, 5),
            (6, 5, 6, 6, 6),
        ],
    )
    result = _final(("Waltz", marks))
    assert result.dance_places["Waltz"] == {
        "51": 1,
        "52": 2,
        "53": 3,
        "54": 4,
        "55": 5,
        "56": 6,
    }
    assert set(result.dance_rules["Waltz"].values()) == {"rule 5"}


def test_rule_6_official_example() -> None:
    # 7 judges, majority 4. Column 1: 61 has 4 -> 1st. Column 2: 62 has 5 -> 2nd.
    # Column 3: 63 has 5 and 64 has 4: both majorities, the larger (63) takes 3rd and 64
    # 4th (rule 6). Column 5: 65 has 5, 66 has 4 -> 65 5th, 66 6th (rule 6 again).
    marks = _matrix(
        ["61", "62", "63", "64", "65", "66"],
        [
            (1, 1, 2, 1, 4, 2, 1),
            (6, 2, 1, 5, 2, 1, 2),
            (2, 4, 3, 3, 6, 3, 3),
            (3, 3, 5, 2, 1, 5, 4),
            (4, 5, 6, 4, 3, 6, 5),
            (5, 6, 4, 6, 5, 4, 6),
        ],
    )
    result = _final(("Tango", marks))
    assert result.dance_places["Tango"] == {
        "61": 1,
        "62": 2,
        "63": 3,
        "64": 4,
        "65": 5,
        "66": 6,
    }
    assert result.dance_rules["Tango"]["63"] == "rule 6"
    assert result.dance_rules["Tango"]["65"] == "rule 6"


def test_rule_7_official_example_lower_sum_and_next_column() -> None:
    # 7 judges, majority 4. Column 1: 71 has 4 -> 1st. Column 2: 72 and 73 both have 4;
    # sums 2+2+1+1 = 6 and 1+2+2+2 = 7: the lower sum (72) takes 2nd, 73 3rd (rule 7).
    # Column 4: 74 and 75 both have 4 with the same sum 14 (74: 4,2,4,4; 75: 4,3,3,4), 76
    # only 3. Column 5 for the two alone: 74 has 6, 75 has 5 -> 74 4th, 75 5th (rule 7).
    marks = _matrix(
        ["71", "72", "73", "74", "75", "76"],
        [
            (3, 1, 6, 1, 1, 2, 1),
            (2, 2, 1, 5, 3, 1, 3),
            (1, 5, 4, 2, 2, 6, 2),
            (5, 4, 2, 4, 6, 5, 4),
            (4, 6, 3, 3, 5, 4, 6),
            (6, 3, 5, 6, 4, 3, 5),
        ],
    )
    result = _final(("Foxtrot", marks))
    assert result.dance_places["Foxtrot"] == {
        "71": 1,
        "72": 2,
        "73": 3,
        "74": 4,
        "75": 5,
        "76": 6,
    }
    rules = result.dance_rules["Foxtrot"]
    assert rules["72"] == rules["73"] == "rule 7"
    assert rules["74"] == rules["75"] == "rule 7"
    lines = [line for line in result.explanation if line.startswith("Foxtrot: 74")]
    assert "lower sum" not in lines[0]
    assert "separated in column 5th" in lines[0]
    assert "lower sum" in next(line for line in result.explanation if "Foxtrot: 72" in line)


def test_rule_8_official_example() -> None:
    # 7 judges, majority 4. Columns 1 and 2: nobody has 4 marks (rule 8). Column 3: 81 has
    # 6 and 82 has 4 -> 81 1st, 82 2nd. Column 3 again for 3rd: nobody else has 4; column
    # 4: 83 has 5, 84 has 4 -> 83 3rd, 84 4th. Column 5: 85 has 6, 86 5 -> 5th, 6th.
    marks = _matrix(
        ["81", "82", "83", "84", "85", "86"],
        [
            (3, 3, 3, 2, 5, 2, 3),
            (4, 4, 4, 3, 2, 3, 2),
            (2, 2, 6, 6, 4, 1, 4),
            (1, 6, 1, 5, 1, 4, 6),
            (5, 5, 5, 1, 3, 6, 1),
            (6, 1, 2, 4, 6, 5, 5),
        ],
    )
    result = _final(("Quickstep", marks))
    assert result.dance_places["Quickstep"] == {
        "81": 1,
        "82": 2,
        "83": 3,
        "84": 4,
        "85": 5,
        "86": 6,
    }
    assert result.dance_rules["Quickstep"]["81"] == "rule 8"
    assert result.dance_rules["Quickstep"]["83"] == "rule 8"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # 5 judges, majority 3. Column 1: A 3 firsts -> 1st. Column 2: B (2,1,1) and C
        # (2,2,2) both 3; sums 4 < 6 -> B 2nd, C 3rd (rule 7). Column 4: D has 4, E 3 -> D.
        pytest.param(
            [(1, 1, 1, 5, 2), (2, 3, 3, 1, 1), (3, 2, 2, 2, 5), (4, 4, 5, 3, 3), (5, 5, 4, 4, 4)],
            [1, 2, 3, 4, 5],
            id="multiple-majorities",
        ),
        # Column 1: A 2, B 2, C 1: no majority (rule 8). Column 2: A 4 (sum 6), B 5 (sum 8):
        # the larger majority wins -> B 1st, A 2nd; C 3rd.
        pytest.param(
            [(1, 1, 2, 2, 3), (2, 2, 1, 1, 2), (3, 3, 3, 3, 1)], [2, 1, 3], id="no-majority"
        ),
        # Column 2: B has five 2nds -> 1st. Column 3: A (1,1,3,3) and C (3,1,1... 3,3,1,1)
        # both 4 with sum 8; column 4: both 5 with sum 12: equal to the last column, so they
        # share 2nd-3rd = 2.5 each; D is 4th.
        pytest.param(
            [(1, 1, 3, 3, 4), (2, 2, 2, 2, 2), (3, 3, 4, 1, 1), (4, 4, 1, 4, 3)],
            [2.5, 1, 2.5, 4],
            id="shared-place",
        ),
        # Column 2: B (2,1,2) and C (2,2,1) both 3, sum 5; column 3 the same; column 4: B
        # has 4, C 3 -> B 2nd, C 3rd: C had a majority in column 2 (rule 6: the next place),
        # so D's five 3rds in column 3 do not put D ahead of it. D 4th, E 5th.
        pytest.param(
            [(1, 1, 1, 2, 5), (2, 4, 5, 1, 2), (5, 2, 2, 5, 1), (3, 3, 3, 3, 3), (4, 5, 4, 4, 4)],
            [1, 2, 3, 4, 5],
            id="tied-pair-goes-on-alone",
        ),
    ],
)
def test_wikipedia_single_dance_examples(
    rows: Sequence[Sequence[int]], expected: Sequence[float]
) -> None:
    labels = "ABCDE"[: len(rows)]
    places = place_dance(_judges(len(rows[0])), _matrix(list(labels), rows))
    assert places == dict(zip(labels, expected, strict=True))


def test_shared_place_is_the_mean_and_a_float_in_the_output() -> None:
    rows = [(1, 1, 3, 3, 4), (2, 2, 2, 2, 2), (3, 3, 4, 1, 1), (4, 4, 1, 4, 3)]
    result = _final(("Waltz", _matrix(list("ABCD"), rows)))
    body = result.as_dict()
    assert body["dance_places"]["Waltz"] == {"B": 1, "A": 2.5, "C": 2.5, "D": 4}
    assert isinstance(body["dance_places"]["Waltz"]["B"], int)
    assert result.dance_rules["Waltz"]["A"] == "tie"


def test_even_panel_uses_more_than_half() -> None:
    # 4 judges: the majority is 3, so two 1st marks each are not enough for either couple;
    # column 2 gives both 4 marks, sums 6 and 6: an unbreakable tie, 1.5 each.
    assert place_dance(_judges(4), {"x": [1, 1, 2, 2], "y": [2, 2, 1, 1]}) == {
        "x": 1.5,
        "y": 1.5,
    }
    # With three 1st marks of four, x has the majority.
    assert place_dance(_judges(4), {"x": [1, 1, 1, 2], "y": [2, 2, 2, 1]}) == {"x": 1, "y": 2}


def test_single_couple_and_single_judge() -> None:
    assert place_dance(["solo"], {"only": [1]}) == {"only": 1}
    assert place_dance(["solo"], {"a": [2], "b": [1], "c": [3]}) == {"b": 1, "a": 2, "c": 3}


# --------------------------------------------------------------------------- rules 9-11


def test_rule_9_lowest_total_wins_over_dance_winners() -> None:
    # A wins no dance outright in two of three, but its total 1+2+2 = 5 beats B's 2+1+3 = 6
    # and C's 3+3+1 = 7.
    result = _final(
        ("Waltz", _unanimous("ABC")), ("Tango", _unanimous("BAC")), ("Foxtrot", _unanimous("CAB"))
    )
    assert result.final_places == {"A": 1, "B": 2, "C": 3}
    assert set(result.final_rules.values()) == {"rule 9"}


def test_rule_10_most_dances_at_the_place_under_review() -> None:
    # Totals: A 1+1+1 = 3; B 2+2+4 = 8; C 3+3+2 = 8; D 4+4+3 = 11. B and C tie for 2nd:
    # B is 2nd or better in 2 dances, C in 1 -> B 2nd, C 3rd (rule 10).
    result = _final(
        ("Waltz", _unanimous("ABCD")),
        ("Tango", _unanimous("ABCD")),
        ("Foxtrot", _unanimous("ACDB")),
    )
    assert result.final_places == {"A": 1, "B": 2, "C": 3, "D": 4}
    assert result.final_rules == {"A": "rule 9", "B": "rule 10", "C": "rule 10", "D": "rule 9"}


def test_rule_10_lower_sum_of_those_places() -> None:
    # Totals: A 2+1+1 = 4; B 1+3+5 = 9; C 3+2+4 = 9; D 4+4+2 = 10; E 5+5+3 = 13.
    # B and C tie for 2nd; each is 2nd or better in one dance (B a 1st, C a 2nd): equal, so
    # the lower sum of those places, 1 < 2, gives B 2nd and C 3rd (rule 10).
    result = _final(
        ("Waltz", _unanimous("BACDE")),
        ("Tango", _unanimous("ACBDE")),
        ("Foxtrot", _unanimous("ADECB")),
    )
    assert result.final_places == {"A": 1, "B": 2, "C": 3, "D": 4, "E": 5}
    assert result.final_rules["B"] == result.final_rules["C"] == "rule 10"


def test_rule_10_every_remaining_couple_contests_the_next_place() -> None:
    # Totals: A 3; B 2+2+6 = 10; C 4+4+2 = 10; D 3+3+4 = 10; E 5+5+3 = 13; F 6+6+5 = 17.
    # 2nd: B is 2nd or better in 2 dances, C in 1, D in none -> B. 3rd, for C and D afresh:
    # C is 3rd or better once, D twice -> D 3rd and C 4th, although C led D for 2nd.
    result = _final(
        ("Waltz", _unanimous("ABDCEF")),
        ("Tango", _unanimous("ABDCEF")),
        ("Foxtrot", _unanimous("ACEDFB")),
    )
    assert result.final_places == {"A": 1, "B": 2, "D": 3, "C": 4, "E": 5, "F": 6}
    assert {result.final_rules[c] for c in "BCD"} == {"rule 10"}


def test_rule_11_tie_after_a_shared_dance_place() -> None:
    # Waltz (4 judges): X and Y share 1st-2nd (1.5 each), Z 3rd. Rumba: X, Z, Y. Samba: Y,
    # Z, X. Totals X 1.5 + 1 + 3 = 5.5 = Y; Z 3 + 2 + 2 = 7.
    # Rule 10 for 1st: the shared 1.5 is not "1st or better"; X and Y each have one 1st,
    # sum 1 -> rule 11 on their 12 marks each, majority 7:
    # X (1,1,2,2, 1,1,1,1, 3,3,3,3) and Y (2,2,1,1, 3,3,3,3, 1,1,1,1): column 1 six each, no
    # majority; column 2 eight each, sums 10 and 10; column 3 twelve each, sums 22 and 22:
    # equal to the last column -> they share 1st-2nd, 1.5 each.
    waltz = {"X": [1, 1, 2, 2], "Y": [2, 2, 1, 1], "Z": [3, 3, 3, 3]}
    rumba = {"X": [1, 1, 1, 1], "Y": [3, 3, 3, 3], "Z": [2, 2, 2, 2]}
    samba = {"Y": [1, 1, 1, 1], "X": [3, 3, 3, 3], "Z": [2, 2, 2, 2]}
    result = _final(("Waltz", waltz), ("Rumba", rumba), ("Samba", samba))
    assert result.dance_places["Waltz"] == {"X": 1.5, "Y": 1.5, "Z": 3}
    assert result.final_places == {"X": 1.5, "Y": 1.5, "Z": 3}
    assert result.final_rules == {"X": "tie", "Y": "tie", "Z": "rule 9"}
    assert result.as_dict()["final_places"] == {"X": 1.5, "Y": 1.5, "Z": 3}


def test_rule_11_all_marks_as_one_dance() -> None:
    # Waltz: B (1,1,2) has the majority of 1sts -> 1st; C (2,2,1) 2nd; A 3rd.
    # Tango: C (1,1,1) 1st, B (2,2,2) 2nd, A 3rd. Totals B 3, C 3, A 6.
    # Rule 10 for 1st: B and C each one 1st place, sum 1 each -> rule 11.
    # Rule 11: 6 marks each, majority 4. Column 1: B has 2 firsts, C has 4 -> C 1st, B 2nd.
    waltz = {"B": [1, 1, 2], "C": [2, 2, 1], "A": [3, 3, 3]}
    tango = {"C": [1, 1, 1], "B": [2, 2, 2], "A": [3, 3, 3]}
    result = _final(("Waltz", waltz), ("Tango", tango))
    assert result.dance_places == {
        "Waltz": {"B": 1, "C": 2, "A": 3},
        "Tango": {"C": 1, "B": 2, "A": 3},
    }
    assert result.final_places == {"C": 1, "B": 2, "A": 3}
    assert result.final_rules == {"C": "rule 11", "B": "rule 11", "A": "rule 9"}
    line = next(line for line in result.explanation if line.startswith("final: C"))
    assert "all 6 marks as one dance: 4 1st or better (majority 4)" in line


def test_rule_11_uses_the_column_of_the_place_under_review() -> None:
    # A wins everything (1st, total 2). Waltz: B (2,2,3) 2nd, C (3,3,2) 3rd; Tango: C
    # (2,2,2) 2nd, B (3,3,3) 3rd. D is 4th twice. Totals B 5, C 5: tie for 2nd.
    # Rule 10 for 2nd: one 2nd each, sum 2 each -> rule 11 from column 2: 6 marks each,
    # majority 4: B has 2 marks of 2nd or better, C has 4 -> C 2nd, B 3rd.
    waltz = {"A": [1, 1, 1], "B": [2, 2, 3], "C": [3, 3, 2], "D": [4, 4, 4]}
    tango = {"A": [1, 1, 1], "C": [2, 2, 2], "B": [3, 3, 3], "D": [4, 4, 4]}
    result = _final(("Waltz", waltz), ("Tango", tango))
    assert result.final_places == {"A": 1, "C": 2, "B": 3, "D": 4}
    assert result.final_rules["C"] == "rule 11"


def test_rule_11_single_loser_takes_the_next_place_directly() -> None:
    # Waltz: c0 (1,2,1) 1st, c2 (2,1,3) 2nd, c1 3rd. Tango: c1 (1,2,1) 1st, c2 2nd, c0 3rd.
    # Totals 4, 4, 4. Rule 10 for 1st: c0 and c1 each one 1st (sum 1), c2 none -> c2 is
    # ranked below the tie. Rule 11 between c0 and c1 (6 marks, majority 4): column 1 three
    # each; column 2: c0 4 (sum 5), c1 4 (sum 6) -> c0 1st. c1, the one couple left of that
    # tie, takes 2nd directly: it does not go back to rule 10 against c2 (whose two 2nd
    # places would win a fresh rule 10 contest for 2nd). This is the reading of jUdge
    # (de.fellmann.judge.skating.Calculator) and of the rulebook's Rule 11.
    waltz = {"c0": [1, 2, 1], "c1": [3, 3, 2], "c2": [2, 1, 3]}
    tango = {"c0": [3, 1, 3], "c1": [1, 2, 1], "c2": [2, 3, 2]}
    result = _final(("Waltz", waltz), ("Tango", tango))
    assert result.final_places == {"c0": 1, "c1": 2, "c2": 3}
    assert result.final_rules == {"c0": "rule 11", "c1": "rule 11", "c2": "rule 10"}


def test_unbreakable_tie_shares_the_mean_place() -> None:
    # A is 1st everywhere. B, C and D take 2nd, 3rd and 4th in turn over three dances
    # (a Latin square): totals 9 each, each once 2nd (sum 2) -> rule 10 cannot separate;
    # with unanimous judges their pooled marks are the same multiset -> rule 11 cannot
    # either: they share 2nd-4th, 3 each. E is 5th.
    result = _final(
        ("Waltz", _unanimous("ABCDE")),
        ("Tango", _unanimous("ACDBE")),
        ("Foxtrot", _unanimous("ADBCE")),
    )
    assert result.final_places == {"A": 1, "B": 3, "C": 3, "D": 3, "E": 5}
    assert [result.final_rules[c] for c in "BCD"] == ["tie", "tie", "tie"]
    body = result.as_dict(explain=True)
    assert body["final_places"]["B"] == 3
    assert isinstance(body["final_places"]["B"], int)
    assert any("shares 2nd-4th (3)" in line for line in body["explanation"])


def test_explanation_names_every_couple_of_every_dance_and_the_final() -> None:
    result = _final(("Waltz", _unanimous("ABC")), ("Tango", _unanimous("BAC")))
    assert len(result.explanation) == 3 * 3  # two dances and the final, three couples each
    assert sum(line.startswith("final: ") for line in result.explanation) == 3
    assert "explanation" not in result.as_dict()


# --------------------------------------------------------------------------- validation


def _good() -> dict[str, Any]:
    return {
        "rules": "skating",
        "marks": [
            {
                "dance": "Waltz",
                "judges": ["A", "B", "C"],
                "places": {"c1": [1, 2, 1], "c2": [2, 1, 2]},
            },
            {
                "dance": "Tango",
                "judges": ["A", "B", "C"],
                "places": {"c1": [2, 2, 1], "c2": [1, 1, 2]},
            },
        ],
    }


def _broken(path: str, value: Any) -> dict[str, Any]:
    """The good request with the value at a dotted path (list indexes as numbers) replaced."""
    data = _good()
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DELETE:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "error", "field"),
    [
        ("marks", _DELETE, MissingField, "marks"),
        ("marks", "Waltz", WrongType, "marks"),
        ("marks", [], WrongType, "marks"),
        ("rules", "dwts", UnknownRules, "rules"),
        ("rules", 3, WrongType, "rules"),
        ("marks.0", "Waltz", WrongType, "marks[0]"),
        ("marks.0.dance", _DELETE, MissingField, "marks[0].dance"),
        ("marks.0.dance", "", WrongType, "marks[0].dance"),
        ("marks.1.dance", "Waltz", DuplicateScore, "marks[1].dance"),
        ("marks.0.judges", _DELETE, MissingField, "marks[0].judges"),
        ("marks.0.judges", [], WrongType, "marks[0].judges"),
        ("marks.0.judges", "ABC", WrongType, "marks[0].judges"),
        ("marks.0.judges", ["A", 2, "C"], WrongType, "marks[0].judges[1]"),
        ("marks.0.judges", ["A", "A", "C"], DuplicateScore, "marks[0].judges"),
        ("marks.0.places", _DELETE, MissingField, "marks[0].places"),
        ("marks.0.places", [], WrongType, "marks[0].places"),
        ("marks.0.places", {}, WrongType, "marks[0].places"),
        ("marks.0.places.c2", [2, 1], WrongType, "marks[0].places.c2"),
        ("marks.0.places.c2", [2, 1, 2, 1], WrongType, "marks[0].places.c2"),
        ("marks.0.places.c2", "212", WrongType, "marks[0].places.c2"),
        ("marks.0.places.c2", [2, 1.0, 2], WrongType, "marks[0].places.c2"),
        ("marks.0.places.c2", [2, True, 2], WrongType, "marks[0].places.c2"),
        ("marks.0.places.c2", [2, 3, 2], ScoreOutOfRange, "marks[0].places.c2"),
        ("marks.0.places.c2", [2, 0, 2], ScoreOutOfRange, "marks[0].places.c2"),
        ("marks.0.places.c2", [2, 2, 2], DuplicateScore, "marks[0].places.c2"),
        ("marks.1.places.c2", _DELETE, MissingField, "marks[1].places.c2"),
    ],
)
def test_bad_input_names_the_field(
    path: str, value: Any, error: type[InvalidInput], field: str
) -> None:
    with pytest.raises(error) as caught:
        SkatingRequest.from_mapping(_broken(path, value))
    assert caught.value.field == field


def test_dances_must_have_the_same_couples() -> None:
    data = _good()
    data["marks"][1]["places"] = {"c1": [2, 2, 1], "c2": [1, 1, 2], "c3": [3, 3, 3]}
    with pytest.raises(UnknownCouple) as caught:
        SkatingRequest.from_mapping(data)
    assert caught.value.field == "marks[1].places.c3"
    data["marks"][1]["places"] = {"c1": [1, 1, 1]}
    with pytest.raises(MissingField) as missing:
        SkatingRequest.from_mapping(data)
    assert missing.value.field == "marks[1].places.c2"


def test_duplicate_mark_names_the_judge_and_both_couples() -> None:
    with pytest.raises(DuplicateScore) as caught:
        place_dance(["A", "B"], {"x": [1, 2], "y": [1, 1]})
    assert caught.value.field == "places.y"
    assert "'A'" in caught.value.message
    assert "'x'" in caught.value.message


def test_request_must_be_an_object_and_the_override_wins() -> None:
    with pytest.raises(WrongType) as caught:
        SkatingRequest.from_mapping(["marks"])  # type: ignore[arg-type]
    assert caught.value.field == "$"
    data = _good()
    data["rules"] = "dwts"
    assert SkatingRequest.from_mapping(data, rules="skating").couples == ("c1", "c2")
    del data["rules"]
    assert SkatingRequest.from_mapping(data).rules == "skating"


def test_place_dance_validates_its_arguments() -> None:
    with pytest.raises(WrongType) as caught:
        place_dance([], {"x": []})
    assert caught.value.field == "judges"
    with pytest.raises(ScoreOutOfRange) as out:
        place_dance(["A"], {"x": [2]})
    assert out.value.field == "places.x"

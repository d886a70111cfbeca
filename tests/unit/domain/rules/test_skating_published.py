"""The Skating System against results published elsewhere, each test naming its source.

Sources (marks and expected places transcribed, never code):

- **jUdge** (Hanno Fellmann, 2014, Apache-2.0), an open-source dancesport scrutineering
  library: the examples "Beispiel A" to "P" and two edge cases of its test suite
  ``test/de/fellmann/judge/skating/CalculatorTest.java`` (A-E one dance, rules 5-8; F-K final
  summaries, rules 9 and 10; M, N and P five dances of five judges, rules 10 and 11), every
  dance place and the final place it expects. These are the worked examples of the appendix
  "Majoritätssystem" (Dawson's "The Skating System" in German) of the DTV's Turnier- und
  Sportordnung: dancesport-common-algorithms labels the same sheets "Beispiel A - Regel 5,
  TSO, S. 102" to "Beispiel E - Regel 8" and "Beispiel F - Regel 9a" to "Beispiel K - Regel
  10c".
- **Landestanzsportverband Berlin** (ltv-berlin.de, news item "imported-1046105558"): its
  answer, after a tournament-director training of 12 January 2003, that the TSO appendix's
  example of three couples equal under rule 9, two of them equal under rule 10, is right not
  to send the couple rule 11 leaves back to rule 10: Beispiel N, asserted rule by rule.
- **who-woulda-won** (czlee), ``tests/test_voting/test_relative_placement.py``: two real
  West Coast Swing finals scored by Relative Placement, whose single-dance majority rules are
  Skating System rules 5-8 (it adds a head-to-head step the Skating System does not have; no
  example below reaches it), and its hand-worked rule 6/7 sheets.
- **BallroomSkatingSystem.jl** (sdobber), ``test/runtests.jl``: a seven-judge sheet of its
  testset "Error in sum calculation", and the Wikipedia "clear majority" sheet of its docs.
  Its multi-dance testsets ("Multiple Dances w/o Rule 11", "Rule 11a, 11b, 11c", "Rule 11b",
  "Rule 11d") carry mark for mark the same sheets as jUdge's examples F-K, M, N and P and
  expect the same final places: two independent implementations agree on every expectation
  of those sheets, so they are not repeated.
- **dancesport-common-algorithms** (hielsnoppe, Kotlin), the single-dance sheets of its
  ``FinalDanceScoringProvider``: a scrutineers' training of 5 April 2019, the exercises 4-6 of
  a 2005 tournament-director ("TL") exam, "perfect chaos" and "perfect ordering".
- **showcase** (rubys/showcase, a ballroom showcase scheduler with Skating System
  scrutineering), ``test/models/heat_test.rb``: its rules 9, 10 and 11 examples (couples
  91-98, 101-106 "10B", 111-118), numbered like the teaching document "The Skating System",
  whose rules 5-7 examples (couples 51-76) it carries too.

Several published sheets are deliberately left out. Four have a judge give the same place
twice, which Rule 4 forbids ("a judge must not tie couples for any place") and which
``place_dance`` rightly refuses as bad input: the fourth sheet of the 2019 training in
dancesport-common-algorithms (judge C marks couples 24 and 26 both 3rd; the same file's
unrun ``FinalScoringProvider`` assembles the four training sheets into a final), that file's
unrun "Mozart" final (in the third dance judge E marks couples 1 and 6 both 6th), and
BallroomSkatingSystem.jl's other two "Error in sum calculation" sheets (judge A marks couples
12 and 14 both 5th; judge E marks three couples 7th).

The "Rétro Boréale 2026 Short Showcase" of placerte/skating-system
(``tests/test_skating_rules_audit.py``) expects the places of the column-equals-place reading
that the official note to Rule 6 rules out (its 6th place and its shared 8.5 both depend on
it), so it cannot pass under the rulebook.

showcase's rule 10 example "10A" (three dances; totals 101 5, 102 5, 103 6+4+2 = 12, 104
5+3+4 = 12, 105 14, 106 15) expects 103 and 104 to share 3rd, by its own note's reading that
two couples with the same number of places "3rd or higher" stay tied. Rule 10 goes on: when
the couples have the same number of such places, the place goes to the lower sum of those
places. That is the TSO's example J, labelled "Regel 10b (zweiter Satz)": c2 and c3 tie on 11
for 2nd with three places "2nd or better" each, and c2's sum 4 beats c3's 5 (jUdge and
BallroomSkatingSystem.jl both expect c2 2nd). In 10A, 103's one place "3rd or higher" is a
2nd, 104's a 3rd: 2 < 3, so 103 is 3rd and 104 4th by rule 10 (what ``place_final`` gives),
and rule 11 is never reached. The sheet is kept out rather than asserted against an
expectation that is not the source's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from ballroom.domain.rules.skating import SkatingRequest, place_dance, place_final
from ballroom.errors import DuplicateScore

FIVE_JUDGES = ["A", "B", "C", "D", "E"]


def _digits(row: str) -> list[int]:
    """jUdge writes one couple's marks as a string of digits, one per judge."""
    return [int(mark) for mark in row]


def _by_judge(sheet: Mapping[str, Mapping[str, int]]) -> tuple[list[str], dict[str, list[int]]]:
    """A judge -> couple -> mark sheet as (judges, couple -> marks in judge order)."""
    judges = list(sheet)
    couples = list(sheet[judges[0]])
    return judges, {couple: [sheet[judge][couple] for judge in judges] for couple in couples}


# --------------------------------------------------------------------------- jUdge


def test_judge_beispiel_b_one_dance() -> None:
    # jUdge CalculatorTest, BEISPIEL_B: 6 couples, 5 judges, one dance -> 1..6 in order.
    rows = ["11144", "32211", "25522", "43453", "54335", "66666"]
    places = {f"c{index + 1}": _digits(row) for index, row in enumerate(rows)}
    assert place_dance(FIVE_JUDGES, places) == {f"c{n}": n for n in range(1, 7)}


# jUdge CalculatorTest, BEISPIEL_P: five dances, 6 couples, 5 judges each. Per dance, one
# string of judges' marks per couple c1..c6.
BEISPIEL_P = [
    "22525,33636,45311,11253,66144,54462",
    "12234,31313,25555,44441,66666,53122",
    "11111,23456,34562,45623,52234,66345",
    "33136,11252,45441,56323,22515,64664",
    "26261,44636,15152,63345,51514,32423",
]
# BEISPIEL_P_RESULT: each couple's place in dances 1-5, then the final places.
BEISPIEL_P_DANCE_PLACES = {
    "c1": [2, 1, 1, 3, 2],
    "c2": [4, 3, 4, 1, 6],
    "c3": [3, 5, 4, 5, 1],
    "c4": [1, 4, 4, 4, 5],
    "c5": [5, 6, 2, 2, 4],
    "c6": [6, 2, 6, 6, 3],
}
BEISPIEL_P_FINAL = {"c1": 1, "c2": 2, "c3": 3, "c4": 4, "c5": 5, "c6": 6}


def test_judge_beispiel_p_five_dances() -> None:
    marks = [
        {
            "dance": f"dance {number + 1}",
            "judges": FIVE_JUDGES,
            "places": {f"c{index + 1}": _digits(row) for index, row in enumerate(sheet.split(","))},
        }
        for number, sheet in enumerate(BEISPIEL_P)
    ]
    result = place_final(SkatingRequest.from_mapping({"rules": "skating", "marks": marks}))
    for couple, expected in BEISPIEL_P_DANCE_PLACES.items():
        got = [result.dance_places[f"dance {number + 1}"][couple] for number in range(5)]
        assert got == expected, couple
    assert result.final_places == BEISPIEL_P_FINAL


def test_judge_beispiel_p_dance_1_is_rule_6_next_column() -> None:
    # Dance 1 of BEISPIEL_P is the Rule 6 note in marks. Column 2 places c4 and c1 (2nd and
    # higher, places 1-2); column 3 places c3 and c2 (places 3-4). The next place, 5th, is
    # looked for in the next column, 4: c5 (6,6,1,4,4) and c6 (5,4,4,6,2) both have three
    # marks of 4th or better, sums 9 and 10 -> c5 5th (rule 7). Jumping to column 5 (the
    # column numbered like the place) would give c6 four marks and 5th place: wrong.
    places = {f"c{i + 1}": _digits(row) for i, row in enumerate(BEISPIEL_P[0].split(","))}
    assert place_dance(FIVE_JUDGES, places) == {
        "c4": 1,
        "c1": 2,
        "c3": 3,
        "c2": 4,
        "c5": 5,
        "c6": 6,
    }


# --------------------------------------------------------------------------- who-woulda-won


def test_wcs_final_7_judges_9_couples() -> None:
    # who-woulda-won, test_real_competition_7_judges_9_competitors (a real WCS final).
    # Column 5 places LC_HR and MD_AH (5th, 6th); the 7th is looked for in column 6, where
    # TN_TS alone has the majority of 4, before TL_LD, whose first majority is in column 7.
    sheet = {
        "TK": {"SS_GW": 7, "CL_EA": 3, "JP_FF": 8, "AW_DP": 9, "LC_HR": 1, "MD_AH": 2,
               "TL_LD": 4, "TN_TS": 5, "TM_RP": 6},
        "ZS": {"SS_GW": 2, "CL_EA": 3, "JP_FF": 1, "AW_DP": 4, "LC_HR": 6, "MD_AH": 5,
               "TL_LD": 8, "TN_TS": 9, "TM_RP": 7},
        "RC": {"SS_GW": 3, "CL_EA": 1, "JP_FF": 4, "AW_DP": 5, "LC_HR": 9, "MD_AH": 2,
               "TL_LD": 7, "TN_TS": 6, "TM_RP": 8},
        "CP": {"SS_GW": 1, "CL_EA": 5, "JP_FF": 2, "AW_DP": 4, "LC_HR": 8, "MD_AH": 6,
               "TL_LD": 7, "TN_TS": 3, "TM_RP": 9},
        "KO": {"SS_GW": 2, "CL_EA": 1, "JP_FF": 4, "AW_DP": 8, "LC_HR": 3, "MD_AH": 5,
               "TL_LD": 7, "TN_TS": 6, "TM_RP": 9},
        "JT": {"SS_GW": 2, "CL_EA": 4, "JP_FF": 3, "AW_DP": 1, "LC_HR": 5, "MD_AH": 6,
               "TL_LD": 7, "TN_TS": 8, "TM_RP": 9},
        "MP": {"SS_GW": 4, "CL_EA": 1, "JP_FF": 5, "AW_DP": 3, "LC_HR": 2, "MD_AH": 8,
               "TL_LD": 6, "TN_TS": 7, "TM_RP": 9},
    }  # fmt: skip
    order = ["SS_GW", "CL_EA", "JP_FF", "AW_DP", "LC_HR", "MD_AH", "TN_TS", "TL_LD", "TM_RP"]
    assert place_dance(*_by_judge(sheet)) == {c: n for n, c in enumerate(order, start=1)}


def test_wcs_final_5_judges_10_couples() -> None:
    # who-woulda-won, test_real_competition_5_judges_10_competitors (a real WCS final).
    # Column 7: HC_CB and TM both have 3 (the majority), sums 13 < 18 -> HC_CB 7th, TM 8th;
    # JP_SVH's 4 marks only come in column 8, after TM was placed.
    sheet = {
        "AF": {"MD_FF": 4, "DR_CH": 7, "DS_JZ": 3, "CL_GW": 1, "NE_LJ": 2, "CJ_CH": 5,
               "HC_CB": 9, "JP_SVH": 6, "TL_AS": 8, "TM": 10},
        "AM": {"MD_FF": 2, "DR_CH": 3, "DS_JZ": 8, "CL_GW": 1, "NE_LJ": 6, "CJ_CH": 10,
               "HC_CB": 7, "JP_SVH": 4, "TL_AS": 9, "TM": 5},
        "SP": {"MD_FF": 2, "DR_CH": 6, "DS_JZ": 3, "CL_GW": 5, "NE_LJ": 10, "CJ_CH": 4,
               "HC_CB": 1, "JP_SVH": 8, "TL_AS": 7, "TM": 9},
        "EG": {"MD_FF": 5, "DR_CH": 2, "DS_JZ": 1, "CL_GW": 4, "NE_LJ": 3, "CJ_CH": 6,
               "HC_CB": 10, "JP_SVH": 8, "TL_AS": 9, "TM": 7},
        "AV": {"MD_FF": 2, "DR_CH": 1, "DS_JZ": 10, "CL_GW": 4, "NE_LJ": 8, "CJ_CH": 7,
               "HC_CB": 5, "JP_SVH": 9, "TL_AS": 3, "TM": 6},
    }  # fmt: skip
    order = ["MD_FF", "DR_CH", "DS_JZ", "CL_GW", "NE_LJ", "CJ_CH", "HC_CB", "TM", "JP_SVH",
             "TL_AS"]  # fmt: skip
    assert place_dance(*_by_judge(sheet)) == {c: n for n, c in enumerate(order, start=1)}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # who-woulda-won, quality_of_majority_scoresheet: column 2, A and B 4 each, sums
        # 5 < 7 -> A 1st (rule 7), B 2nd; then C and D.
        pytest.param(
            {"A": [1, 1, 1, 2, 3, 4, 4], "B": [2, 2, 2, 1, 4, 3, 3],
             "C": [3, 4, 3, 3, 1, 2, 1], "D": [4, 3, 4, 4, 2, 1, 2]},
            ["A", "B", "C", "D"],
            id="quality-of-majority",
        ),
        # who-woulda-won, test_greater_majority_tiebreak: column 2, B has 5, A 3 -> B 1st.
        pytest.param(
            {"A": [1, 1, 2, 3, 3], "B": [2, 2, 1, 1, 2], "C": [3, 3, 3, 2, 1]},
            ["B", "A", "C"],
            id="greater-majority",
        ),
        # who-woulda-won, test_quality_of_majority_tied_twice: A and B equal in columns 2
        # and 3 (count and sum); column 4 for the two alone: B 5, A 4 -> B 1st. C's majority
        # in column 3 does not sweep it into the tie.
        pytest.param(
            {"A": [1, 1, 2, 3, 5], "B": [4, 2, 1, 1, 3], "C": [3, 3, 3, 4, 1],
             "D": [2, 4, 5, 5, 2], "E": [5, 5, 4, 2, 4]},
            ["B", "A", "C", "D", "E"],
            id="tied-twice",
        ),
    ],
)  # fmt: skip
def test_wcs_worked_sheets(rows: Mapping[str, Sequence[int]], expected: Sequence[str]) -> None:
    judges = [f"J{index + 1}" for index in range(len(next(iter(rows.values()))))]
    places = place_dance(judges, {couple: list(marks) for couple, marks in rows.items()})
    assert places == {couple: n for n, couple in enumerate(expected, start=1)}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # who-woulda-won conftest, clear_winner: A (1,1,2) has 2 of 3 firsts -> 1st. Column 2:
        # B (2,3,1) has two marks of 2nd or better, C (3,2,3) one -> B 2nd; C 3rd, D 4th.
        pytest.param(
            {"A": [1, 1, 2], "B": [2, 3, 1], "C": [3, 2, 3], "D": [4, 4, 4]},
            {"A": 1, "B": 2, "C": 3, "D": 4},
            id="clear-winner",
        ),
        pytest.param(
            {"A": [1, 1, 1], "B": [2, 2, 2], "C": [3, 3, 3]},
            {"A": 1, "B": 2, "C": 3},
            id="unanimous",
        ),
        pytest.param({"A": [1, 2, 1], "B": [2, 1, 2]}, {"A": 1, "B": 2}, id="two-couples"),
        # perfect_cycle: every couple one 1st, one 2nd, one 3rd: equal in every column, so
        # the three share 1st-3rd, the mean place 2 each ("unresolved tie" there).
        pytest.param(
            {"A": [1, 3, 2], "B": [2, 1, 3], "C": [3, 2, 1]},
            {"A": 2, "B": 2, "C": 2},
            id="perfect-cycle",
        ),
    ],
)
def test_wcs_shared_datasets(
    rows: Mapping[str, Sequence[int]], expected: Mapping[str, float]
) -> None:
    judges = [f"J{index + 1}" for index in range(len(next(iter(rows.values()))))]
    assert place_dance(judges, {c: list(m) for c, m in rows.items()}) == expected


# --------------------------------------------------------------------------- jUdge, A to N
#
# The other examples of jUdge's CalculatorTest ("Beispiel A" to "N", and two edge cases).
# Each dance is one string per couple c1, c2, ...: the judges' marks, a colon, the dance
# place jUdge expects; the last list is the expected final places. Examples F to K give
# every dance one judge, so the marks are the dance places themselves: they exercise
# rules 9 and 10 on a final summary alone.
JUDGE_EXAMPLES = {
    # A-E: one dance, five judges (rules 5-8).
    "A": (["15112:1", "22541:2", "33323:3", "44234:4", "51455:5", "66666:6"],),
    "C": (["11155:1", "22514:2", "55222:3", "33461:4", "44333:5", "66646:6"],),
    "D": (["21511:1", "12255:2", "56122:3", "33336:4", "44464:5", "65643:6"],),
    # E: c2 and c3 equal in every column (rule 7 to the last column) -> 2.5 each.
    "E": (["21511:1", "12255:2.5", "55122:2.5", "33336:4", "44464:5", "66643:6"],),
    # F: five dances, the totals all differ (rule 9).
    "F": (
        ["1:1", "3:3", "2:2", "4:4", "5:5", "6:6"],
        ["2:2", "1:1", "3:3", "4:4", "5:5", "6:6"],
        ["1:1", "2:2", "3:3", "4:4", "5:5", "6:6"],
        ["2:2", "1:1", "3:3", "4:4", "5:5", "6:6"],
        ["2:2", "4:4", "3:3", "1:1", "6:6", "5:5"],
    ),
    # G: four dances; totals tie in pairs, rule 10 (most places "kth or better", then
    # the lower sum of those places) orders each pair: c4 before c3, c6 before c5.
    "G": (
        ["1:1", "3:3", "2:2", "4:4", "6:6", "5:5"],
        ["1:1", "3:3", "5:5", "2:2", "6:6", "4:4"],
        ["2:2", "1:1", "4:4", "3:3", "5:5", "6:6"],
        ["5:5", "2:2", "4:4", "6:6", "1:1", "3:3"],
    ),
    # H, J: five dances, two pairs of equal totals (H: 15 and 21; J: 11 and 23), each
    # pair ordered by rule 10. In J, c2 (3, 4, 1, 2, 1) and c3 (2, 2, 3, 1, 3) both have
    # three places "2nd or better"; the lower sum of those places, 4 < 5, gives c2 2nd.
    "H": (
        ["3:3", "2:2", "1:1", "4:4", "5:5", "6:6"],
        ["1:1", "2:2", "4:4", "5:5", "3:3", "6:6"],
        ["1:1", "3:3", "2:2", "6:6", "5:5", "4:4"],
        ["1:1", "2:2", "5:5", "4:4", "3:3", "6:6"],
        ["1:1", "6:6", "3:3", "2:2", "5:5", "4:4"],
    ),
    "J": (
        ["1:1", "3:3", "2:2", "6:6", "5:5", "4:4"],
        ["1:1", "4:4", "2:2", "3:3", "5:5", "6:6"],
        ["2:2", "1:1", "3:3", "4:4", "5:5", "6:6"],
        ["3:3", "2:2", "1:1", "5:5", "4:4", "6:6"],
        ["2:2", "1:1", "3:3", "5:5", "4:4", "6:6"],
    ),
    # K: c2-c5 all total 17. Rule 10, 2nd: c2 has three places "2nd or better" -> 2nd;
    # 3rd: c3 and c5 three each, sums 5 < 8 -> c3; 4th: c4 five "4th or better" to c5's
    # four -> c4; c5 5th.
    "K": (
        ["2:2", "1:1", "6:6", "4:4", "5:5", "3:3"],
        ["1:1", "2:2", "6:6", "4:4", "3:3", "5:5"],
        ["5:5", "2:2", "1:1", "4:4", "3:3", "6:6"],
        ["3:3", "6:6", "1:1", "4:4", "2:2", "5:5"],
        ["2:2", "6:6", "3:3", "1:1", "4:4", "5:5"],
    ),
    # M: five dances, five judges; dance 3 has shared places (1.5, 5.5). c1 and c2 tie on
    # the total and on rule 10, rule 11 (all 25 marks as one dance) puts c2 first; so too
    # c5 and c6 for 5th, where rule 11 puts c6 first.
    "M": (
        ["11253:1", "22525:2", "45311:3", "33636:4", "66144:5", "54462:6"],
        ["12234:1", "53122:2", "31313:3", "44441:4", "25555:5", "66666:6"],
        ["11223:1.5", "32112:1.5", "53361:3", "26634:4", "44556:5.5", "65445:5.5"],
        ["22515:2", "11252:1", "56323:4", "33136:3", "64664:6", "45441:5"],
        ["26261:2", "15152:1", "32424:4", "51513:3", "44636:6", "63345:5"],
    ),
    # N: five dances, five judges; in dance 3, c2, c3 and c4 are equal in every column
    # (rule 7 to the last) and share 3rd-5th, 4 each. The final needs rule 10 for c4 and
    # rule 11 for c2 and c3 (test_judge_beispiel_n_rule_11_loser_is_not_sent_back below).
    "N": (
        ["11253:1", "22525:2", "33636:4", "45311:3", "66144:5", "54462:6"],
        ["12234:1", "53122:2", "44441:4", "31313:3", "25555:5", "66666:6"],
        ["11111:1", "23456:4", "34562:4", "45623:4", "52234:2", "66345:6"],
        ["11252:1", "56323:4", "22515:2", "33136:3", "45441:5", "64664:6"],
        ["15152:1", "32424:4", "26261:2", "51513:3", "63345:5", "44636:6"],
    ),
    # Edge 1: one couple, one judge, one dance.
    "edge-1": (["1:1"],),
    # Edge 2: five couples, one judge, five dances in a cycle: every couple totals 15 and
    # is equal under rules 10 and 11 -> all share 1st-5th, 3 each.
    "edge-2": (
        ["1:1", "2:2", "3:3", "4:4", "5:5"],
        ["2:2", "3:3", "4:4", "5:5", "1:1"],
        ["3:3", "4:4", "5:5", "1:1", "2:2"],
        ["4:4", "5:5", "1:1", "2:2", "3:3"],
        ["5:5", "1:1", "2:2", "3:3", "4:4"],
    ),
}
JUDGE_FINALS = {
    "A": [1, 2, 3, 4, 5, 6],
    "C": [1, 2, 3, 4, 5, 6],
    "D": [1, 2, 3, 4, 5, 6],
    "E": [1, 2.5, 2.5, 4, 5, 6],
    "F": [1, 2, 3, 4, 5, 6],
    "G": [1, 2, 4, 3, 6, 5],
    "H": [1, 2, 3, 4, 5, 6],
    "J": [1, 2, 3, 4, 5, 6],
    "K": [1, 2, 3, 4, 5, 6],
    "M": [2, 1, 3, 4, 6, 5],
    "N": [1, 2, 3, 4, 5, 6],
    "edge-1": [1],
    "edge-2": [3, 3, 3, 3, 3],
}


def _judge_example(name: str) -> tuple[SkatingRequest, dict[str, dict[str, float]]]:
    """One of JUDGE_EXAMPLES as a request, and the dance places jUdge expects."""
    marks = []
    expected_dances = {}
    for number, dance in enumerate(JUDGE_EXAMPLES[name]):
        cells = [cell.split(":") for cell in dance]
        title = f"dance {number + 1}"
        marks.append(
            {
                "dance": title,
                "judges": [f"J{index + 1}" for index in range(len(cells[0][0]))],
                "places": {f"c{i + 1}": _digits(row) for i, (row, _) in enumerate(cells)},
            }
        )
        expected_dances[title] = {f"c{i + 1}": float(place) for i, (_, place) in enumerate(cells)}
    return SkatingRequest.from_mapping({"rules": "skating", "marks": marks}), expected_dances


@pytest.mark.parametrize("name", list(JUDGE_EXAMPLES))
def test_judge_calculator_examples(name: str) -> None:
    request, expected_dances = _judge_example(name)
    result = place_final(request)
    assert {title: dict(places) for title, places in result.dance_places.items()} == (
        expected_dances
    )
    final = {f"c{i + 1}": place for i, place in enumerate(JUDGE_FINALS[name])}
    assert result.final_places == final


def test_judge_beispiel_n_rule_11_loser_is_not_sent_back() -> None:
    # Beispiel N is the TSO appendix's example of three couples equal under rule 9, two of
    # them equal under rule 10. Totals: c2 2+2+4+4+4 = 16, c3 4+4+4+2+2 = 16, c4 3+3+4+3+3
    # = 16. 2nd: c2 and c3 have two places "2nd or better" each, sums 4 and 4; c4 none ->
    # rule 11 between c2 and c3 alone: c2 2nd. c3, the couple rule 11 left, takes 3rd: sent
    # back to rule 10 against c4 for 3rd it would lose (two places "3rd or better" to c4's
    # four). The Landestanzsportverband Berlin answered exactly this question from its
    # tournament-director training of 12 January 2003 ("why, after rule 11 between the two
    # couples equal under rule 10, not back to rule 10?"), with a text by Hendrik Heneke
    # showing "that the example on this in the appendix of the TSO is right"
    # (ltv-berlin.de, news item "imported-1046105558").
    result = place_final(_judge_example("N")[0])
    assert [result.final_places[c] for c in ("c2", "c3", "c4")] == [2, 3, 4]
    assert result.final_rules["c2"] == result.final_rules["c3"] == "rule 11"
    assert result.final_rules["c4"] == "rule 10"


# --------------------------------------------------------------------------- showcase
#
# rubys/showcase (a ballroom showcase scheduler with Skating System scrutineering),
# test/models/heat_test.rb: its rules 9, 10 and 11 examples (couples 91-98, 101-106,
# 111-118). Its rules 5-7 examples are the teaching document's, which test_skating.py
# already carries.


def _summary(places: Mapping[str, Sequence[int]]) -> SkatingRequest:
    """A final summary as a request: one judge per dance, whose marks are the dance places."""
    dances = len(next(iter(places.values())))
    marks = [
        {
            "dance": f"dance {number + 1}",
            "judges": ["J1"],
            "places": {couple: [row[number]] for couple, row in places.items()},
        }
        for number in range(dances)
    ]
    return SkatingRequest.from_mapping({"rules": "skating", "marks": marks})


def test_showcase_rule_9_final_summary() -> None:
    # Rule 9 example: five dances (W, T, V, F, Q), eight couples, every total different
    # (5, 12, 14, 25, 26, 28, 30, 40): the lowest total wins, and so on.
    result = place_final(
        _summary(
            {
                "91": [1, 1, 1, 1, 1],
                "92": [4, 2, 2, 2, 2],
                "93": [2, 3, 3, 3, 3],
                "94": [5, 5, 6, 4, 5],
                "95": [3, 4, 5, 7, 7],
                "96": [6, 7, 4, 5, 6],
                "97": [7, 6, 7, 6, 4],
                "98": [8, 8, 8, 8, 8],
            }
        )
    )
    assert result.final_places == {str(90 + n): n for n in range(1, 9)}
    assert set(result.final_rules.values()) == {"rule 9"}


def test_showcase_rule_10_place_under_review_column() -> None:
    # Rule 10 example "10B": four dances (W, T, F, Q). Totals: 101 12, 102 12, 103 12, 104
    # 12, 105 18, 106 18. 1st: 101 has two 1sts, 103 and 104 one each, 102 none -> 101. 2nd:
    # 102 has three places "2nd or better", 103 two -> 102. 3rd: 103 (2, 1, 3) three, 104
    # (3, 1) two -> 103; 104 4th. 5th: 105 (5, 3, 5, 5) four places "5th or better", 106
    # (4, 5, 3) three -> 105. Counting from 1st at every place instead would give 106
    # (a 3rd and a 4th) 5th, as the showcase test's own note observes.
    result = place_final(
        _summary(
            {
                "101": [1, 6, 4, 1],
                "102": [6, 2, 2, 2],
                "103": [2, 1, 6, 3],
                "104": [3, 4, 1, 4],
                "105": [5, 3, 5, 5],
                "106": [4, 5, 3, 6],
            }
        )
    )
    assert result.final_places == {str(100 + n): n for n in range(1, 7)}
    assert set(result.final_rules.values()) == {"rule 10"}


SHOWCASE_RULE_11 = {
    # Five judges a-e; per dance, each couple's marks from judges a to e.
    "Waltz": {
        "111": "25664", "112": "68157", "113": "83288", "114": "74332",
        "115": "11526", "116": "42411", "117": "57873", "118": "36745",
    },
    "Tango": {
        "111": "36554", "112": "78387", "113": "85468", "114": "63133",
        "115": "11245", "116": "52622", "117": "27771", "118": "44816",
    },
}  # fmt: skip


def test_showcase_rule_11_two_dances() -> None:
    # Rule 11 example: two dances, five judges, eight couples. Dance places: Waltz 116,
    # 115, 114, 111, 118, 112, 117, 113; Tango 115, 116, 114, 118, 111, 113, 117, 112.
    # Totals: 115 and 116 3 each; 114 6; 111 and 118 9; 112, 113 and 117 14.
    # 1st: 115 and 116 each one 1st (sum 1): rule 11 on their ten marks -> 115.
    # 4th: 111 (4, 5) and 118 (5, 4) equal under rule 10 -> rule 11 -> 111.
    # 6th: 112 and 113 one 6th each, 117 none; rule 11 between 112 and 113 -> 112 6th,
    # and 113, the one rule 11 left, takes 7th directly; 117 8th (rule 10 had put it
    # below both).
    marks = [
        {
            "dance": dance,
            "judges": FIVE_JUDGES,
            "places": {couple: _digits(row) for couple, row in rows.items()},
        }
        for dance, rows in SHOWCASE_RULE_11.items()
    ]
    result = place_final(SkatingRequest.from_mapping({"rules": "skating", "marks": marks}))
    assert result.dance_places["Waltz"] == {
        "116": 1, "115": 2, "114": 3, "111": 4, "118": 5, "112": 6, "117": 7, "113": 8,
    }  # fmt: skip
    assert result.dance_places["Tango"] == {
        "115": 1, "116": 2, "114": 3, "118": 4, "111": 5, "113": 6, "117": 7, "112": 8,
    }  # fmt: skip
    assert result.final_places == {
        "115": 1, "116": 2, "114": 3, "111": 4, "118": 5, "112": 6, "113": 7, "117": 8,
    }  # fmt: skip
    assert result.final_rules["113"] == "rule 11"


# ------------------------------------------------------------------ BallroomSkatingSystem.jl


def test_julia_seven_judges_seven_couples() -> None:
    # BallroomSkatingSystem.jl, testset "Error in sum calculation", second sheet (a
    # regression sheet for the sums of rule 7): 7 judges A-G, couples 11-17, expected
    # places 3, 2, 4, 1, 5, 6, 7.
    by_judge = {
        "A": [6, 3, 5, 1, 7, 4, 2],
        "B": [1, 2, 4, 3, 5, 7, 6],
        "C": [1, 2, 4, 3, 5, 6, 7],
        "D": [7, 6, 5, 4, 3, 2, 1],
        "E": [3, 2, 1, 4, 5, 6, 7],
        "F": [2, 4, 3, 1, 5, 6, 7],
        "G": [4, 3, 2, 1, 5, 6, 7],
    }
    couples = [str(number) for number in range(11, 18)]
    places = {c: [marks[i] for marks in by_judge.values()] for i, c in enumerate(couples)}
    expected = [3, 2, 4, 1, 5, 6, 7]
    assert place_dance(list(by_judge), places) == dict(zip(couples, expected, strict=True))


def test_julia_wikipedia_clear_majority() -> None:
    # BallroomSkatingSystem.jl, testset "Individual Dances" (results3) and its docs, "Results
    # with a Clear Majority for Each Place", after Wikipedia: 11 has three 1sts -> 1st; 12
    # has four "2nd or better" -> 2nd; 13 3rd.
    places = {"11": [1, 1, 2, 1, 2], "12": [2, 2, 1, 3, 1], "13": [3, 3, 3, 2, 3]}
    assert place_dance(FIVE_JUDGES, places) == {"11": 1, "12": 2, "13": 3}


def test_julia_sheets_with_a_judge_tying_couples_are_refused() -> None:
    # BallroomSkatingSystem.jl, "Error in sum calculation", first sheet: judge A marks
    # couples 12 and 14 both 5th. Rule 4: a judge must not tie couples for any place.
    by_judge = {
        "A": [2, 5, 4, 5, 6, 1],
        "B": [1, 5, 5, 3, 6, 1],
        "C": [2, 3, 5, 4, 6, 1],
        "D": [1, 4, 3, 5, 6, 1],
        "E": [2, 3, 4, 4, 6, 1],
    }
    places = {str(11 + i): [marks[i] for marks in by_judge.values()] for i in range(6)}
    with pytest.raises(DuplicateScore):
        place_dance(list(by_judge), places)


# ---------------------------------------------------------------- dancesport-common-algorithms
#
# hielsnoppe/dancesport-common-algorithms (Kotlin), the single-dance sheets of its tested
# provider src/jvmTest/.../ranking/FinalDanceScoringProvider.kt beyond jUdge's: "Beispiele aus
# der Schulung vom 5. April 2019" (a scrutineers' training), "Prüfung TL 2005, Übungsaufgabe
# 4, 5, 6, Regel 1 bis 9" (exercises of a 2005 tournament-director exam: two five-dance
# finals of seven and five judges, and one dance), and its "perfect chaos" and "perfect
# ordering" sheets. Each cell: couple, the judges' marks, the place it expects (a shared
# range as the mean: 2nd-3rd -> 2.5).
COMMON_ALGORITHMS_SHEETS = {
    "schulung-2019-1": [
        "21 65643 6",
        "22 44464 5",
        "23 56122 3",
        "24 33336 4",
        "25 12255 2",
        "26 21511 1",
    ],
    "schulung-2019-2": [
        "21 42562 4",
        "22 65411 2",
        "23 24155 3",
        "24 11323 1",
        "25 56234 5",
        "26 33646 6",
    ],
    "schulung-2019-3": [
        "21 11252 1",
        "22 45441 5",
        "23 22515 2",
        "24 56323 4",
        "25 64664 6",
        "26 33136 3",
    ],
    "tl-2005-4-dance-1": [
        "54 4132112 1",
        "58 5445653 5",
        "60 6256466 6",
        "61 1521244 2",
        "68 2614331 3",
        "77 3363525 4",
    ],
    "tl-2005-4-dance-2": [
        "54 3132112 1",
        "58 5645544 5",
        "60 6456466 6",
        "61 1321253 2.5",
        "68 2513321 2.5",
        "77 4264635 4",
    ],
    "tl-2005-4-dance-3": [
        "54 3131112 1",
        "58 5645554 4",
        "60 6456466 6",
        "61 2212243 2",
        "68 1324321 3",
        "77 4563635 5",
    ],
    "tl-2005-4-dance-4": [
        "54 3131122 1",
        "58 5645545 4",
        "60 6356466 6",
        "61 2412233 3",
        "68 1224311 2",
        "77 4563654 5",
    ],
    "tl-2005-4-dance-5": [
        "54 3131212 2",
        "58 5656655 6",
        "60 6345466 5",
        "61 2422333 3",
        "68 1213121 1",
        "77 4564544 4",
    ],
    "tl-2005-5-dance-1": [
        "42 36252 2",
        "45 53533 3",
        "46 14624 4",
        "51 22361 1",
        "53 45146 6",
        "54 61415 5",
    ],
    "tl-2005-5-dance-2": [
        "42 44252 3",
        "45 53531 2",
        "46 16626 6",
        "51 32464 4",
        "53 65345 5",
        "54 21113 1",
    ],
    "tl-2005-5-dance-3": [
        "42 45243 3",
        "45 53554 5",
        "46 14626 4",
        "51 32462 2",
        "53 66335 6",
        "54 21111 1",
    ],
    "tl-2005-5-dance-4": [
        "42 24243 2",
        "45 53434 3",
        "46 15615 5",
        "51 42562 4",
        "53 66356 6",
        "54 31121 1",
    ],
    "tl-2005-5-dance-5": [
        "42 33244 2",
        "45 54333 3",
        "46 25625 5",
        "51 42452 4",
        "53 66566 6",
        "54 11111 1",
    ],
    "tl-2005-6": [
        "41 15243 3",
        "43 53566 6",
        "49 64454 5",
        "50 31125 2",
        "51 42311 1",
        "53 26632 4",
    ],
    "perfect-chaos": ["101 12345 3", "102 51234 3", "103 45123 3", "104 34512 3", "105 23451 3"],
    "perfect-ordering": ["101 11111 1", "102 22222 2", "103 33333 3", "104 44444 4", "105 55555 5"],
}


@pytest.mark.parametrize("name", list(COMMON_ALGORITHMS_SHEETS))
def test_common_algorithms_single_dance_sheets(name: str) -> None:
    cells = [cell.split() for cell in COMMON_ALGORITHMS_SHEETS[name]]
    judges = [f"J{index + 1}" for index in range(len(cells[0][1]))]
    places = {couple: _digits(marks) for couple, marks, _ in cells}
    expected = {couple: float(place) for couple, _, place in cells}
    assert place_dance(judges, places) == expected

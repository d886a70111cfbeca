"""Invariants of the Skating System over random, valid finals (every judge a permutation)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ballroom.domain.rules.skating import SkatingRequest, SkatingResult, place_final

DANCES = ("Waltz", "Tango", "Foxtrot", "Quickstep")


@st.composite
def finals(draw: st.DrawFn, *, min_couples: int = 1) -> dict[str, Any]:
    """A valid request: 1-4 dances, 1-7 judges each, 1-7 couples, whole permutations."""
    couples = [f"c{index}" for index in range(draw(st.integers(min_couples, 7)))]
    marks = []
    for dance in DANCES[: draw(st.integers(1, len(DANCES)))]:
        judges = [f"j{index}" for index in range(draw(st.integers(1, 7)))]
        columns = [draw(st.permutations(range(1, len(couples) + 1))) for _ in judges]
        places = {couple: [column[row] for column in columns] for row, couple in enumerate(couples)}
        marks.append({"dance": dance, "judges": judges, "places": places})
    return {"rules": "skating", "marks": marks}


def _place(data: dict[str, Any]) -> SkatingResult:
    return place_final(SkatingRequest.from_mapping(data))


def _is_places_with_means(places: dict[str, float]) -> bool:
    """Places 1..n where each shared block holds the mean of the places it covers."""
    values = sorted(places.values())
    index = 0
    while index < len(values):
        size = values.count(values[index])
        first = index + 1
        if values[index] != first + (size - 1) / 2:
            return False
        index += size
    return True


@settings(max_examples=300, deadline=None)
@given(finals())
def test_places_are_a_permutation_with_means(data: dict[str, Any]) -> None:
    result = _place(data)
    count = len(result.final_places)
    assert sum(result.final_places.values()) == count * (count + 1) / 2
    assert _is_places_with_means(dict(result.final_places))
    for places in result.dance_places.values():
        assert sum(places.values()) == count * (count + 1) / 2
        assert _is_places_with_means(dict(places))
    assert set(result.final_rules) == set(result.final_places)
    # "tie" is named exactly for the couples that share their final place.
    values = list(result.final_places.values())
    for couple, place in result.final_places.items():
        assert (result.final_rules[couple] == "tie") == (values.count(place) > 1)


@st.composite
def orders(draw: st.DrawFn) -> tuple[list[str], int, int]:
    """A finishing order of 1-6 couples, a panel size and a number of dances."""
    couples = [f"c{index}" for index in range(draw(st.integers(1, 6)))]
    return draw(st.permutations(couples)), draw(st.integers(1, 7)), draw(st.integers(1, 4))


@settings(max_examples=150, deadline=None)
@given(orders())
def test_unanimous_judges_reproduce_their_order(drawn: tuple[list[str], int, int]) -> None:
    order, judges, dances = drawn
    data = {
        "marks": [
            {
                "dance": DANCES[index],
                "judges": [f"j{j}" for j in range(judges)],
                "places": {couple: [place] * judges for place, couple in enumerate(order, 1)},
            }
            for index in range(dances)
        ]
    }
    result = _place(data)
    expected = {couple: place for place, couple in enumerate(order, 1)}
    assert result.final_places == expected
    assert all(places == expected for places in result.dance_places.values())


@settings(max_examples=200, deadline=None)
@given(finals(), st.randoms(use_true_random=False))
def test_relabelling_and_reordering_couples_changes_nothing(
    data: dict[str, Any], random: Any
) -> None:
    couples = list(data["marks"][0]["places"])
    new_names = [f"n{index}" for index in range(len(couples))]
    random.shuffle(new_names)
    rename = dict(zip(couples, new_names, strict=True))
    shuffled = []
    for dance in data["marks"]:
        items = list(dance["places"].items())
        random.shuffle(items)
        shuffled.append({**dance, "places": {rename[c]: marks for c, marks in items}})
    before = _place(data)
    after = _place({"rules": "skating", "marks": shuffled})
    assert after.final_places == {rename[c]: p for c, p in before.final_places.items()}
    assert after.final_rules == {rename[c]: r for c, r in before.final_rules.items()}
    for dance, places in before.dance_places.items():
        assert after.dance_places[dance] == {rename[c]: p for c, p in places.items()}


@settings(max_examples=200, deadline=None)
@given(finals(min_couples=2), st.data())
def test_a_couple_every_judge_places_first_wins(data: dict[str, Any], draw: st.DataObject) -> None:
    couples = list(data["marks"][0]["places"])
    star = draw.draw(st.sampled_from(couples))
    for dance in data["marks"]:
        places = dance["places"]
        for judge in range(len(dance["judges"])):
            # Swap the star's mark with whoever this judge placed 1st: still a permutation.
            holder = next(c for c in couples if places[c][judge] == 1)
            places[holder][judge], places[star][judge] = places[star][judge], 1
    result = _place(data)
    assert result.final_places[star] == 1
    assert all(places[star] == 1 for places in result.dance_places.values())
    assert sorted(result.final_places.values())[1] >= 2


def _first_majority(marks: list[int], majority: int) -> int:
    """The first column in which ``marks`` hold a majority (column k: marks of k or better)."""
    return next(k for k in range(1, len(marks) * 100) if sum(m <= k for m in marks) >= majority)


@settings(max_examples=300, deadline=None)
@given(finals(min_couples=2))
def test_an_earlier_majority_never_places_below_a_later_one(data: dict[str, Any]) -> None:
    # Rules 5-8 with Rule 6's note: the columns are read in order, and every couple with a
    # majority in a column is placed before any couple whose first majority comes later.
    result = _place(data)
    for dance in data["marks"]:
        majority = len(dance["judges"]) // 2 + 1
        first = {c: _first_majority(m, majority) for c, m in dance["places"].items()}
        places = result.dance_places[dance["dance"]]
        for early, early_column in first.items():
            for late, late_column in first.items():
                if early_column < late_column:
                    assert places[early] < places[late], (dance, early, late)

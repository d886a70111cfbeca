"""Invariants of the dwts family and strictly, checked by Hypothesis on generated nights."""

from __future__ import annotations

import copy
from fractions import Fraction
from itertools import pairwise, permutations
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ballroom.domain.night import Night
from ballroom.domain.rules import compute, strictly
from ballroom.errors import UnresolvableTie

RANKED_RULES = ("dwts", "dwts-judges-save", "strictly")
SCHEMES: tuple[strictly.RankScheme, ...] = ("dense", "standard")
COUPLES = ("alix", "baron", "corey", "dylan", "elaine", "jen", "jordan", "robert")
JUDGES = ("bruno", "carrie-ann", "derek", "guest")
SCORES = [half / 2 for half in range(2, 21)]

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def requests(draw: st.DrawFn, *, rules: str = "dwts", max_couples: int = 7) -> dict[str, Any]:
    """A valid docs/interfaces.md §1 request, biased towards ties (few distinct values)."""
    couples = draw(
        st.lists(st.sampled_from(COUPLES), min_size=2, max_size=max_couples, unique=True)
    )
    judges = draw(st.lists(st.sampled_from(JUDGES), min_size=1, max_size=4, unique=True))
    score = st.sampled_from(draw(st.sampled_from([SCORES, [7.0, 8.0], [6.0, 6.5, 9.0]])))
    votes = st.one_of(st.integers(0, 3), st.integers(0, 10**7))
    # Now and then a judge misses the whole night and is declared absent (never all of them).
    absent = judges[-1:] if len(judges) > 1 and draw(st.integers(0, 4)) == 0 else []
    present = [judge for judge in judges if judge not in absent]
    dances = []
    for index in range(draw(st.integers(1, 2))):
        scores = {couple: {judge: draw(score) for judge in present} for couple in couples}
        dances.append({"name": f"dance {index}", "scores": scores})
    request: dict[str, Any] = {
        "rules": rules,
        "couples": couples,
        "judges": judges,
        "absent_judges": absent,
        "dances": dances,
        "votes": {couple: draw(votes) for couple in couples},
        "eliminate": draw(st.integers(0, min(2, len(couples) - 1))),
    }
    if draw(st.booleans()):
        request["bonus"] = {draw(st.sampled_from(couples)): draw(st.sampled_from([2, 5]))}
    if draw(st.booleans()):
        request["carried"] = {
            "scores": {couple: draw(st.integers(0, 30)) for couple in couples},
            "votes": {couple: draw(votes) for couple in couples},
        }
    return request


def result_of(request: dict[str, Any]) -> dict[str, Any]:
    return compute(Night.from_mapping(request)).as_dict()


def places(body: dict[str, Any]) -> dict[str, int]:
    return {row["couple"]: row["place"] for row in body["standings"]}


@pytest.mark.parametrize("rules", RANKED_RULES)
@FAST
@given(data=st.data())
def test_shares_sum_to_one(rules: str, data: st.DataObject) -> None:
    body = result_of(data.draw(requests(rules=rules)))
    for field, source in (("judges_share", "judges_points"), ("vote_share", "votes")):
        total = sum(row[field] for row in body["standings"])
        if sum(row[source] for row in body["standings"]) > 0:
            assert total == pytest.approx(1.0, abs=1e-12)
        else:
            assert total == 0


@pytest.mark.parametrize("rules", RANKED_RULES)
@FAST
@given(data=st.data())
def test_more_votes_never_lower_a_place(rules: str, data: st.DataObject) -> None:
    request = data.draw(requests(rules=rules))
    couple = data.draw(st.sampled_from(request["couples"]))
    extra = data.draw(st.one_of(st.integers(1, 3), st.integers(1, 10**7)))
    more = copy.deepcopy(request)
    more["votes"][couple] += extra
    assert places(result_of(more))[couple] <= places(result_of(request))[couple]


def without_vote_counts(body: dict[str, Any]) -> dict[str, Any]:
    """The result minus what must scale with the votes (counts and the sentences quoting them)."""
    rows = [{k: v for k, v in row.items() if k != "votes"} for row in body["standings"]]
    return {**body, "standings": rows, "explanation": None}


@pytest.mark.parametrize("rules", RANKED_RULES)
@FAST
@given(data=st.data(), factor=st.integers(2, 1000))
def test_scaling_all_votes_changes_nothing(rules: str, data: st.DataObject, factor: int) -> None:
    request = data.draw(requests(rules=rules))
    scaled = copy.deepcopy(request)
    scaled["votes"] = {couple: votes * factor for couple, votes in request["votes"].items()}
    if "carried" in scaled:
        scaled["carried"]["votes"] = {
            couple: votes * factor for couple, votes in request["carried"]["votes"].items()
        }
    assert without_vote_counts(result_of(scaled)) == without_vote_counts(result_of(request))


@pytest.mark.parametrize("rules", RANKED_RULES)
@FAST
@given(data=st.data())
def test_input_order_does_not_matter(rules: str, data: st.DataObject) -> None:
    request = data.draw(requests(rules=rules))
    shuffled = copy.deepcopy(request)
    shuffled["couples"] = data.draw(st.permutations(request["couples"]))
    shuffled["judges"] = data.draw(st.permutations(request["judges"]))
    shuffled["dances"] = data.draw(st.permutations(request["dances"]))
    for dance in shuffled["dances"]:
        order = data.draw(st.permutations(list(dance["scores"])))
        dance["scores"] = {
            couple: dict(reversed(dance["scores"][couple].items())) for couple in order
        }
    shuffled["votes"] = dict(reversed(request["votes"].items()))
    assert result_of(shuffled) == result_of(request)


def with_save_votes(request: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """The request with every judge present voting to save someone from its actual bottom."""
    bottom = result_of(request)["bottom"]
    if not bottom:
        return request
    voted = copy.deepcopy(request)
    present = [j for j in request["judges"] if j not in request.get("absent_judges", [])]
    voted["save_votes"] = {judge: data.draw(st.sampled_from(bottom)) for judge in present}
    voted["head_judge"] = data.draw(st.sampled_from(present))
    return voted


@pytest.mark.parametrize("rules", RANKED_RULES)
@FAST
@given(data=st.data())
def test_eliminations_come_from_the_bottom_and_match_eliminate(
    rules: str, data: st.DataObject
) -> None:
    request = data.draw(requests(rules=rules))
    if rules != "dwts":
        request = with_save_votes(request, data)
    try:
        body = result_of(request)
    except UnresolvableTie:
        # Only a three-way save with a head judge outside the shared lead can get here.
        counts: dict[str, int] = {}
        for couple in request["save_votes"].values():
            counts[couple] = counts.get(couple, 0) + 1
        leaders = [c for c, n in counts.items() if n == max(counts.values())]
        assert len(leaders) > 1
        assert request["save_votes"][request["head_judge"]] not in leaders
        return
    bottom, eliminated = body["bottom"], body["eliminated"]
    assert set(eliminated) <= set(bottom)
    by_place = places(body)
    if bottom:
        # The bottom is the lowest of the night: no couple outside it places below one inside.
        assert all(
            by_place[outside] < by_place[inside]
            for outside in set(by_place) - set(bottom)
            for inside in bottom
        )
    if not body["ties"]:
        assert len(eliminated) == request["eliminate"]
        assert len(bottom) == (request["eliminate"] + 1 if request["eliminate"] else 0)
    for tie in body["ties"]:
        assert not set(tie) & set(eliminated)


@FAST
@given(request=requests(rules="dwts"))
def test_dwts_eliminates_the_lowest_exact_combined_total(request: dict[str, Any]) -> None:
    night = Night.from_mapping(request)
    body = compute(night).as_dict()
    points = {c: Fraction(0) for c in night.couples}
    for dance in night.dances:
        for couple, by_judge in dance.scores.items():
            points[couple] += sum(Fraction(s) for s in by_judge.values())
    for couple in night.couples:
        points[couple] += Fraction(night.bonus.get(couple, 0))
        points[couple] += Fraction(night.carried_scores.get(couple, 0))
    votes = night.total_votes()
    total_points, total_votes = sum(points.values()), sum(votes.values())
    combined = {
        c: (points[c] / total_points if total_points else 0)
        + (Fraction(votes[c], total_votes) if total_votes else 0)
        for c in night.couples
    }
    safe = set(night.couples) - set(body["eliminated"])
    for gone in body["eliminated"]:
        assert all(
            (combined[gone], votes[gone]) < (combined[other], votes[other]) for other in safe
        )


@FAST
@given(request=requests(rules="strictly"))
def test_strictly_combined_is_the_sum_of_rank_points(request: dict[str, Any]) -> None:
    body = result_of(request)
    count = len(request["couples"])
    for row in body["standings"]:
        assert row["combined"] == row["judges_rank_points"] + row["vote_rank_points"]
        assert 1 <= row["judges_rank_points"] <= count
    assert max(row["judges_rank_points"] for row in body["standings"]) == count
    assert max(row["vote_rank_points"] for row in body["standings"]) == count


@FAST
@given(request=requests(rules="strictly"))
def test_strictly_final_places_by_votes_alone(request: dict[str, Any]) -> None:
    request["final"] = True
    body = result_of(request)
    votes = {
        c: request["votes"][c] + request.get("carried", {}).get("votes", {}).get(c, 0)
        for c in request["couples"]
    }
    rows = body["standings"]
    for upper, lower in pairwise(rows):
        assert votes[upper["couple"]] >= votes[lower["couple"]]
        assert (upper["place"] == lower["place"]) == (
            votes[upper["couple"]] == votes[lower["couple"]]
        )


SEMI_FINAL_2008 = {  # the judges' totals out of 80; see tests/unit/domain/rules/test_strictly.py
    "rules": "strictly",
    "couples": ["lisa", "rachel", "tom"],
    "judges": ["bruno"],
    # The totals ride in carried scores; one equal dance on top keeps their order.
    "dances": [{"name": "level", "scores": {c: {"bruno": 5} for c in ("lisa", "rachel", "tom")}}],
    "carried": {"scores": {"lisa": 75, "rachel": 75, "tom": 67}},
    "votes": {"lisa": 0, "rachel": 0, "tom": 0},
    "eliminate": 1,
}


@settings(max_examples=40, deadline=None)
@example(request=SEMI_FINAL_2008, scheme="standard")  # a trap: the brute force must agree
@example(request=SEMI_FINAL_2008, scheme="dense")
@given(
    request=requests(rules="strictly", max_couples=6),
    scheme=st.sampled_from(SCHEMES),
)
def test_trap_analysis_matches_brute_force(
    request: dict[str, Any], scheme: strictly.RankScheme
) -> None:
    """Exact answer vs every public vote order (distinct counts) on the real compute."""
    request = {**request, "eliminate": max(request["eliminate"], 1)}
    couples = request["couples"]
    can_escape = dict.fromkeys(couples, False)
    for order in permutations(couples):
        # Distinct counts in this order (carried votes dropped: they would reorder them).
        voted = {**request, "votes": {c: 10 * (rank + 1) for rank, c in enumerate(order)}}
        voted["carried"] = {"scores": request.get("carried", {}).get("scores", {})}
        bottom = strictly.compute(Night.from_mapping(voted), ranking=scheme).bottom
        for couple in couples:
            if couple not in bottom:
                can_escape[couple] = True
    night = Night.from_mapping(request)
    assert strictly.public_vote_can_change_bottom_two(night, ranking=scheme) == can_escape


@settings(max_examples=100, deadline=None)
@given(request=requests(rules="strictly", max_couples=8))
def test_dense_rank_points_never_trap_a_couple(request: dict[str, Any]) -> None:
    night = Night.from_mapping(request)
    bottom_size = max(night.eliminate, 1) + 1
    if len(night.couples) > bottom_size:
        assert strictly.trapped_couples(night) == []

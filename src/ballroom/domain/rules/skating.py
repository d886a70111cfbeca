"""The Skating System: placing a dancesport final from the judges' ordinal marks.

Rules 1-4 bind the judges (each places every couple, no ties) and are what
``SkatingRequest.from_mapping`` checks. Rules 5-8 place the couples of one dance
(``place_dance``); rules 9-11 combine the dances into the final result (``place_final``).

A *majority* is more than half of the marks: ``floor(marks / 2) + 1``. Rulebooks require an
odd panel; any panel of one or more is accepted here with that definition. Column *k* of a
couple counts its marks of *k*th place or better ("1st-kth") and sums them.

One dance (rules 5-8). The columns are read in order, from column 1; the *place under
review* is the best place still open:

- **Rule 5**: a couple with a majority in the column takes the place under review.
- **Rule 6**: several couples with a majority in the column: the larger majority takes the
  place under review, the next one the following place, and so on. The rulebook's note:

  > If the position under review is the "2nd" and two couples have a majority of "2nd and
  > higher" places, the couple with the larger majority shall be placed "2nd" and the other
  > couple "3rd". We now examine the remaining couples' markings, and the couple with the
  > largest majority of "3rd and higher" places shall be allocated the next position, which
  > in this example is the "4th".

  So once a column has placed its couples, the next place is looked for in the *next
  column*, not in the column numbered like the place: a couple with a majority in an earlier
  column is always placed before a couple whose first majority comes later.
- **Rule 7**: equal majorities: the lower sum of the marks making the majority wins; equal
  sums too: those couples alone are compared in the next column (count, then sum), and so
  on to the last column. Couples equal in every column share their places, each getting
  the mean (places 2 and 3 shared -> 2.5 each).
- **Rule 8**: nobody has a majority in the column: look at the next column (rules 5-7 again).

Several dances (rules 9-11):

- **Rule 9**: add up each couple's dance places; the lowest total wins, and so on.
- **Rule 10**: couples with equal totals contest the place under review: it goes to the
  couple placed at that place or better in the most dances; equal: to the lower sum of
  those dance places; equal again: rule 11 between the couples still equal. Once the place
  is given, the couples of the tie still unplaced contest the next place, from rule 10
  again. A shared dance place (2.5) counts as "2nd or better" only from place 3 on, since
  2.5 > 2.
- **Rule 11**: all the marks of all the judges in all dances of the couples still tied are
  treated as the marks of one dance (majority over that many marks) and rules 5-8 decide
  the place under review, starting at its column. The couples rule 11 compared rank above
  every couple that rule 10 had already put below them: when rule 11 has given the place
  and one of its couples is left, that couple takes the next place directly (several left
  go on among themselves, from rule 10); only then do the others contest the places after.
  Couples equal through the last column share the place (and the ones after it): the mean
  place.

Places are halves at worst (a mean of consecutive whole places), so they and their sums are
exact in binary floating point: equality tests on them are safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ballroom.errors import (
    DuplicateScore,
    MissingField,
    ScoreOutOfRange,
    UnknownCouple,
    UnknownRules,
    WrongType,
)

RULES_NAME = "skating"


@dataclass(frozen=True)
class DanceMarks:
    """One dance of the final: the panel, and each couple's marks in panel order."""

    dance: str
    judges: tuple[str, ...]
    places: Mapping[str, tuple[int, ...]]


@dataclass(frozen=True)
class SkatingRequest:
    """A validated Skating System final: one or more dances over the same couples."""

    dances: tuple[DanceMarks, ...]
    couples: tuple[str, ...]
    rules: str = RULES_NAME

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, rules: str | None = None) -> SkatingRequest:
        """Build the request of docs/interfaces.md §1 (``marks``), naming any bad field.

        ``rules`` overrides the document's own ``rules`` field (as a CLI ``--rules`` does).
        """
        if not isinstance(data, Mapping):
            raise WrongType("the request must be a JSON object", field="$")
        name = rules if rules is not None else data.get("rules", RULES_NAME)
        if not isinstance(name, str):
            raise WrongType("rules must be a string", field="rules")
        if name != RULES_NAME:
            raise UnknownRules(
                f"rules {name!r} is not the Skating System ({RULES_NAME!r})", field="rules"
            )
        if "marks" not in data:
            raise MissingField("missing required field 'marks'", field="marks")
        raw_marks = data["marks"]
        if not _is_list(raw_marks):
            raise WrongType("marks must be a list of dances", field="marks")
        if not raw_marks:
            raise WrongType("marks must list at least one dance", field="marks")
        dances: list[DanceMarks] = []
        couples: tuple[str, ...] = ()
        for index, entry in enumerate(raw_marks):
            where = f"marks[{index}]"
            dance = _parse_dance(entry, where, couples if dances else None)
            if any(earlier.dance == dance.dance for earlier in dances):
                raise DuplicateScore(
                    f"{where}.dance: {dance.dance!r} is marked twice", field=f"{where}.dance"
                )
            if not dances:
                couples = tuple(dance.places)
            dances.append(dance)
        return cls(dances=tuple(dances), couples=couples, rules=name)


@dataclass(frozen=True)
class SkatingResult:
    """Each dance's places, the final places, and which rule decided each of them.

    ``dance_rules`` and ``final_rules`` name the deciding rule per couple (``"rule 5"`` to
    ``"rule 11"``, or ``"tie"`` for a place still shared at the end); ``explanation`` says
    the same in sentences, dance by dance, then the final, in place order.
    """

    dance_places: Mapping[str, Mapping[str, float]]
    final_places: Mapping[str, float]
    dance_rules: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    final_rules: Mapping[str, str] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)
    rules: str = RULES_NAME

    def as_dict(self, *, explain: bool = False) -> dict[str, Any]:
        """The docs/interfaces.md §1 output; ``explain`` adds the optional ``explanation``."""
        body: dict[str, Any] = {
            "rules": self.rules,
            "dance_places": {
                dance: {couple: _plain(place) for couple, place in places.items()}
                for dance, places in self.dance_places.items()
            },
            "final_places": {couple: _plain(place) for couple, place in self.final_places.items()},
        }
        if explain:
            body["explanation"] = list(self.explanation)
        return body


def place_dance(judges: Sequence[str], places: Mapping[str, Sequence[int]]) -> dict[str, float]:
    """Rules 5-8: each couple's place in one dance from the judges' marks (judges' order)."""
    panel = _check_judges(list(judges) if _is_list(judges) else judges, "judges")
    marks = _check_places(places, panel, "places")
    return _DancePlacer("dance", panel, marks).run().places


def place_final(request: SkatingRequest) -> SkatingResult:
    """Rules 5-11: every dance placed, then the final result over all dances."""
    dance_places: dict[str, dict[str, float]] = {}
    dance_rules: dict[str, dict[str, str]] = {}
    explanation: list[str] = []
    for dance in request.dances:
        outcome = _DancePlacer(dance.dance, dance.judges, dance.places).run()
        dance_places[dance.dance] = outcome.places
        dance_rules[dance.dance] = outcome.rules
        explanation.extend(outcome.lines)
    final = _FinalPlacer(request, dance_places).run()
    explanation.extend(final.lines)
    return SkatingResult(
        dance_places=dance_places,
        final_places=final.places,
        dance_rules=dance_rules,
        final_rules=final.rules,
        explanation=explanation,
    )


# ----------------------------------------------------------------------------- placing


@dataclass
class _Outcome:
    """Places given so far, the rule behind each, and one sentence per couple."""

    places: dict[str, float] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    _pending: list[tuple[float, str]] = field(default_factory=list)

    def give(self, couples: Sequence[str], first: int, rule: str, why: Mapping[str, str]) -> None:
        """Give ``couples`` the places from ``first`` on, shared (the mean) if several."""
        place = first + (len(couples) - 1) / 2
        for couple in couples:
            self.places[couple] = place
            self.rules[couple] = rule
            self._pending.append((place, why[couple]))

    def finish(self, order: Sequence[str]) -> _Outcome:
        """Order the places and sentences by place, then by the couples' input order."""
        rank = {couple: index for index, couple in enumerate(order)}
        couples = sorted(self.places, key=lambda couple: (self.places[couple], rank[couple]))
        self.places = {couple: self.places[couple] for couple in couples}
        self.lines = [line for _, line in sorted(self._pending, key=lambda item: item[0])]
        return self


def _column(marks: Sequence[float], column: int) -> tuple[int, float]:
    """A couple's column ``column``: how many marks are that place or better, and their sum."""
    chosen = [mark for mark in marks if mark <= column]
    return len(chosen), sum(chosen)


def _order_key(marks: Sequence[int], start: int, last: int) -> tuple[tuple[int, int], ...]:
    """Rules 6-7 as one sortable key: larger count first, then lower sum, column by column."""
    key = []
    for column in range(start, last + 1):
        count, total = _column(marks, column)
        key.append((-count, int(total)))
    return tuple(key)


def _decisive_rule(key: tuple[tuple[int, int], ...], other: tuple[tuple[int, int], ...]) -> int:
    """How far rules 6-7 went to separate two keys.

    0: never (a tie); 1: the larger majority (rule 6); 2: the lower sum (rule 7); 2 + d: the
    next columns, ``d`` columns on (rule 7).
    """
    for offset, (mine, theirs) in enumerate(zip(key, other, strict=True)):
        if offset == 0 and mine[0] != theirs[0]:
            return 1
        if offset == 0 and mine[1] != theirs[1]:
            return 2
        if mine != theirs:
            return 2 + offset
    return 0


class _DancePlacer:
    """Rules 5-8 for one dance."""

    def __init__(
        self, dance: str, judges: Sequence[str], marks: Mapping[str, Sequence[int]]
    ) -> None:
        self.dance = dance
        self.judges = tuple(judges)
        self.marks = {couple: tuple(values) for couple, values in marks.items()}
        self.majority = len(self.judges) // 2 + 1
        self.last = len(self.marks)

    def run(self) -> _Outcome:
        outcome = _Outcome()
        unplaced = list(self.marks)
        place = column = 1
        while unplaced:
            # Rule 6's note: once a column has placed its couples, the next place is looked
            # for in the next column, whatever the place number has reached.
            candidates = self._majorities(unplaced, column)
            while not candidates:  # rule 8
                column += 1
                candidates = self._majorities(unplaced, column)
            # Rule 6: every couple with a majority in this column is placed now, in order of
            # majority (then rule 7), before any couple that has none here.
            keys = {c: _order_key(self.marks[c], column, self.last) for c in candidates}
            groups = _groups_by_key(candidates, keys)
            for index, group in enumerate(groups):
                rule, why = self._why(groups, index, keys=keys, place=place, column=column)
                outcome.give(group, place, rule, why)
                place += len(group)
                unplaced = [couple for couple in unplaced if couple not in group]
            column += 1
        return outcome.finish(list(self.marks))

    def _majorities(self, couples: Sequence[str], column: int) -> list[str]:
        return [c for c in couples if _column(self.marks[c], column)[0] >= self.majority]

    def _why(
        self,
        groups: Sequence[Sequence[str]],
        index: int,
        *,
        keys: Mapping[str, tuple[tuple[int, int], ...]],
        place: int,
        column: int,
    ) -> tuple[str, dict[str, str]]:
        """The rule that fixed ``groups[index]`` between its neighbours, a sentence per couple."""
        group = groups[index]
        key = keys[group[0]]
        depths = [
            _decisive_rule(key, keys[groups[other][0]])
            for other in (index - 1, index + 1)
            if 0 <= other < len(groups)
        ]
        depth = max(depths, default=0)
        # Rule 8 is named whenever the place was won beyond its own column; the sentence
        # still says which of rules 6-7 ordered the couples found there.
        if len(group) > 1:
            rule = "tie"
        elif column > place:
            rule = "rule 8"
        elif depth == 0:
            rule = "rule 5"
        else:
            rule = "rule 6" if depth == 1 else "rule 7"
        judges = len(self.judges)
        why: dict[str, str] = {}
        for couple in group:
            count, total = _column(self.marks[couple], column)
            parts = [
                f"{self.dance}: {couple} {_place_words(place, len(group))} by {rule}: "
                f"{count} of {judges} marks {_ordinal(column)} or better "
                f"(majority {self.majority}), sum {_number(total)}"
            ]
            if column > place:
                parts.append(
                    f"no majority for {_ordinal(place)} or better, so column "
                    f"{_ordinal(column)} decided (rule 8)"
                )
            if len(group) == 1 and depth == 1:
                parts.append("separated by the larger majority (rule 6)")
            elif len(group) == 1 and depth == 2:
                parts.append("equal majority, separated by the lower sum (rule 7)")
            elif len(group) == 1 and depth > 2:
                parts.append(
                    f"equal majority and sum, separated in column "
                    f"{_ordinal(column + depth - 2)} (rule 7)"
                )
            if len(group) > 1:
                others = ", ".join(other for other in group if other != couple)
                parts.append(f"equal with {others} in every column, so the place is shared")
            why[couple] = "; ".join(parts)
        return rule, why


class _FinalPlacer:
    """Rules 9-11 over all dances."""

    def __init__(self, request: SkatingRequest, dance_places: Mapping[str, Mapping[str, float]]):
        self.request = request
        self.couples = request.couples
        self.dance_places = {
            couple: [dance_places[dance.dance][couple] for dance in request.dances]
            for couple in self.couples
        }
        self.totals = {couple: sum(self.dance_places[couple]) for couple in self.couples}
        # Rule 11 pools every judge's mark of every dance as if it were one dance.
        self.pooled = {
            couple: [mark for dance in request.dances for mark in dance.places[couple]]
            for couple in self.couples
        }
        marks = sum(len(dance.judges) for dance in request.dances)
        self.majority_11 = marks // 2 + 1
        self.marks_11 = marks

    def run(self) -> _Outcome:
        outcome = _Outcome()
        place = 1
        for total in sorted(set(self.totals.values())):
            tied = [couple for couple in self.couples if self.totals[couple] == total]
            if len(tied) == 1:
                couple = tied[0]
                outcome.give(
                    tied,
                    place,
                    "rule 9",
                    {
                        couple: (
                            f"final: {couple} {_place_words(place, 1)} by rule 9: "
                            f"total of dance places {_number(total)}"
                        )
                    },
                )
                place += 1
            else:
                place = self._rule_10(tied, place, outcome)
        return outcome.finish(self.couples)

    def _rule_10(
        self,
        tied: Sequence[str],
        place: int,
        outcome: _Outcome,
        lost_by: dict[str, str] | None = None,
    ) -> int:
        """Rules 10-11 for the couples of ``tied`` from ``place`` on; the next open place."""
        remaining = list(tied)
        total = _number(self.totals[tied[0]])
        lost_by = lost_by if lost_by is not None else dict.fromkeys(tied, "rule 10")
        while remaining:
            if len(remaining) == 1:
                couple = remaining[0]
                rule = lost_by[couple]
                outcome.give(
                    remaining,
                    place,
                    rule,
                    {
                        couple: (
                            f"final: {couple} {_place_words(place, 1)} by {rule}: total {total}, "
                            f"the last couple of that tie once the places before were decided"
                        )
                    },
                )
                return place + 1
            wins = {
                couple: [spot for spot in self.dance_places[couple] if spot <= place]
                for couple in remaining
            }
            most = max(len(won) for won in wins.values())
            leaders = [couple for couple in remaining if len(wins[couple]) == most]
            lowest = min(sum(wins[couple]) for couple in leaders)
            if len(leaders) > 1:
                leaders = [couple for couple in leaders if sum(wins[couple]) == lowest]
            why: dict[str, str] = {}
            if len(leaders) == 1:
                rule = "rule 10"
                couple = leaders[0]
                won = wins[couple]
                why[couple] = (
                    f"final: {couple} {_place_words(place, 1)} by rule 10: total {total} "
                    f"tied with {', '.join(c for c in remaining if c != couple)}; placed "
                    f"{_ordinal(place)} or better in {len(won)} of {len(self.request.dances)} "
                    f"dances (sum {_number(sum(won))})"
                )
                winners = leaders
            else:
                winners, rule, why = self._rule_11(leaders, place, total)
            for couple in remaining:
                # The rule that kept each unplaced couple from this place, for the last one.
                lost_by[couple] = "rule 11" if len(leaders) > 1 and couple in leaders else "rule 10"
            outcome.give(winners, place, rule, why)
            place += len(winners)
            remaining = [couple for couple in remaining if couple not in winners]
            losers = [couple for couple in leaders if couple not in winners]
            if len(leaders) > 1 and losers:
                # Rule 11 ranked its couples above every couple rule 10 had put below them:
                # they take the next places first (one left takes the next place directly).
                place = self._rule_10(losers, place, outcome, lost_by)
                remaining = [couple for couple in remaining if couple not in losers]
        return place

    def _rule_11(
        self, tied: Sequence[str], place: int, total: str
    ) -> tuple[list[str], str, dict[str, str]]:
        """Rules 5-8 on the pooled marks of ``tied``, for the place under review only."""
        last = len(self.couples)
        column = place
        candidates = self._majorities_11(tied, column)
        while not candidates and column < last:
            column += 1
            candidates = self._majorities_11(tied, column)
        keys = {c: _order_key(self.pooled[c], column, last) for c in candidates or tied}
        best = min(keys.values())
        winners = [couple for couple in keys if keys[couple] == best]
        rule = "rule 11" if len(winners) == 1 else "tie"
        why: dict[str, str] = {}
        for couple in winners:
            count, marks_sum = _column(self.pooled[couple], column)
            text = (
                f"final: {couple} {_place_words(place, len(winners))} by {rule}: total {total} "
                f"and rule 10 tied with {', '.join(c for c in tied if c != couple)}; all "
                f"{self.marks_11} marks as one dance: {count} {_ordinal(column)} or better "
                f"(majority {self.majority_11}), sum {_number(marks_sum)}"
            )
            if len(winners) > 1:
                text += "; still equal in every column, so the place is shared"
            why[couple] = text
        return winners, rule, why

    def _majorities_11(self, couples: Sequence[str], column: int) -> list[str]:
        return [c for c in couples if _column(self.pooled[c], column)[0] >= self.majority_11]


def _groups_by_key(
    couples: Sequence[str], keys: Mapping[str, tuple[tuple[int, int], ...]]
) -> list[list[str]]:
    """Couples in key order, those with equal keys grouped (they share places)."""
    groups: list[list[str]] = []
    for couple in sorted(couples, key=lambda c: keys[c]):
        if groups and keys[groups[-1][0]] == keys[couple]:
            groups[-1].append(couple)
        else:
            groups.append([couple])
    return groups


# ----------------------------------------------------------------------------- wording


def _plain(value: float) -> float | int:
    """Whole places print as integers (2, not 2.0); shared ones as the mean (2.5)."""
    return int(value) if float(value).is_integer() else value


def _number(value: float) -> str:
    return str(_plain(value))


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _place_words(first: int, count: int) -> str:
    if count == 1:
        return f"is {_ordinal(first)}"
    shared = _number(first + (count - 1) / 2)
    return f"shares {_ordinal(first)}-{_ordinal(first + count - 1)} ({shared})"


# ----------------------------------------------------------------------------- validation


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _parse_dance(entry: Any, where: str, couples: Sequence[str] | None) -> DanceMarks:
    """One entry of ``marks``; ``couples`` are the first dance's, which every dance repeats."""
    if not isinstance(entry, Mapping):
        raise WrongType(f"{where} must be an object with dance, judges and places", field=where)
    for name in ("dance", "judges", "places"):
        if name not in entry:
            raise MissingField(f"{where} is missing {name!r}", field=f"{where}.{name}")
    dance = entry["dance"]
    if not isinstance(dance, str) or not dance:
        raise WrongType(f"{where}.dance must be a non-empty string", field=f"{where}.dance")
    judges = _check_judges(entry["judges"], f"{where}.judges")
    if couples is not None and isinstance(entry["places"], Mapping):
        # A couple missing from one dance is the real fault, not the marks it leaves short.
        _check_same_couples(couples, entry["places"], where)
    places = _check_places(entry["places"], judges, f"{where}.places")
    return DanceMarks(dance=dance, judges=judges, places=places)


def _check_judges(judges: Any, where: str) -> tuple[str, ...]:
    if not _is_list(judges):
        raise WrongType(f"{where} must be a list of judge ids", field=where)
    if not judges:
        raise WrongType(f"{where} must name at least one judge", field=where)
    for index, judge in enumerate(judges):
        if not isinstance(judge, str) or not judge:
            raise WrongType(
                f"{where}[{index}] must be a non-empty string", field=f"{where}[{index}]"
            )
    if len(set(judges)) != len(judges):
        twice = next(judge for judge in judges if judges.count(judge) > 1)
        raise DuplicateScore(f"{where} lists judge {twice!r} twice", field=where)
    return tuple(judges)


def _check_places(places: Any, judges: Sequence[str], where: str) -> dict[str, tuple[int, ...]]:
    """Rules 2-4: every judge places every couple, 1 to the number of couples, no ties."""
    if not isinstance(places, Mapping):
        raise WrongType(f"{where} must be an object of couple -> marks", field=where)
    if not places:
        raise WrongType(f"{where} must place at least one couple", field=where)
    couples = len(places)
    checked: dict[str, tuple[int, ...]] = {}
    given: list[dict[int, str]] = [{} for _ in judges]
    for couple, marks in places.items():
        if not isinstance(couple, str) or not couple:
            raise WrongType(f"{where} has a couple id that is not a non-empty string", field=where)
        spot = f"{where}.{couple}"
        if not _is_list(marks):
            raise WrongType(f"{spot} must be a list of places, one per judge", field=spot)
        if len(marks) != len(judges):
            raise WrongType(f"{spot} has {len(marks)} marks for {len(judges)} judges", field=spot)
        for judge_index, mark in enumerate(marks):
            judge = judges[judge_index]
            if not isinstance(mark, int) or isinstance(mark, bool):
                raise WrongType(
                    f"{spot}: judge {judge!r} gave {mark!r}, not a whole place", field=spot
                )
            if not 1 <= mark <= couples:
                raise ScoreOutOfRange(
                    f"{spot}: judge {judge!r} gave place {mark}, outside 1-{couples}", field=spot
                )
            if mark in given[judge_index]:
                raise DuplicateScore(
                    f"{spot}: judge {judge!r} gave place {mark} to both "
                    f"{given[judge_index][mark]!r} and {couple!r}",
                    field=spot,
                )
            given[judge_index][mark] = couple
        checked[couple] = tuple(marks)
    return checked


def _check_same_couples(
    couples: Sequence[str], places: Mapping[str, Sequence[int]], where: str
) -> None:
    for couple in couples:
        if couple not in places:
            raise MissingField(
                f"{where}.places has no marks for {couple!r}, who danced marks[0]",
                field=f"{where}.places.{couple}",
            )
    for couple in places:
        if couple not in couples:
            raise UnknownCouple(
                f"{where}.places marks {couple!r}, who is not in marks[0]",
                field=f"{where}.places.{couple}",
            )

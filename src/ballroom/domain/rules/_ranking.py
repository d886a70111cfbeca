"""Exact tallies, tie groups and wording shared by the dwts family and strictly.

Every comparison that can decide an elimination is made on ``fractions.Fraction`` values
built from the (whole or half point) scores and the integer votes, so float rounding can
never decide who goes home; floats appear only in the output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ballroom.domain.night import Night
from ballroom.errors import InvalidInput, UnknownCouple

ORDINALS = ("lowest", "second-lowest", "third-lowest", "fourth-lowest", "fifth-lowest")
BOTTOM_NAMES = {2: "Bottom two", 3: "Bottom three", 4: "Bottom four", 5: "Bottom five"}


@dataclass(frozen=True)
class Tally:
    """One couple's exact inputs for the night and its shares of the night's totals."""

    couple: str
    judges_points: Fraction
    votes: int
    judges_share: Fraction
    vote_share: Fraction

    @property
    def combined(self) -> Fraction:
        """The dwts combined total: judges' share plus vote share."""
        return self.judges_share + self.vote_share


def tallies(night: Night) -> dict[str, Tally]:
    """Each couple's judges' points (dances, bonus, carried, extra) and votes (incl. carried).

    A share is a couple's part of the night's total; when the total is 0 (no votes yet, or
    no scores yet) every couple's share of it is 0 rather than undefined.
    """
    check_night(night)
    points = {couple: Fraction(0) for couple in night.couples}
    for index, dance in enumerate(night.dances):
        for couple, by_judge in dance.scores.items():
            if couple not in points:
                raise UnknownCouple(
                    f"dances[{index}] scores unknown couple {couple!r}",
                    field=f"dances[{index}].scores",
                )
            points[couple] += sum((Fraction(score) for score in by_judge.values()), Fraction(0))
    for couple in night.couples:
        points[couple] += (
            Fraction(night.bonus.get(couple, 0))
            + Fraction(night.carried_scores.get(couple, 0))
            + Fraction(night.extra_points.get(couple, 0))
        )
    votes = {
        couple: night.votes.get(couple, 0) + night.carried_votes.get(couple, 0)
        for couple in night.couples
    }
    points_total = sum(points.values(), Fraction(0))
    votes_total = sum(votes.values())
    return {
        couple: Tally(
            couple=couple,
            judges_points=points[couple],
            votes=votes[couple],
            judges_share=share(points[couple], points_total),
            vote_share=share(Fraction(votes[couple]), Fraction(votes_total)),
        )
        for couple in night.couples
    }


def check_night(night: Night) -> None:
    """What a hand-built ``Night`` (not from ``Night.from_mapping``) could still get wrong."""
    if not night.couples:
        raise InvalidInput("a night needs at least one couple", field="couples")
    if not 0 <= night.eliminate < len(night.couples):
        raise InvalidInput(
            f"eliminate must be a whole number from 0 to {len(night.couples) - 1}",
            field="eliminate",
        )


def share(part: Fraction, total: Fraction) -> Fraction:
    """``part / total``, and 0 when the total is 0 (nothing to share yet)."""
    return part / total if total else Fraction(0)


SortKey = tuple[Fraction | int, ...]


def groups_best_first(
    couples: Iterable[str], key: Callable[[str], SortKey]
) -> list[tuple[str, ...]]:
    """Couples grouped by equal ``key``, best (largest key) first; names sort within a group."""
    by_key: dict[SortKey, list[str]] = {}
    for couple in couples:
        by_key.setdefault(key(couple), []).append(couple)
    ordered = sorted(by_key, reverse=True)
    return [tuple(sorted(by_key[k])) for k in ordered]


def places(groups: Sequence[tuple[str, ...]]) -> dict[str, int]:
    """Competition places (1, 2, 2, 4): couples in one group share the higher place."""
    out: dict[str, int] = {}
    place = 1
    for group in groups:
        for couple in group:
            out[couple] = place
        place += len(group)
    return out


@dataclass(frozen=True)
class Cut:
    """The ``n`` lowest couples: those certainly inside, and a tie straddling the line."""

    inside: tuple[str, ...]
    """Lowest first; every one of them is below the line whatever the tie."""
    tied: tuple[str, ...] = ()
    """A group of exactly equal couples of which only some would fit below the line."""


def lowest(groups: Sequence[tuple[str, ...]], n: int) -> Cut:
    """Take the ``n`` lowest couples from best-first ``groups``, never splitting a tie."""
    inside: list[str] = []
    for group in reversed(groups):
        if len(inside) + len(group) <= n:
            inside.extend(group)
            continue
        if len(inside) < n:
            return Cut(tuple(inside), group)
        break
    return Cut(tuple(inside))


def fmt_share(value: Fraction, digits: int = 2) -> str:
    """A share or combined total as a decimal fraction, e.g. 0.31."""
    return f"{float(value):.{digits}f}"


def digits_to_separate(values: Iterable[Fraction], low: int = 2, high: int = 6) -> int:
    """The fewest decimals (from ``low``) that keep different exact values apart when printed."""
    distinct = set(values)
    for digits in range(low, high + 1):
        if len({fmt_share(value, digits) for value in distinct}) == len(distinct):
            return digits
    return high


def fmt_points(value: Fraction | int) -> str:
    """Judges' points as the judges keyed them: 38, 14.5."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):g}"


def fmt_votes(votes: int) -> str:
    """A vote count with thousands separators: 60,000."""
    return f"{votes:,}"


def names(couples: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(couples) <= 1:
        return "".join(couples)
    return f"{', '.join(couples[:-1])} and {couples[-1]}"


def ordinal(index: int) -> str:
    """0 → "lowest", 1 → "second-lowest", ..."""
    return ORDINALS[index] if index < len(ORDINALS) else f"{index + 1}th-lowest"


def bottom_name(size: int) -> str:
    """ "Bottom two", "Bottom three", ..."""
    return BOTTOM_NAMES.get(size, f"Bottom {size}")


def dedupe(groups: Iterable[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """Non-empty groups, each once, in first-seen order."""
    seen: list[tuple[str, ...]] = []
    for group in groups:
        if group and group not in seen:
            seen.append(group)
    return tuple(seen)

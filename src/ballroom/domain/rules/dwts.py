"""``dwts``: the Dancing with the Stars combined total (the default rule set).

For each couple::

    judges_share = judges' points / sum of all couples' judges' points
    vote_share   = viewer votes   / sum of all couples' viewer votes
    combined     = judges_share + vote_share

Judges' points are every judge's score of every dance that night, plus bonus points, plus
points carried over from a week without elimination; votes include carried votes. A total of
0 (no votes, or no scores yet) gives every couple a share of 0 of it. Worked example from the
show's old website: judges' totals 38 / 26 / 14 are shares 48.72% / 33.33% / 17.95%.

The lowest combined total goes home. With ``eliminate`` = k > 0 the k lowest go and the k + 1
lowest are revealed as the bottom (the show's "bottom three" on a double elimination); with
``eliminate`` = 0 nobody goes and no bottom is revealed.

Tie rule (the show publishes none; this one is ours, and deterministic): couples are ordered
by combined total, then viewer votes, then judges' points, all compared exactly (fractions,
never floats). Couples equal on all three share a place; if such a tie straddles the
elimination line (or the bottom line), it is reported in ``ties`` and none of the tied couples
is eliminated: the producers must decide. (Within one night, equal combined totals and equal
votes imply equal judges' points, so the judges' step never separates two couples; it is kept
so the order stays total and the rule reads as published.)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ballroom.domain.night import Night, NightResult, Standing
from ballroom.domain.rules._ranking import (
    Cut,
    Tally,
    bottom_name,
    dedupe,
    digits_to_separate,
    fmt_points,
    fmt_share,
    fmt_votes,
    groups_best_first,
    lowest,
    names,
    ordinal,
    places,
    tallies,
)

NAME = "dwts"


@dataclass(frozen=True)
class Ranking:
    """A night ordered by the dwts rule: exact tallies, tie groups best first, places."""

    tally: dict[str, Tally]
    groups: list[tuple[str, ...]]
    places: dict[str, int]

    def worst_first(self) -> list[str]:
        """Every couple, lowest first (names order couples inside an exact tie)."""
        return [couple for group in reversed(self.groups) for couple in group]


def rank(night: Night) -> Ranking:
    """Order the night by combined total, then votes, then judges' points (all exact)."""
    tally = tallies(night)

    def key(couple: str) -> tuple[Fraction, int, Fraction]:
        row = tally[couple]
        return (row.combined, row.votes, row.judges_points)

    groups = groups_best_first(night.couples, key)
    return Ranking(tally=tally, groups=groups, places=places(groups))


def standings(ranking: Ranking) -> tuple[Standing, ...]:
    """The leaderboard, best first; couples sharing a place are listed by name."""
    return tuple(
        Standing(
            couple=couple,
            place=ranking.places[couple],
            judges_points=float(row.judges_points),
            judges_share=float(row.judges_share),
            votes=row.votes,
            vote_share=float(row.vote_share),
            combined=float(row.combined),
        )
        for group in ranking.groups
        for couple in group
        for row in (ranking.tally[couple],)
    )


def compute(night: Night) -> NightResult:
    """Rank the night by combined total and eliminate the lowest ``night.eliminate``."""
    ranking = rank(night)
    if night.eliminate == 0:
        ties, lines = final_lines(night, ranking)
        return NightResult(
            rules=NAME,
            standings=standings(ranking),
            bottom=(),
            eliminated=(),
            ties=ties,
            explanation=(
                "No couple is eliminated tonight (eliminate 0), so no bottom is revealed.",
                *lines,
            ),
        )
    bottom_cut = lowest(ranking.groups, night.eliminate + 1)
    out_cut = lowest(ranking.groups, night.eliminate)
    bottom = (*bottom_cut.inside, *bottom_cut.tied)
    final_ties, final_text = final_lines(night, ranking)
    return NightResult(
        rules=NAME,
        standings=standings(ranking),
        bottom=bottom,
        eliminated=out_cut.inside,
        ties=dedupe((out_cut.tied, bottom_cut.tied, *final_ties)),
        explanation=(*explain(ranking, bottom, bottom_cut, out_cut), *final_text),
    )


def total_text(row: Tally, digits: int) -> str:
    """``0.31 (judges 0.17 + votes 0.14)``."""
    return (
        f"{fmt_share(row.combined, digits)} (judges {fmt_share(row.judges_share, digits)}"
        f" + votes {fmt_share(row.vote_share, digits)})"
    )


def tie_break_text(ranking: Ranking, lower: str, upper: str, digits: int) -> str:
    """Why ``lower`` ranks below ``upper`` although their combined totals are equal."""
    low, up = ranking.tally[lower], ranking.tally[upper]
    # Equal combined totals and equal votes force equal judges' points (same night, same
    # totals), so a tie the rule breaks is always broken by the votes.
    return (
        f"{lower} and {upper} have the same combined total ({fmt_share(low.combined, digits)}); "
        f"under the tie rule the couple with fewer viewer votes ranks lower: "
        f"{lower} {fmt_votes(low.votes)} vs {upper} {fmt_votes(up.votes)}."
    )


def unresolved_text(ranking: Ranking, tied: tuple[str, ...], digits: int, what: str) -> str:
    """The sentence for a tie the rule cannot break."""
    row = ranking.tally[tied[0]]
    return (
        f"{names(tied)} tie exactly on combined total ({fmt_share(row.combined, digits)}), "
        f"viewer votes ({fmt_votes(row.votes)}) and judges' points "
        f"({fmt_points(row.judges_points)}); the tie rule cannot separate them, so {what}."
    )


def explain(ranking: Ranking, bottom: tuple[str, ...], bottom_cut: Cut, out_cut: Cut) -> list[str]:
    """Sentences a presenter can read: the bottom, who goes and why, who is safe and why."""
    order = ranking.worst_first()
    tally = ranking.tally
    shown = order[: len(bottom) + 1]
    digits = digits_to_separate(tally[couple].combined for couple in shown)
    lines = [f"{bottom_name(len(bottom))} (lowest first): {', '.join(bottom)}."]
    for index, couple in enumerate(out_cut.inside):
        lines.append(
            f"{couple} has the {ordinal(index)} combined total: "
            f"{total_text(tally[couple], digits)} and is eliminated."
        )
    if out_cut.inside and not out_cut.tied:
        last_out, first_safe = out_cut.inside[-1], order[len(out_cut.inside)]
        if tally[last_out].combined == tally[first_safe].combined:
            lines.append(tie_break_text(ranking, last_out, first_safe, digits))
    if out_cut.tied:
        lines.append(
            unresolved_text(
                ranking, out_cut.tied, digits, "the producers must decide who goes home"
            )
        )
    for couple in bottom:
        if couple not in out_cut.inside and couple not in out_cut.tied:
            lines.append(
                f"{couple} is in the bottom but safe with {total_text(tally[couple], digits)}."
            )
    if bottom_cut.tied and bottom_cut.tied != out_cut.tied:
        lines.append(
            unresolved_text(ranking, bottom_cut.tied, digits, "all of them are shown in the bottom")
        )
    elif not bottom_cut.tied and len(order) > len(bottom):
        highest_bottom, next_up = order[len(bottom) - 1], order[len(bottom)]
        if tally[highest_bottom].combined == tally[next_up].combined:
            lines.append(tie_break_text(ranking, highest_bottom, next_up, digits))
    return lines


def final_lines(night: Night, ranking: Ranking) -> tuple[tuple[tuple[str, ...], ...], list[str]]:
    """In a final, who wins (or the tie for first the producers must settle)."""
    if not night.final:
        return (), []
    top = ranking.groups[0]
    row = ranking.tally[top[0]]
    if len(top) > 1:
        return (top,), [unresolved_text(ranking, top, 4, "the producers must decide the winner")]
    return (), [f"{top[0]} wins with the highest combined total: {total_text(row, 4)}."]

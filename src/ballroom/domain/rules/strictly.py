"""``strictly``: BBC Strictly Come Dancing's rank points, dance-off and judges' save.

With N couples, the judges' totals (all dances, bonus, carried points) become rank points: the
top couple gets N, and couples tied on judges' points share the higher points while the next
couple gets one point fewer (dense ranking: 40, 40, 35 → N, N, N − 1). The public vote is
turned into rank points the same way. ``combined`` is the sum; a tie on the sum goes the
public's way (the higher vote rank places higher); couples equal on both share a place. Shares
of judges' points and votes are reported as in ``dwts`` but decide nothing.

The ``eliminate`` + 1 lowest couples dance off (the bottom two on a normal night) and the judges
save one exactly as in ``dwts-judges-save`` (most save votes, the head judge breaks a split;
no save votes → the bottom is announced, nobody goes yet). An exact tie straddling the bottom
line is reported in ``ties`` for the producers. In the final (``final: true``) only the public
vote counts: couples are placed by votes and the ``eliminate`` fewest-voted go, no dance-off.

The 2008 flaw: series 6 gave tied couples the higher points but let the next couple's points
skip ("standard" ranking: 75, 75, 67 out of 80 → 3, 3, 1), so in the three-couple semi-final
Tom Chambers could reach at most 1 + 3 = 4 while one of his rivals was sure of 3 + 2 = 5: he
was in the dance-off whatever the vote. ``public_vote_can_change_bottom_two`` decides exactly,
for any night and either ranking, whether the public can keep each couple out of the bottom;
under today's dense ranking it always can (see its docstring), under 2008's it sometimes cannot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from ballroom.domain.night import Night, NightResult, Standing
from ballroom.domain.rules._ranking import (
    Tally,
    bottom_name,
    dedupe,
    fmt_share,
    fmt_votes,
    groups_best_first,
    lowest,
    names,
    ordinal,
    places,
    tallies,
)
from ballroom.domain.rules.judges_save import (
    NO_DANCE_OFF,
    check_save_votes,
    dance_off,
    refuse_save_votes_without_dance_off,
)
from ballroom.errors import InvalidInput

NAME = "strictly"

RankScheme = Literal["dense", "standard"]
"""``dense`` (today: 3, 3, 2) or ``standard`` (series 6, 2008: 3, 3, 1) rank points."""


def rank_points(
    values: Mapping[str, Fraction | int], scheme: RankScheme = "dense"
) -> dict[str, int]:
    """Rank points for ``values`` (higher is better): the best gets N; ties share the higher.

    After a tie, ``dense`` gives the next couple one point fewer; ``standard`` skips as many
    points as couples were tied (the 2008 rule).
    """
    count = len(values)
    points: dict[str, int] = {}
    above = 0
    for level, group in enumerate(groups_best_first(values, lambda couple: (values[couple],))):
        for couple in group:
            points[couple] = count - (level if scheme == "dense" else above)
        above += len(group)
    return points


@dataclass(frozen=True)
class Ranking:
    """A night ordered by the strictly rule."""

    tally: dict[str, Tally]
    judges_points: dict[str, int]
    vote_points: dict[str, int]
    groups: list[tuple[str, ...]]
    places: dict[str, int]
    final: bool

    def combined(self, couple: str) -> int:
        """Rank points that decide the night: judges' + public, or public alone in a final."""
        if self.final:
            return self.vote_points[couple]
        return self.judges_points[couple] + self.vote_points[couple]

    def worst_first(self) -> list[str]:
        """Every couple, lowest first."""
        return [couple for group in reversed(self.groups) for couple in group]

    def points_text(self, couple: str) -> str:
        """``4 points (judges 1 + public 3)``."""
        return (
            f"{self.combined(couple)} points (judges {self.judges_points[couple]} + public "
            f"{self.vote_points[couple]})"
        )


def rank(night: Night, scheme: RankScheme = "dense") -> Ranking:
    """Rank points for judges and public; order by their sum, ties the public's way."""
    tally = tallies(night)
    judges = rank_points({c: row.judges_points for c, row in tally.items()}, scheme)
    public = rank_points({c: row.votes for c, row in tally.items()}, scheme)
    if night.final:
        groups = groups_best_first(night.couples, lambda c: (tally[c].votes,))
    else:
        groups = groups_best_first(night.couples, lambda c: (judges[c] + public[c], public[c]))
    return Ranking(
        tally=tally,
        judges_points=judges,
        vote_points=public,
        groups=groups,
        places=places(groups),
        final=night.final,
    )


def standings(ranking: Ranking) -> tuple[Standing, ...]:
    """The leaderboard, best first, with both rank points per couple."""
    return tuple(
        Standing(
            couple=couple,
            place=ranking.places[couple],
            judges_points=float(row.judges_points),
            judges_share=float(row.judges_share),
            votes=row.votes,
            vote_share=float(row.vote_share),
            combined=float(ranking.combined(couple)),
            extra={
                "judges_rank_points": ranking.judges_points[couple],
                "vote_rank_points": ranking.vote_points[couple],
            },
        )
        for group in ranking.groups
        for couple in group
        for row in (ranking.tally[couple],)
    )


def compute(night: Night, *, ranking: RankScheme = "dense") -> NightResult:
    """Rank points, bottom ``eliminate`` + 1 dance off, the judges save one (final: votes only).

    ``ranking="standard"`` replays the 2008 rank points; the rule set itself uses ``dense``.
    """
    ranked = rank(night, ranking)
    if night.final:
        return _final(night, ranked)
    if night.eliminate == 0:
        refuse_save_votes_without_dance_off(night)
        return NightResult(
            rules=NAME,
            standings=standings(ranked),
            bottom=(),
            eliminated=(),
            explanation=(NO_DANCE_OFF,),
        )
    cut = lowest(ranked.groups, night.eliminate + 1)
    bottom = (*cut.inside, *cut.tied)
    order = ranked.worst_first()
    lines = [
        f"{bottom_name(len(bottom))} by rank points (lowest first): "
        + ", ".join(f"{couple} {ranked.points_text(couple)}" for couple in bottom)
        + "."
    ]
    eliminated: tuple[str, ...] = ()
    if cut.tied:
        check_save_votes(night, bottom)
        first = cut.tied[0]
        lines.append(
            f"{names(cut.tied)} tie exactly on {ranked.points_text(first)}; the public vote "
            "cannot separate them either, so the producers must decide who dances off."
        )
    else:
        if len(order) > len(bottom):
            inside, outside = order[len(bottom) - 1], order[len(bottom)]
            if ranked.combined(inside) == ranked.combined(outside):
                lines.append(
                    f"{inside} and {outside} have the same rank points "
                    f"({ranked.combined(inside)}); ties go the public's way: {outside} ranks "
                    f"higher with the public ({ranked.vote_points[outside]} vs "
                    f"{ranked.vote_points[inside]} points)."
                )
            trapped = [c for c in trapped_couples(night, ranking=ranking) if c in bottom]
            if trapped:
                lines.append(
                    f"Whatever the public vote, {names(trapped)} could not have escaped the "
                    "dance-off: the judges' rank points alone put them there."
                )
        eliminated, decision = dance_off(night, bottom)
        lines.extend(decision)
    return NightResult(
        rules=NAME,
        standings=standings(ranked),
        bottom=bottom,
        eliminated=eliminated,
        ties=dedupe((cut.tied,)),
        explanation=tuple(lines),
    )


def _final(night: Night, ranked: Ranking) -> NightResult:
    """The final: places by public votes alone; the fewest-voted ``eliminate`` go."""
    if night.save_votes:
        raise InvalidInput(
            "the final is decided by the public vote alone; there is no judges' save",
            field="save_votes",
        )
    tally = ranked.tally
    lines = ["In the final only the public vote counts; the judges' scores decide nothing."]
    cut = lowest(ranked.groups, night.eliminate)
    for index, couple in enumerate(cut.inside):
        lines.append(
            f"{couple} has the {ordinal(index)} public vote: {fmt_votes(tally[couple].votes)} "
            f"({fmt_share(tally[couple].vote_share, 4)}) and is eliminated."
        )
    if cut.tied:
        lines.append(
            f"{names(cut.tied)} tie exactly on {fmt_votes(tally[cut.tied[0]].votes)} votes; "
            "the producers must decide who goes."
        )
    top = ranked.groups[0]
    if len(top) > 1:
        lines.append(
            f"{names(top)} tie exactly on the most public votes "
            f"({fmt_votes(tally[top[0]].votes)}); the producers must decide the winner."
        )
    else:
        lines.append(
            f"{top[0]} wins the public vote: {fmt_votes(tally[top[0]].votes)} "
            f"({fmt_share(tally[top[0]].vote_share, 4)})."
        )
    return NightResult(
        rules=NAME,
        standings=standings(ranked),
        bottom=(*cut.inside, *cut.tied),
        eliminated=cut.inside,
        ties=dedupe((cut.tied, top if len(top) > 1 else ())),
        explanation=tuple(lines),
    )


def public_vote_can_change_bottom_two(
    night: Night, *, ranking: RankScheme = "dense"
) -> dict[str, bool]:
    """For each couple: is there a public vote (distinct counts) that keeps it out of the bottom?

    The bottom is the night's dance-off, ``eliminate`` + 1 couples (two when ``eliminate`` is
    0, as a what-if; ``final`` is ignored). With N couples the public awards N, N − 1, ..., 1
    rank points. Exact argument, for couple c with judges' rank points J_c:

    1. Giving c the public's top N points is never worse: swapping c's public points with
       those of the couple that had N raises c and lowers only that couple.
    2. Then c finishes above rival d iff J_d + V_d ≤ J_c + N (a tie on the sum goes the
       public's way, and c has the most votes), i.e. d's public points V_d ≤ J_c + N − J_d.
    3. The most rivals that can be kept below c is a largest matching of the distinct points
       1 .. N − 1 to those upper bounds, which the greedy "smallest bound takes the smallest
       free points" finds; c escapes iff that many is at least the size of the bottom.

    Under dense judges' ranking the i-th rival above c (by judges' points) has at most i more
    judges' rank points, so giving it N − i public points keeps it below c: every couple can
    escape. The 2008 "standard" ranking breaks that after a tie (3, 3, 1 with three couples).
    """
    tally = tallies(night)
    judges = rank_points({c: row.judges_points for c, row in tally.items()}, ranking)
    count = len(night.couples)
    bottom_size = max(night.eliminate, 1) + 1
    result: dict[str, bool] = {}
    for couple in sorted(night.couples):
        bounds = sorted(
            judges[couple] + count - judges[rival] for rival in night.couples if rival != couple
        )
        kept_below = 0
        for bound in bounds:
            if bound >= kept_below + 1:
                kept_below += 1
        result[couple] = kept_below >= bottom_size
    return result


def trapped_couples(night: Night, *, ranking: RankScheme = "dense") -> list[str]:
    """Couples that are in the dance-off whatever the public vote (the 2008 flaw), by name."""
    can_escape = public_vote_can_change_bottom_two(night, ranking=ranking)
    return [couple for couple, escapes in can_escape.items() if not escapes]

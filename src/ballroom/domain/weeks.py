"""From a season's week to the ``Night`` a rule set ranks.

A week's judges' points are known per judge (``Night.dances``), as a published total with no
per-judge split, or not at all. ``night_for_week`` keeps that distinction: known per-judge
scores become dances, everything else a caller supplies (a published total, a simulated
score) goes into ``Night.extra_points``, and the week's bonus stays in ``Night.bonus``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ballroom.domain.night import MAX_SCORE, DanceScores, Night
from ballroom.domain.season import Season, Week
from ballroom.errors import InvalidInput, MissingField, UnknownCouple, WrongType

# Published totals are whole or half points; anything closer than this is the same number.
_TOLERANCE = 1e-9


def _week(season: Season, week: Week | int) -> Week:
    return week if isinstance(week, Week) else season.week(week)


def couples_dancing(season: Season, week_number: int) -> tuple[str, ...]:
    """The couples dancing in that week, in cast order."""
    return season.week(week_number).couples


def max_points(season: Season, week: Week | int) -> float:
    """The most judges' points a couple can get that night: 10 x judges x rounds (no bonus)."""
    night = _week(season, week)
    return MAX_SCORE * len(night.judges) * len(night.rounds)


def _known_split(night: Week, couple: str) -> tuple[float | None, dict[str, dict[str, float]]]:
    """A couple's known judges' points (no bonus) and the per-judge scores behind them."""
    by_round: dict[str, dict[str, float]] = {}
    total = 0.0
    complete = True
    for round_name in night.rounds:
        performance = night.performance(couple, round_name)
        points = performance.known_points(night.judges) if performance else None
        if points is None:
            complete = False
            continue
        total += points
        # Per-judge scores only become dances when the whole panel is known and agrees.
        if (
            performance is not None
            and performance.scores is not None
            and set(performance.scores) == set(night.judges)
        ):
            by_round[round_name] = dict(performance.scores)
    if couple in night.totals:
        return night.totals[couple], by_round
    return (total if complete else None), by_round


def known_points(season: Season, week: Week | int) -> dict[str, float | None]:
    """Each dancing couple's known judges' points that night plus bonus; ``None`` if unknown."""
    night = _week(season, week)
    out: dict[str, float | None] = {}
    for couple in night.couples:
        points, _ = _known_split(night, couple)
        out[couple] = None if points is None else points + night.bonus.get(couple, 0.0)
    return out


def night_for_week(
    season: Season,
    week_number: int,
    *,
    scores: Mapping[str, float],
    votes: Mapping[str, int],
    carried_scores: Mapping[str, float] | None = None,
    carried_votes: Mapping[str, int] | None = None,
    rules: str | None = None,
) -> Night:
    """The ``Night`` of one week, for a rule set to rank.

    ``scores`` is every dancing couple's judges' points that night, bonus included (what
    ``known_points`` returns, with simulated values where it says ``None``). Where a couple's
    points are known they must be passed unchanged: a replay never overrides a real score.
    ``rules`` defaults to the season's rule set.
    """
    night = season.week(week_number)
    known = known_points(season, night)
    for couple in scores:
        if couple not in night.couples:
            raise UnknownCouple(
                f"scores names {couple!r}, who is not dancing in week {night.number}",
                field=f"scores.{couple}",
            )
    for couple in votes:
        if couple not in night.couples:
            raise UnknownCouple(
                f"votes names {couple!r}, who is not dancing in week {night.number}",
                field=f"votes.{couple}",
            )
    dances: dict[str, dict[str, dict[str, float]]] = {name: {} for name in night.rounds}
    extra: dict[str, float] = {}
    for couple in night.couples:
        if couple not in scores:
            raise MissingField(
                f"no judges' points for {couple!r} in week {night.number}", field=f"scores.{couple}"
            )
        given = float(scores[couple])
        real = known[couple]
        if real is not None and abs(given - real) > _TOLERANCE:
            raise InvalidInput(
                f"scores.{couple} is {given:g} but week {night.number}'s known points are "
                f"{real:g}; real scores are never replaced",
                field=f"scores.{couple}",
            )
        bonus = night.bonus.get(couple, 0.0)
        _, split = _known_split(night, couple)
        keyed = 0.0
        for round_name, by_judge in split.items():
            dances[round_name][couple] = by_judge
            keyed += sum(by_judge.values())
        remainder = given - bonus - keyed
        if remainder < -_TOLERANCE:
            raise WrongType(
                f"scores.{couple} ({given:g}) is less than its bonus and keyed "
                f"scores ({bonus + keyed:g})",
                field=f"scores.{couple}",
            )
        if remainder > _TOLERANCE:
            extra[couple] = remainder
    head = season.head_judge
    return Night(
        rules=rules if rules is not None else season.rules,
        couples=night.couples,
        judges=night.judges,
        dances=tuple(
            DanceScores(name=name, scores=by_couple)
            for name, by_couple in dances.items()
            if by_couple
        ),
        bonus={c: b for c, b in night.bonus.items() if c in night.couples},
        votes=dict(votes),
        carried_scores=dict(carried_scores or {}),
        carried_votes=dict(carried_votes or {}),
        eliminate=night.eliminate,
        head_judge=head if head in night.judges else None,
        final=night.finale,
        extra_points=extra,
    )

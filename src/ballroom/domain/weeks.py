"""From a season's week to the ``Night`` a rule set ranks.

A week's judges' points are known per judge (``Night.dances``), as a published total with no
per-judge split, or not at all. ``night_for_week`` is the one place a week becomes a
``Night`` (the replay, the rehearsal, the control room and the tests all build theirs here).
It keeps that distinction: per-judge scores (known, keyed tonight, or a whole simulated
sheet) become dances, any other points a caller supplies (a published total, a simulated
score) go into ``Night.extra_points``, and the week's bonus stays in ``Night.bonus``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import SupportsFloat

from ballroom.domain.night import MAX_SCORE, DanceScores, Night
from ballroom.domain.season import Season, Week
from ballroom.errors import InvalidInput, MissingField, UnknownCouple, UnknownJudge, WrongType

# Published totals are whole or half points; anything closer than this is the same number.
_TOLERANCE = 1e-9

Sheet = Mapping[str, Mapping[str, Mapping[str, float]]]
"""One night's per-judge scores: round -> couple -> judge -> score."""


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


def plain_number(value: SupportsFloat) -> float:
    """Whole points as ``int`` (exact and fast for the rules' fractions), halves as floats."""
    number = float(value)
    return int(number) if number.is_integer() else number


def sheet_from_grid(
    couples: Sequence[str],
    rounds: Sequence[str],
    judges: Sequence[str],
    grid: Sequence[Sequence[Sequence[float]]],
) -> dict[str, dict[str, dict[str, float]]]:
    """A couple x round x judge grid of scores (a simulated sheet's ``tolist()``) as a ``Sheet``."""
    return {
        round_name: {
            couple: dict(zip(judges, grid[c][r], strict=True)) for c, couple in enumerate(couples)
        }
        for r, round_name in enumerate(rounds)
    }


def night_for_week(
    season: Season,
    week: Week | int,
    *,
    votes: Mapping[str, int],
    sheet: Sheet | None = None,
    scores: Mapping[str, float] | None = None,
    carried_scores: Mapping[str, float] | None = None,
    carried_votes: Mapping[str, int] | None = None,
    rules: str | None = None,
) -> Night:
    """The ``Night`` of one week, for a rule set to rank.

    ``sheet`` is the per-judge scores to rank (keyed tonight, or a simulated sheet); without
    one, the week's known per-judge scores. Rounds nobody has a score in are left out.
    ``scores``, when given, is every dancing couple's judges' points that night, bonus
    included (what ``known_points`` returns, with simulated values where it says ``None``):
    what the sheet and the bonus leave of it goes into ``Night.extra_points``. Where a
    couple's points are known they must be passed unchanged: a replay never overrides a real
    score. ``votes`` are tonight's (a couple not named has none); carried values pass
    through as given. ``rules`` defaults to the season's rule set. Scores and bonus come out
    as plain numbers (``plain_number``).
    """
    night = _week(season, week)
    if scores is not None:
        _only_dancing(night, scores, "scores")
    _only_dancing(night, votes, "votes")
    if sheet is None:
        sheet = _known_sheet(night)
    dances = _dances(night, sheet)
    bonus = {c: plain_number(b) for c, b in night.bonus.items() if c in night.couples}
    extra = _extra_points(season, night, scores, dances) if scores is not None else {}
    head = season.head_judge
    return Night(
        rules=rules if rules is not None else season.rules,
        couples=night.couples,
        judges=night.judges,
        dances=dances,
        bonus=bonus,
        votes={c: int(votes.get(c, 0)) for c in night.couples},
        carried_scores=dict(carried_scores or {}),
        carried_votes=dict(carried_votes or {}),
        eliminate=night.eliminate,
        head_judge=head if head in night.judges else None,
        final=night.finale,
        extra_points=extra,
    )


def _only_dancing(night: Week, named: Mapping[str, object], what: str) -> None:
    for couple in named:
        if couple not in night.couples:
            raise UnknownCouple(
                f"{what} names {couple!r}, who is not dancing in week {night.number}",
                field=f"{what}.{couple}",
            )


def _known_sheet(night: Week) -> dict[str, dict[str, dict[str, float]]]:
    """The week's known per-judge scores (see ``_known_split``), round by round."""
    sheet: dict[str, dict[str, dict[str, float]]] = {name: {} for name in night.rounds}
    for couple in night.couples:
        _, split = _known_split(night, couple)
        for round_name, by_judge in split.items():
            sheet[round_name][couple] = by_judge
    return sheet


def _dances(night: Week, sheet: Sheet) -> tuple[DanceScores, ...]:
    """The sheet's non-empty rounds as ``Night.dances``, checked against the cast and panel."""
    dances: list[DanceScores] = []
    for round_name, by_couple in sheet.items():
        if not by_couple:
            continue
        scores: dict[str, dict[str, float]] = {}
        for couple, by_judge in by_couple.items():
            if couple not in night.couples:
                raise UnknownCouple(
                    f"a score names {couple!r}, who is not dancing in week {night.number}",
                    field=f"dances.{round_name}.{couple}",
                )
            for judge in by_judge:
                if judge not in night.judges:
                    raise UnknownJudge(
                        f"a score names {judge!r}, who is not on week {night.number}'s panel",
                        field=f"dances.{round_name}.{couple}.{judge}",
                    )
            scores[couple] = {judge: plain_number(v) for judge, v in by_judge.items()}
        dances.append(DanceScores(name=round_name, scores=scores))
    return tuple(dances)


def _extra_points(
    season: Season, night: Week, scores: Mapping[str, float], dances: Sequence[DanceScores]
) -> dict[str, float]:
    """What each couple's ``scores`` leaves beyond its bonus and per-judge scores."""
    known = known_points(season, night)
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
        keyed = 0.0
        for dance in dances:
            keyed += sum(dance.scores.get(couple, {}).values())
        remainder = given - bonus - keyed
        if remainder < -_TOLERANCE:
            raise WrongType(
                f"scores.{couple} ({given:g}) is less than its bonus and keyed "
                f"scores ({bonus + keyed:g})",
                field=f"scores.{couple}",
            )
        if remainder > _TOLERANCE:
            extra[couple] = remainder
    return extra

"""Replay a season week by week under every rule set, with simulated electorates.

The real path: every week the real cast of that week dances, with every real score that is
known; unknown judges' scores and all votes come from ``simulated_night`` (one draw per
simulated electorate). Each week is ranked under each rule set and compared with what really
happened: the couple(s) really eliminated that week, and the finale's real placing. Because
every week uses the real cast, a rule set that "gets week 3 wrong" is still asked about week
4 with the couples who really danced in week 4.

Reproduction rates are facts about the model and the rules, not numbers to tune: with votes
unknown, a rate says how often *this* simulated electorate, combined by *this* rule set with
the real judges' scores, sends home the couple who really went.

Decisions the real show never had to make, and how the replay makes them:

- **Judges' save** (``dwts-judges-save``, ``strictly``'s dance-off): see ``JUDGES_SAVE_RULE``.
- **Skating System** (``skating``): see ``SKATING_ORDINALS``. It uses no votes.
- **Carry-over** weeks (no elimination) add their judges' points and votes to the next week;
  for ``skating`` their dances join the next week's as extra dances.
- **Bonus points** count as judges' points (Leavitt's +5 marathon bonus in week 7).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ballroom.domain.night import Night, NightResult
from ballroom.domain.rules import RULE_SET_NAMES, compute
from ballroom.domain.rules.skating import DanceMarks, SkatingRequest, place_final
from ballroom.domain.season import Season, Week
from ballroom.domain.weeks import (
    known_points,
    max_points,
    night_for_week,
    plain_number,
    sheet_from_grid,
)
from ballroom.errors import InvalidInput, UnknownRules, UnresolvableTie
from ballroom.services.simulated_night import (
    ElectorateModel,
    FloatArray,
    ScoreModel,
    SkillFit,
    WeekLayout,
    drift,
    fit_skills,
    initial_popularity,
    night_volume,
    night_votes,
    simulate_scores,
    week_layout,
)

RULE_SETS = RULE_SET_NAMES
SAVE_RULE_SETS = frozenset({"dwts-judges-save", "strictly"})
MAX_ELECTORATES = 100_000

JUDGES_SAVE_RULE = (
    "Simulated judges' save: each judge saves the couple in the dance-off to whom that judge "
    "gave the most points tonight; if equal, the couple with more judges' points tonight "
    "(panel, bonus included); if still equal, a simulated coin toss. A split panel is broken by "
    "the head judge's vote (Carrie Ann Inaba in the bundled season), as the rule set says."
)
SKATING_ORDINALS = (
    "The Skating System needs each judge's ordinal places with no ties; DWTS judges give 1-10 "
    "marks, often equal. Each judge's places for a dance are derived from that judge's scores "
    "(known or simulated), equal scores ordered by that judge's total for the night, then by a "
    "simulated coin toss. Carried weeks' dances join the next week's as extra dances. Skating "
    "uses no viewer votes: it shows what the judges alone would have decided. The couple(s) "
    "with the worst final places go; a shared place across the line counts as unresolved."
)
SIMULATED_LABEL = "simulated"


@dataclass(frozen=True)
class ReplayConfig:
    """How many electorates, which seed and rule sets, and the two models' parameters."""

    seed: int = 34
    electorates: int = 200
    rule_sets: tuple[str, ...] = RULE_SETS
    scores: ScoreModel = field(default_factory=ScoreModel)
    electorate: ElectorateModel = field(default_factory=ElectorateModel)

    def check(self) -> None:
        """Raise a specific error for a configuration no replay can run."""
        if not 1 <= self.electorates <= MAX_ELECTORATES:
            raise InvalidInput(
                f"electorates must be from 1 to {MAX_ELECTORATES:,}, not {self.electorates}",
                field="electorates",
            )
        if not self.rule_sets:
            raise InvalidInput("name at least one rule set", field="rules")
        for name in self.rule_sets:
            if name not in RULE_SETS:
                raise UnknownRules(
                    f"unknown rules {name!r}; choose from {', '.join(RULE_SETS)}", field="rules"
                )
        if self.seed < 0:
            raise InvalidInput("seed must be a whole number >= 0", field="seed")


@dataclass(frozen=True)
class CoupleLine:
    """One couple's line on one night of the showcase electorate (electorate #1)."""

    couple: str
    points: float
    """Tonight's judges' points, bonus included (carried points not included)."""
    points_known: bool
    """True when tonight's total is the real one (its per-judge split may still be simulated)."""
    simulated_scores: int
    """How many of tonight's judges' scores are simulated."""
    scores: int
    """How many judges' scores tonight (judges x rounds)."""
    carried_points: float
    votes: int
    carried_votes: int
    judges_share: float
    vote_share: float
    combined: float
    place: int
    """The couple's place under ``dwts`` tonight."""


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule set decided on one night of the showcase electorate."""

    rules: str
    bottom: tuple[str, ...]
    eliminated: tuple[str, ...]
    order: tuple[str, ...]
    """Couples best first (for a finale: the placing)."""
    reproduced: bool | None
    """Whether the real result was reproduced; None on a night with nothing to compare."""


@dataclass(frozen=True)
class WeekOutcome:
    """One night of the showcase electorate, with the real result beside it."""

    number: int
    theme: str
    judges: tuple[str, ...]
    rounds: tuple[str, ...]
    max_points: float
    eliminate: int
    carry_over: bool
    finale: bool
    volume: int
    volume_published: bool
    lines: tuple[CoupleLine, ...]
    outcomes: Mapping[str, RuleOutcome]
    real_eliminated: tuple[str, ...]
    real_bottom: tuple[str, ...]
    real_final_order: tuple[str, ...]
    bonus: Mapping[str, float]


@dataclass(frozen=True)
class Reproduction:
    """How often, over the electorates, one rule set reproduced the real results."""

    rules: str
    weeks: Mapping[int, float]
    """Week -> share of electorates whose elimination equals the real one."""
    all_eliminations: float
    """Share reproducing every real elimination of the season (finale excluded)."""
    winner: float
    final_order: float
    whole_order: float
    """Share reproducing every elimination *and* the finale's whole placing."""
    unresolved: int
    """Nights (over all electorates) that ended in a tie the rule left to the producers."""
    most_often: Mapping[int, tuple[tuple[str, ...], float]] = field(default_factory=dict)
    """Week -> the elimination this rule set made most often (sorted ids) and its share."""


@dataclass(frozen=True)
class SeasonReplay:
    """A whole replay: the showcase electorate's weeks, the rates, and the inputs."""

    season_id: str
    season_name: str
    config: ReplayConfig
    fit: SkillFit
    names: Mapping[str, str]
    """Couple id -> "Celebrity & Professional"."""
    judge_names: Mapping[str, str]
    showcase: tuple[WeekOutcome, ...]
    reproduction: tuple[Reproduction, ...]
    mean_points: Mapping[int, Mapping[str, float]]
    """Week -> couple -> mean judges' points tonight over the electorates."""
    points_known: Mapping[int, Mapping[str, bool]]
    mean_vote_share: Mapping[int, Mapping[str, float]]
    """Week -> couple -> mean share of tonight's simulated votes over the electorates."""

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary; the same seed and parameters give the same summary."""
        return {
            "season": self.season_id,
            "seed": self.config.seed,
            "electorates": self.config.electorates,
            "rule_sets": list(self.config.rule_sets),
            "labels": {
                "votes": "simulated (no per-couple vote counts are published)",
                "scores": "real where known; otherwise simulated and marked sim",
                "volumes": "published lower bound where known, otherwise simulated",
            },
            "models": {
                "scores": self.config.scores.as_dict(),
                "electorate": self.config.electorate.as_dict(),
                "judges_save": JUDGES_SAVE_RULE,
                "skating": SKATING_ORDINALS,
            },
            "fit": {
                "base": _round(self.fit.base),
                "trend": _round(self.fit.trend),
                "skill": {c: _round(v) for c, v in sorted(self.fit.skill.items())},
            },
            "reproduction": {
                r.rules: {
                    "weeks": {str(w): _round(v) for w, v in sorted(r.weeks.items())},
                    "all_eliminations": _round(r.all_eliminations),
                    "winner": _round(r.winner),
                    "final_order": _round(r.final_order),
                    "whole_order": _round(r.whole_order),
                    "unresolved": r.unresolved,
                    "most_often": {
                        str(w): {"eliminated": list(who), "share": _round(share)}
                        for w, (who, share) in sorted(r.most_often.items())
                    },
                }
                for r in self.reproduction
            },
            "weeks": [self._week_summary(week) for week in self.showcase],
        }

    def _week_summary(self, week: WeekOutcome) -> dict[str, Any]:
        return {
            "week": week.number,
            "theme": week.theme,
            "judges": list(week.judges),
            "rounds": list(week.rounds),
            "max_points": week.max_points,
            "real_eliminated": list(week.real_eliminated),
            "real_final_order": list(week.real_final_order),
            "showcase": {
                "volume": week.volume,
                "volume_label": "published" if week.volume_published else SIMULATED_LABEL,
                "standings": [
                    {
                        "couple": line.couple,
                        "place": line.place,
                        "points": line.points,
                        "points_label": "real" if line.points_known else SIMULATED_LABEL,
                        "simulated_scores": line.simulated_scores,
                        "carried_points": line.carried_points,
                        "votes": line.votes,
                        "carried_votes": line.carried_votes,
                        "votes_label": SIMULATED_LABEL,
                        "judges_share": _round(line.judges_share),
                        "vote_share": _round(line.vote_share),
                        "combined": _round(line.combined),
                    }
                    for line in week.lines
                ],
                "outcomes": {
                    name: {
                        "eliminated": list(o.eliminated),
                        "bottom": list(o.bottom),
                        "reproduced": o.reproduced,
                    }
                    for name, o in week.outcomes.items()
                },
            },
            "mean_points": {c: _round(v) for c, v in self.mean_points[week.number].items()},
            "mean_vote_share": {c: _round(v) for c, v in self.mean_vote_share[week.number].items()},
        }


def _round(value: float) -> float:
    return round(float(value), 6)


Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _Context:
    """What every electorate shares: the season, its score sheets and the fitted model."""

    season: Season
    weeks: tuple[Week, ...]
    layouts: Mapping[int, WeekLayout]
    known: Mapping[int, Mapping[str, float | None]]
    fit: SkillFit
    quality: FloatArray
    config: ReplayConfig


@dataclass(frozen=True)
class _Streams:
    """Separate random streams, so changing the rule sets never changes the votes."""

    scores: np.random.Generator
    votes: np.random.Generator
    judges: np.random.Generator


@dataclass
class _Carry:
    """What a week without elimination hands to the next one."""

    points: dict[str, float]
    votes: dict[str, int]
    marks: list[DanceMarks]


@dataclass(frozen=True)
class _NightState:
    """One electorate's night: the full score sheet, the votes, the ``Night`` to rank."""

    week: Week
    layout: WeekLayout
    sheet: FloatArray
    points: FloatArray
    """Tonight's judges' points per couple (layout order), bonus included."""
    volume: int
    published: bool
    night: Night
    marks: list[DanceMarks]
    carry: _Carry | None


@dataclass
class _Tally:
    """Running counts over the electorates."""

    hits: dict[str, dict[int, int]]
    all_hits: dict[str, int]
    winner: dict[str, int]
    final_order: dict[str, int]
    whole: dict[str, int]
    unresolved: dict[str, int]
    eliminated: dict[str, dict[int, Counter[tuple[str, ...]]]]
    points: dict[int, dict[str, float]]
    shares: dict[int, dict[str, float]]


def replay_season(
    season: Season, config: ReplayConfig | None = None, progress: Progress | None = None
) -> SeasonReplay:
    """Replay ``season`` over ``config.electorates`` simulated electorates (see module doc).

    Electorate *i* draws from its own child of ``SeedSequence(config.seed)``, so its numbers
    do not depend on how many electorates run; electorate #1 is the showcase printed week by
    week. ``progress(done, total)`` is called after each electorate.
    """
    config = config or ReplayConfig()
    config.check()
    weeks = tuple(sorted(season.weeks, key=lambda w: w.number))
    all_couples = tuple(c.id for c in season.couples)
    layouts = {w.number: week_layout(w, w.couples) for w in weeks}
    fit = fit_skills(list(layouts.values()), all_couples, config.scores)
    context = _Context(
        season=season,
        weeks=weeks,
        layouts=layouts,
        known={w.number: known_points(season, w) for w in weeks},
        fit=fit,
        quality=fit.quality_z(all_couples),
        config=config,
    )
    tally = _Tally(
        hits={r: {w.number: 0 for w in weeks if _compared(w)} for r in config.rule_sets},
        all_hits=dict.fromkeys(config.rule_sets, 0),
        winner=dict.fromkeys(config.rule_sets, 0),
        final_order=dict.fromkeys(config.rule_sets, 0),
        whole=dict.fromkeys(config.rule_sets, 0),
        unresolved=dict.fromkeys(config.rule_sets, 0),
        eliminated={
            r: {w.number: Counter() for w in weeks if _compared(w)} for r in config.rule_sets
        },
        points={w.number: dict.fromkeys(w.couples, 0.0) for w in weeks},
        shares={w.number: dict.fromkeys(w.couples, 0.0) for w in weeks},
    )
    showcase: list[WeekOutcome] = []
    children = np.random.SeedSequence(config.seed).spawn(config.electorates)
    for index, child in enumerate(children):
        score_seq, vote_seq, judge_seq = child.spawn(3)
        streams = _Streams(
            scores=np.random.default_rng(score_seq),
            votes=np.random.default_rng(vote_seq),
            judges=np.random.default_rng(judge_seq),
        )
        weeks_out = _one_electorate(context, streams, tally, keep=index == 0)
        if index == 0:
            showcase = weeks_out
        if progress is not None:
            progress(index + 1, config.electorates)
    count = config.electorates
    reproduction = tuple(
        Reproduction(
            rules=r,
            weeks={w: hits / count for w, hits in tally.hits[r].items()},
            all_eliminations=tally.all_hits[r] / count,
            winner=tally.winner[r] / count,
            final_order=tally.final_order[r] / count,
            whole_order=tally.whole[r] / count,
            unresolved=tally.unresolved[r],
            most_often={w: _mode(counts, count) for w, counts in tally.eliminated[r].items()},
        )
        for r in config.rule_sets
    )
    return SeasonReplay(
        season_id=season.id,
        season_name=season.name,
        config=config,
        fit=fit,
        names={c.id: f"{c.celebrity} & {c.professional}" for c in season.couples},
        judge_names={j.id: j.name for j in season.judges},
        showcase=tuple(showcase),
        reproduction=reproduction,
        mean_points={w: {c: v / count for c, v in by.items()} for w, by in tally.points.items()},
        points_known={
            w: {c: value is not None for c, value in by.items()} for w, by in context.known.items()
        },
        mean_vote_share={
            w: {c: v / count for c, v in by.items()} for w, by in tally.shares.items()
        },
    )


def _mode(counts: Counter[tuple[str, ...]], total: int) -> tuple[tuple[str, ...], float]:
    """The most frequent elimination (ties: the first in name order) and its share."""
    if not counts:
        return (), 0.0
    who, times = min(counts.items(), key=lambda item: (-item[1], item[0]))
    return who, times / total


def _compared(week: Week) -> bool:
    """Weeks whose real elimination can be compared (the finale is compared as a placing)."""
    return week.eliminate > 0 and bool(week.eliminated) and not week.finale


def _one_electorate(
    context: _Context, streams: _Streams, tally: _Tally, *, keep: bool
) -> list[WeekOutcome]:
    """Play every week for one electorate; count its hits; keep its nights if asked."""
    config = context.config
    index = {c.id: i for i, c in enumerate(context.season.couples)}
    popularity = initial_popularity(context.quality, config.electorate, streams.votes)
    carry: _Carry | None = None
    every_elimination = dict.fromkeys(config.rule_sets, True)
    final_ok = dict.fromkeys(config.rule_sets, False)
    out: list[WeekOutcome] = []
    for position, week in enumerate(context.weeks):
        if position:
            popularity = drift(popularity, config.electorate, streams.votes)
        state = _play_night(
            context, week, popularity=popularity, index=index, carry=carry, streams=streams
        )
        cast = state.layout.couples
        for i, couple in enumerate(cast):
            tally.points[week.number][couple] += float(state.points[i])
            tally.shares[week.number][couple] += (
                state.night.votes[couple] / state.volume if state.volume else 0.0
            )
        evaluate = keep or _compared(week) or week.finale
        outcomes: dict[str, RuleOutcome] = {}
        for rules in config.rule_sets if evaluate else ():
            outcome = _decide(rules, state, streams.judges)
            outcomes[rules] = outcome
            if _compared(week):
                hit = bool(outcome.reproduced)
                tally.hits[rules][week.number] += hit
                every_elimination[rules] &= hit
                tally.unresolved[rules] += len(outcome.eliminated) < week.eliminate
                tally.eliminated[rules][week.number][tuple(sorted(outcome.eliminated))] += 1
            if week.finale and week.final_order:
                final_ok[rules] = bool(outcome.reproduced)
                tally.winner[rules] += outcome.order[:1] == week.final_order[:1]
        if keep:
            out.append(_week_outcome(context, state, outcomes))
        carry = (
            _Carry(
                points={c: plain_number(state.points[i]) for i, c in enumerate(cast)},
                votes=dict(state.night.votes),
                marks=state.marks,
            )
            if week.carry_over
            else None
        )
    for rules in config.rule_sets:
        tally.all_hits[rules] += every_elimination[rules]
        tally.final_order[rules] += final_ok[rules]
        tally.whole[rules] += every_elimination[rules] and final_ok[rules]
    return out


def _play_night(
    context: _Context,
    week: Week,
    *,
    popularity: FloatArray,
    index: Mapping[str, int],
    carry: _Carry | None,
    streams: _Streams,
) -> _NightState:
    """Simulate one night: the unknown scores, the votes, and the judges' ordinals."""
    config = context.config
    layout = context.layouts[week.number]
    sheet = simulate_scores(layout, context.fit, config.scores, streams.scores)
    cast = layout.couples
    points = sheet.sum(axis=(1, 2)) + np.array([week.bonus.get(c, 0.0) for c in cast])
    _check_known(week, cast, points, context.known[week.number])
    volume, published = night_volume(week.number, config.electorate, streams.votes)
    votes = night_votes(popularity[[index[c] for c in cast]], points, volume, config.electorate)
    night = night_for_week(
        context.season,
        week,
        votes=dict(zip(cast, votes.tolist(), strict=True)),
        sheet=sheet_from_grid(cast, layout.rounds, layout.judges, sheet.tolist()),
        carried_scores=carry.points if carry else None,
        carried_votes=carry.votes if carry else None,
        rules="dwts",
    )
    return _NightState(
        week=week,
        layout=layout,
        sheet=sheet,
        points=points,
        volume=volume,
        published=published,
        night=night,
        marks=_marks(week, layout, sheet, streams.judges),
        carry=carry,
    )


def _check_known(
    week: Week, cast: Sequence[str], points: FloatArray, known: Mapping[str, float | None]
) -> None:
    """A replay never replaces a real total: the simulated sheet must add up to it."""
    for i, couple in enumerate(cast):
        real = known.get(couple)
        if real is not None and not math.isclose(float(points[i]), real):
            raise InvalidInput(
                f"week {week.number}: {couple}'s known points are {real:g} but the score "
                f"sheet adds up to {float(points[i]):g}",
                # Season files list weeks from 1 at position 0 (the loader checks it).
                field=f"weeks[{week.number - 1}].performances",
            )


def _marks(
    week: Week, layout: WeekLayout, sheet: FloatArray, rng: np.random.Generator
) -> list[DanceMarks]:
    """Each judge's ordinal places per round (see ``SKATING_ORDINALS``)."""
    n_couples, n_rounds, n_judges = sheet.shape
    judge_totals = sheet.sum(axis=1)
    coins = rng.random((n_rounds, n_judges, n_couples))
    marks: list[DanceMarks] = []
    for r, round_name in enumerate(layout.rounds):
        places = np.zeros((n_couples, n_judges), dtype=np.int64)
        for j in range(n_judges):
            # lexsort's last key is the primary one; negated because higher is better.
            order = np.lexsort((coins[r, j], -judge_totals[:, j], -sheet[:, r, j]))
            places[order, j] = np.arange(1, n_couples + 1)
        marks.append(
            DanceMarks(
                dance=f"week {week.number} {round_name}",
                judges=layout.judges,
                places={
                    couple: tuple(int(p) for p in places[c])
                    for c, couple in enumerate(layout.couples)
                },
            )
        )
    return marks


def _decide(rules: str, state: _NightState, judges_rng: np.random.Generator) -> RuleOutcome:
    """One rule set's decision on one night, compared with the real result."""
    if rules == "skating":
        return _skating(state)
    night = state.night
    result = compute(replace(night, rules=rules))
    if rules in SAVE_RULE_SETS and night.eliminate and not night.final and not result.ties:
        save_votes = _save_votes(result.bottom, state, judges_rng)
        try:
            result = compute(replace(night, rules=rules, save_votes=save_votes))
        except UnresolvableTie:
            # A split with no head judge on tonight's panel: left to the producers.
            return _outcome(rules, state.week, result, eliminated=())
    return _outcome(rules, state.week, result, eliminated=result.eliminated)


def _outcome(
    rules: str, week: Week, result: NightResult, *, eliminated: tuple[str, ...]
) -> RuleOutcome:
    order = tuple(s.couple for s in result.standings)
    places = {s.couple: float(s.place) for s in result.standings}
    return RuleOutcome(
        rules=rules,
        bottom=result.bottom,
        eliminated=eliminated,
        order=order,
        reproduced=_reproduced(week, eliminated, order, places),
    )


def _reproduced(
    week: Week, eliminated: Sequence[str], order: Sequence[str], places: Mapping[str, float]
) -> bool | None:
    """Whether a decision equals the real one; None on a night with nothing to compare."""
    if week.finale and week.final_order:
        # A shared place is not the real placing, whatever order the names print in.
        distinct = len(set(places.values())) == len(places)
        return distinct and tuple(order) == tuple(week.final_order)
    if _compared(week):
        return set(eliminated) == set(week.eliminated)
    return None


def _save_votes(
    bottom: Sequence[str], state: _NightState, rng: np.random.Generator
) -> dict[str, str]:
    """Each judge's save vote (see ``JUDGES_SAVE_RULE``)."""
    position = {couple: c for c, couple in enumerate(state.layout.couples)}
    rows = [position[couple] for couple in bottom]
    coins = rng.random((len(state.layout.judges), len(rows)))
    panel = [float(state.points[row]) for row in rows]
    votes: dict[str, str] = {}
    for j, judge in enumerate(state.layout.judges):
        own = [float(state.sheet[row, :, j].sum()) for row in rows]
        keys = [(own[k], panel[k], float(coins[j, k])) for k in range(len(rows))]
        votes[judge] = bottom[keys.index(max(keys))]
    return votes


def _skating(state: _NightState) -> RuleOutcome:
    """The judges' ordinals (with any carried week's) placed by the Skating System."""
    night = state.night
    dances = (*(state.carry.marks if state.carry else ()), *state.marks)
    result = place_final(SkatingRequest(dances=tuple(dances), couples=night.couples))
    final = dict(result.final_places)
    order = tuple(sorted(night.couples, key=lambda c: (final[c], c)))
    eliminated: tuple[str, ...] = ()
    bottom: tuple[str, ...] = ()
    if night.eliminate and not night.final:
        worst_first = order[::-1]
        cut = worst_first[: night.eliminate]
        bottom = worst_first[: night.eliminate + 1]
        next_up = worst_first[night.eliminate] if len(worst_first) > night.eliminate else None
        # A place shared across the line is a tie the judges' marks cannot break.
        if next_up is None or final[next_up] != final[cut[-1]]:
            eliminated = cut
    return RuleOutcome(
        rules="skating",
        bottom=bottom,
        eliminated=eliminated,
        order=order,
        reproduced=_reproduced(state.week, eliminated, order, final),
    )


def _week_outcome(
    context: _Context, state: _NightState, outcomes: Mapping[str, RuleOutcome]
) -> WeekOutcome:
    """The showcase night: the dwts leaderboard plus every rule set's decision."""
    week, layout, night = state.week, state.layout, state.night
    known = context.known[week.number]
    ranked = compute(replace(night, rules="dwts"))
    position = {couple: c for c, couple in enumerate(layout.couples)}
    per_couple = layout.known.shape[1] * layout.known.shape[2]
    lines = tuple(
        CoupleLine(
            couple=s.couple,
            points=float(state.points[position[s.couple]]),
            points_known=known.get(s.couple) is not None,
            simulated_scores=int(layout.unknown[position[s.couple]].sum()),
            scores=per_couple,
            carried_points=float(night.carried_scores.get(s.couple, 0.0)),
            votes=int(night.votes.get(s.couple, 0)),
            carried_votes=int(night.carried_votes.get(s.couple, 0)),
            judges_share=s.judges_share,
            vote_share=s.vote_share,
            combined=s.combined,
            place=s.place,
        )
        for s in ranked.standings
    )
    return WeekOutcome(
        number=week.number,
        theme=week.theme,
        judges=layout.judges,
        rounds=layout.rounds,
        max_points=float(max_points(context.season, week)),
        eliminate=week.eliminate,
        carry_over=week.carry_over,
        finale=week.finale,
        volume=state.volume,
        volume_published=state.published,
        lines=lines,
        outcomes=dict(outcomes),
        real_eliminated=tuple(week.eliminated),
        real_bottom=tuple(week.bottom),
        real_final_order=tuple(week.final_order),
        bonus=dict(week.bonus),
    )

"""Simulated judges' scores and a simulated electorate, for replaying a season.

Everything here is a pure function of its inputs and a ``numpy.random.Generator``: the same
generator state gives the same numbers. Nothing real is ever replaced: a known score stays
as keyed, a published total is met exactly, and every simulated number is marked as such by
the caller.

The score model (per judge, per dance, on the 1-10 scale)::

    mean(couple, week) = base + skill[couple] + trend * (week - 1)
    score = clip(round(mean + dance_shock + judge_noise), 1, 10)

``skill`` and ``trend`` are fitted by ridge regression on every known score of the season
(a couple with few known scores stays near the cast average; ``trend`` is pulled towards a
prior of ``trend_prior`` points per week, because scores rise as a season goes on).
``dance_shock`` (shared by the panel: a good dance is good for every judge) and
``judge_noise`` (each judge's own view) are normal draws. Where only a total is known
(a published 58/60 with no split, a partial split), the rounded scores are nudged one point
at a time, towards the judge whose unrounded score was furthest off, until they add up to
that total, never leaving 1-10.

The electorate model (per couple, on a log scale)::

    popularity[couple] = spread * (rho * quality_z + sqrt(1 - rho**2) * fan_z)
    popularity += drift_sd * normal()                       (every week, a random walk)
    share = softmax(popularity + tonight_weight * points_z)  (over tonight's cast)

``quality_z`` is the standardised fitted skill (fans like good dancers, correlation
``rho``), ``fan_z`` a fan base independent of dancing, ``points_z`` tonight's standardised
judges' points (a strong dance tonight pulls votes tonight only). The night's volume is the
published total where one is known (the lower bound of "40M+"), otherwise a log-linear
interpolation of the published totals times a log-normal factor. Votes are whole numbers
that add up exactly to the volume (largest remainders).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ballroom.domain.season import Week
from ballroom.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MIN_SCORE = 1
MAX_SCORE = 10


@dataclass(frozen=True)
class ScoreModel:
    """Parameters of the simulated judges; every value is an assumption, stated."""

    trend_prior: float = 0.25
    """Points per judge per week a couple gains, before the known scores are seen."""
    trend_prior_sd: float = 0.15
    skill_prior_sd: float = 1.0
    """How far a couple's skill may sit from the cast average (points per judge)."""
    dance_sd: float = 0.6
    """One dance's quality shock, shared by the whole panel."""
    judge_sd: float = 0.5
    """Each judge's own noise around the panel's view."""

    def as_dict(self) -> dict[str, float]:
        return {
            "trend_prior": self.trend_prior,
            "trend_prior_sd": self.trend_prior_sd,
            "skill_prior_sd": self.skill_prior_sd,
            "dance_sd": self.dance_sd,
            "judge_sd": self.judge_sd,
        }


@dataclass(frozen=True)
class ElectorateModel:
    """Parameters of the simulated electorate; every value is an assumption, stated."""

    spread: float = 0.7
    """Standard deviation of a couple's log popularity across the cast."""
    rho: float = 0.5
    """Correlation between a couple's fan base and its dancing quality."""
    drift_sd: float = 0.15
    """Week-to-week random walk of each couple's log popularity."""
    tonight_weight: float = 0.2
    """How much tonight's judges' points (standardised) move tonight's votes."""
    volume_sd: float = 0.1
    """Log-normal spread of a night's volume where no total was published."""
    default_volume: int = 30_000_000
    """A night's volume when the season publishes no total at all."""
    published_volumes: Mapping[int, int] = field(
        default_factory=lambda: {4: 40_000_000, 11: 72_000_000}
    )
    """Week -> published lower bound on the night's votes (as reported for Season 34: Disney
    Night 40M+, finale 72M+)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "spread": self.spread,
            "rho": self.rho,
            "drift_sd": self.drift_sd,
            "tonight_weight": self.tonight_weight,
            "volume_sd": self.volume_sd,
            "default_volume": self.default_volume,
            "published_volumes": {str(k): v for k, v in sorted(self.published_volumes.items())},
        }


@dataclass(frozen=True)
class SkillFit:
    """The fitted score model: the cast-average level, the weekly trend, each couple's skill."""

    base: float
    trend: float
    skill: Mapping[str, float]

    def mean(self, couple: str, week: int) -> float:
        """Expected score of one judge for one dance of ``couple`` in week ``week``."""
        return self.base + self.skill.get(couple, 0.0) + self.trend * (week - 1)

    def quality_z(self, couples: Sequence[str]) -> FloatArray:
        """The couples' skills, standardised across them (mean 0, sd 1)."""
        values = np.array([self.skill.get(c, 0.0) for c in couples], dtype=np.float64)
        return _standardise(values)


@dataclass(frozen=True)
class WeekLayout:
    """One night's score sheet: every couple x round x judge slot, known or not.

    ``known`` holds the real keyed score or NaN; each ``groups`` entry is a boolean mask of
    unknown slots and the whole-point total they must add up to (from a published total).
    """

    week: int
    couples: tuple[str, ...]
    rounds: tuple[str, ...]
    judges: tuple[str, ...]
    known: FloatArray
    groups: tuple[tuple[npt.NDArray[np.bool_], int], ...]

    @property
    def unknown(self) -> npt.NDArray[np.bool_]:
        """Slots whose score is not known and will be simulated."""
        return np.isnan(self.known)


def week_layout(week: Week, couples: Sequence[str]) -> WeekLayout:
    """Lay out ``week``'s score sheet for ``couples`` from what the season file knows."""
    judges = tuple(week.judges)
    rounds = tuple(week.rounds) or ("Dance",)
    known = np.full((len(couples), len(rounds), len(judges)), np.nan)
    groups: list[tuple[npt.NDArray[np.bool_], int]] = []
    judge_index = {judge: j for j, judge in enumerate(judges)}
    for c, couple in enumerate(couples):
        covered_total = 0.0
        uncovered = np.zeros_like(known, dtype=np.bool_)
        for r, round_name in enumerate(rounds):
            performance = week.performance(couple, round_name)
            known_scores = (performance.scores if performance else None) or {}
            for judge, score in known_scores.items():
                if judge not in judge_index:
                    raise InvalidInput(
                        f"week {week.number}: {couple} scored by {judge!r}, not on the panel",
                        field=f"weeks[{week.number - 1}].performances",
                    )
                known[c, r, judge_index[judge]] = float(score)
            if performance is not None and performance.total is not None:
                covered_total += performance.total
                mask = np.zeros_like(uncovered)
                mask[c, r, :] = np.isnan(known[c, r, :])
                _add_group(groups, mask, performance.total - np.nansum(known[c, r, :]), week)
            else:
                uncovered[c, r, :] = True
        if couple in week.totals:
            covered_known = float(np.nansum(np.where(uncovered, known, np.nan)))
            mask = uncovered & np.isnan(known)
            target = week.totals[couple] - covered_total - covered_known
            _add_group(groups, mask, target, week)
    return WeekLayout(week.number, tuple(couples), rounds, judges, known, tuple(groups))


def _add_group(
    groups: list[tuple[npt.NDArray[np.bool_], int]],
    mask: npt.NDArray[np.bool_],
    target: float,
    week: Week,
) -> None:
    slots = int(mask.sum())
    if slots == 0:
        return
    if not float(target).is_integer() or not MIN_SCORE * slots <= target <= MAX_SCORE * slots:
        raise InvalidInput(
            f"week {week.number}: a published total leaves {target:g} points for {slots} "
            f"unknown scores, which whole scores of 1-10 cannot make",
            field=f"weeks[{week.number - 1}].totals",
        )
    groups.append((mask, int(target)))


def observations(layout: WeekLayout) -> list[tuple[str, int, float, int]]:
    """What a week tells the fit: (couple, week, mean score per judge, how many scores)."""
    out: list[tuple[str, int, float, int]] = []
    for c, couple in enumerate(layout.couples):
        known = layout.known[c]
        count = int(np.isfinite(known).sum())
        points = float(np.nansum(known))
        for mask, target in layout.groups:
            in_couple = mask[c]
            if in_couple.any():
                count += int(in_couple.sum())
                points += target
        if count:
            out.append((couple, layout.week, points / count, count))
    return out


def fit_skills(
    layouts: Sequence[WeekLayout], couples: Sequence[str], model: ScoreModel
) -> SkillFit:
    """Ridge fit of ``base + skill[couple] + trend * (week - 1)`` to every known score.

    Each observation is a couple's mean score per judge for a week, weighted by the inverse
    of its variance under the model (more scores, less noise). The skills are pulled towards
    0 (the cast average) and the trend towards ``model.trend_prior``.
    """
    rows = [obs for layout in layouts for obs in observations(layout)]
    index = {couple: i for i, couple in enumerate(couples)}
    size = 2 + len(couples)
    design = np.zeros((len(rows), size))
    target = np.zeros(len(rows))
    weight = np.zeros(len(rows))
    for i, (couple, week, mean, count) in enumerate(rows):
        design[i, 0] = 1.0
        design[i, 1] = week - 1
        design[i, 2 + index[couple]] = 1.0
        target[i] = mean
        weight[i] = 1.0 / (model.dance_sd**2 + model.judge_sd**2 / count)
    precision = np.zeros((size, size))
    prior_mean = np.zeros(size)
    precision[0, 0] = 1e-6  # the level is free; a tiny prior only keeps an empty fit solvable
    prior_mean[0] = (MIN_SCORE + MAX_SCORE) / 2
    precision[1, 1] = 1.0 / model.trend_prior_sd**2
    prior_mean[1] = model.trend_prior
    for i in range(len(couples)):
        precision[2 + i, 2 + i] = 1.0 / model.skill_prior_sd**2
    lhs = design.T @ (weight[:, None] * design) + precision
    rhs = design.T @ (weight * target) + precision @ prior_mean
    theta = np.linalg.solve(lhs, rhs)
    return SkillFit(
        base=float(theta[0]),
        trend=float(theta[1]),
        skill={couple: float(theta[2 + i]) for i, couple in enumerate(couples)},
    )


def simulate_scores(
    layout: WeekLayout, fit: SkillFit, model: ScoreModel, rng: np.random.Generator
) -> FloatArray:
    """A full score sheet: the known scores as keyed, every unknown one simulated.

    Returns an array shaped like ``layout.known`` with no NaN left: whole points in 1-10,
    meeting every published total of ``layout.groups`` exactly.
    """
    n_couples, n_rounds, n_judges = layout.known.shape
    means = np.array([fit.mean(couple, layout.week) for couple in layout.couples])
    shock = rng.normal(0.0, model.dance_sd, size=(n_couples, n_rounds, 1))
    noise = rng.normal(0.0, model.judge_sd, size=(n_couples, n_rounds, n_judges))
    raw = means[:, None, None] + shock + noise
    scores = np.clip(np.rint(raw), MIN_SCORE, MAX_SCORE)
    unknown = layout.unknown
    scores = np.where(unknown, scores, layout.known)
    for mask, total in layout.groups:
        scores[mask] = _meet_total(scores[mask], raw[mask], total)
    return scores


def _meet_total(scores: FloatArray, raw: FloatArray, total: int) -> FloatArray:
    """Move rounded scores one point at a time until they add up to ``total``.

    Each step goes to the score whose rounding was furthest from its unrounded value in the
    needed direction, so the simulated split stays as close to the model as the total allows.
    """
    scores = scores.copy()
    residual = raw - scores
    missing = int(total - scores.sum())
    while missing > 0:
        room = np.where(scores < MAX_SCORE, residual, -np.inf)
        at = int(np.argmax(room))
        scores[at] += 1
        residual[at] -= 1
        missing -= 1
    while missing < 0:
        room = np.where(scores > MIN_SCORE, residual, np.inf)
        at = int(np.argmin(room))
        scores[at] -= 1
        residual[at] += 1
        missing += 1
    return scores


def initial_popularity(
    quality_z: FloatArray, model: ElectorateModel, rng: np.random.Generator
) -> FloatArray:
    """Each couple's log popularity at the premiere: part dancing quality, part fan base."""
    fans = rng.standard_normal(quality_z.shape[0])
    mix = model.rho * quality_z + math.sqrt(max(0.0, 1.0 - model.rho**2)) * fans
    return np.asarray(model.spread * mix, dtype=np.float64)


def drift(popularity: FloatArray, model: ElectorateModel, rng: np.random.Generator) -> FloatArray:
    """One week of random drift in every couple's log popularity."""
    step = rng.normal(0.0, model.drift_sd, size=popularity.shape[0])
    return np.asarray(popularity + step, dtype=np.float64)


def night_volume(week: int, model: ElectorateModel, rng: np.random.Generator) -> tuple[int, bool]:
    """The night's total votes and whether it is a published figure (else simulated).

    Between published weeks the volume is interpolated on a log scale (the show grows as
    the season goes on); before the first or after the last it follows the nearest trend.
    """
    published = model.published_volumes
    if week in published:
        return int(published[week]), True
    level = _log_volume(week, published, model.default_volume)
    factor = math.exp(float(rng.normal(0.0, model.volume_sd)))
    return round(math.exp(level) * factor), False


def _log_volume(week: int, published: Mapping[int, int], default: int) -> float:
    anchors = sorted(published.items())
    if not anchors:
        return math.log(default)
    if len(anchors) == 1:
        return math.log(anchors[0][1])
    weeks = np.array([w for w, _ in anchors], dtype=np.float64)
    logs = np.log(np.array([v for _, v in anchors], dtype=np.float64))
    if week <= weeks[0]:
        left, right = 0, 1
    elif week >= weeks[-1]:
        left, right = len(weeks) - 2, len(weeks) - 1
    else:
        return float(np.interp(week, weeks, logs))
    slope = (logs[right] - logs[left]) / (weeks[right] - weeks[left])
    return float(logs[left] + slope * (week - weeks[left]))


def night_votes(
    popularity: FloatArray,
    points: FloatArray,
    volume: int,
    model: ElectorateModel,
) -> IntArray:
    """Tonight's votes per couple: a softmax of popularity and tonight's judges' points.

    Whole votes that add up to ``volume`` exactly (largest remainders, ties to the earlier
    couple), so a replay never depends on float rounding of the counts.
    """
    logits = popularity + model.tonight_weight * _standardise(points)
    weights = np.exp(logits - logits.max())
    shares = weights / weights.sum()
    exact = shares * volume
    votes = np.floor(exact).astype(np.int64)
    left = volume - int(votes.sum())
    if left > 0:
        order = np.argsort(-(exact - votes), kind="stable")
        votes[order[:left]] += 1
    return np.asarray(votes, dtype=np.int64)


def _standardise(values: FloatArray) -> FloatArray:
    if values.size == 0:
        return values
    spread = float(values.std())
    centred = values - values.mean()
    return np.asarray(centred / spread if spread > 0 else centred, dtype=np.float64)

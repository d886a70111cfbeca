"""One night's score sheet as the control room keys it.

The *keyed* score is the official one (a judge holding up a different paddle changes
nothing). A judge keys each couple's dance once; a change is a ``correct`` with a reason,
allowed only until the sheet is locked, and every correction is kept in the audit trail.
Pure: the caller passes the time of each action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ballroom.domain.night import DanceScores, validate_score
from ballroom.domain.season import Season, Week
from ballroom.errors import (
    DuplicateScore,
    InvalidInput,
    MissingField,
    NotFound,
    ScoreLocked,
    ScoresIncomplete,
    UnknownCouple,
    UnknownJudge,
    WrongType,
)


@dataclass(frozen=True)
class KeyedScore:
    """A score as first keyed by a judge."""

    judge: str
    couple: str
    round: str
    score: float
    at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One correction: what the score was, what it became, who changed it, when and why."""

    judge: str
    couple: str
    round: str
    old: float
    new: float
    by: str
    at: datetime
    reason: str


class ScoreSheet:
    """The keyed scores of one night: the panel, the couples dancing and the rounds."""

    def __init__(
        self,
        *,
        judges: Iterable[str],
        couples: Iterable[str],
        rounds: Iterable[str] = ("Dance",),
        half_points: bool = False,
    ) -> None:
        self.judges = _unique(judges, "judges")
        self.couples = _unique(couples, "couples")
        self.rounds = _unique(rounds, "rounds")
        self.half_points = half_points
        self._scores: dict[tuple[str, str, str], float] = {}
        self._keyed: list[KeyedScore] = []
        self._audit: list[AuditEntry] = []
        self._locked_at: datetime | None = None
        self._last_at: datetime | None = None

    @classmethod
    def for_week(cls, season: Season, week: Week) -> ScoreSheet:
        """An empty sheet for one week of a season: its panel, couples and rounds."""
        return cls(
            judges=week.judges,
            couples=week.couples,
            rounds=week.rounds,
            half_points=season.half_points,
        )

    # --- actions -------------------------------------------------------------------------

    def key(self, judge: str, couple: str, round: str, score: float, at: datetime) -> float:
        """Record a judge's keyed score; keying the same dance twice is ``DuplicateScore``."""
        spot = self._check(judge, couple, round, at)
        value = validate_score(score, spot, halves=self.half_points)
        if (judge, couple, round) in self._scores:
            raise DuplicateScore(
                f"{spot}: already keyed {_plain(self._scores[judge, couple, round])}; "
                "use a correction with a reason to change it",
                field=spot,
            )
        self._scores[judge, couple, round] = value
        self._keyed.append(KeyedScore(judge, couple, round, value, at))
        self._last_at = at
        return value

    def correct(  # noqa: PLR0917 - the control room's order: who, whom, which dance, what, when, why
        self,
        judge: str,
        couple: str,
        round: str,
        score: float,
        at: datetime,
        reason: str,
        *,
        by: str | None = None,
    ) -> AuditEntry:
        """Change a keyed score before the lock; the change is audited (``by`` defaults to
        the judge)."""
        spot = self._check(judge, couple, round, at)
        value = validate_score(score, spot, halves=self.half_points)
        if not reason.strip():
            raise MissingField(f"{spot}: a correction needs a reason", field="reason")
        if (judge, couple, round) not in self._scores:
            raise NotFound(f"{spot}: nothing keyed yet to correct; key it first", field=spot)
        old = self._scores[judge, couple, round]
        if old == value:
            raise InvalidInput(f"{spot}: the keyed score is already {_plain(old)}", field=spot)
        entry = AuditEntry(judge, couple, round, old, value, by or judge, at, reason.strip())
        self._scores[judge, couple, round] = value
        self._audit.append(entry)
        self._last_at = at
        return entry

    def lock(self, at: datetime) -> None:
        """Make every keyed score final; later keys and corrections raise ``ScoreLocked``."""
        self._check_time(at)
        if self._locked_at is not None:
            raise ScoreLocked(f"the scores were already locked at {self._locked_at.isoformat()}")
        if self._last_at is not None and at < self._last_at:
            raise WrongType(
                f"lock time {at.isoformat()} is before the last keyed score "
                f"({self._last_at.isoformat()})",
                field="at",
            )
        self._locked_at = at

    # --- reading -------------------------------------------------------------------------

    @property
    def locked_at(self) -> datetime | None:
        return self._locked_at

    @property
    def is_locked(self) -> bool:
        return self._locked_at is not None

    @property
    def audit(self) -> tuple[AuditEntry, ...]:
        """Every correction, oldest first."""
        return tuple(self._audit)

    @property
    def keyed(self) -> tuple[KeyedScore, ...]:
        """Every first keying, oldest first (corrections are in ``audit``)."""
        return tuple(self._keyed)

    def score(self, judge: str, couple: str, round: str) -> float | None:
        """The official score of one judge for one dance, ``None`` if not keyed yet."""
        return self._scores.get((judge, couple, round))

    def totals(self) -> dict[str, float]:
        """Each couple's keyed points so far, all judges and rounds."""
        totals = dict.fromkeys(self.couples, 0.0)
        for (_, couple, _), value in self._scores.items():
            totals[couple] += value
        return totals

    def missing(self) -> tuple[tuple[str, str, str], ...]:
        """``(judge, couple, round)`` for every score not keyed yet, in sheet order."""
        return tuple(
            (judge, couple, round_name)
            for round_name in self.rounds
            for couple in self.couples
            for judge in self.judges
            if (judge, couple, round_name) not in self._scores
        )

    def dances(self) -> tuple[DanceScores, ...]:
        """The keyed scores as ``Night.dances``: one entry per round."""
        out = []
        for round_name in self.rounds:
            by_couple: dict[str, dict[str, float]] = {}
            for (judge, couple, keyed_round), value in self._scores.items():
                if keyed_round == round_name:
                    by_couple.setdefault(couple, {})[judge] = value
            out.append(DanceScores(name=round_name, scores=by_couple))
        return tuple(out)

    # --- checks --------------------------------------------------------------------------

    def _check(self, judge: str, couple: str, round: str, at: datetime) -> str:
        self._check_time(at)
        if self._locked_at is not None:
            raise ScoreLocked(
                f"the scores were locked at {self._locked_at.isoformat()}; a keyed score is final"
            )
        if judge not in self.judges:
            raise UnknownJudge(f"judge {judge!r} is not on tonight's panel", field="judge")
        if couple not in self.couples:
            raise UnknownCouple(f"couple {couple!r} is not dancing tonight", field="couple")
        if round not in self.rounds:
            raise InvalidInput(
                f"round {round!r} is not one of tonight's {list(self.rounds)}", field="round"
            )
        return f"{round}.{couple}.{judge}"

    @staticmethod
    def _check_time(at: datetime) -> None:
        # Naive times are ambiguous across the Eastern/Central broadcast and the audit log.
        if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
            raise WrongType("the time must be a timezone-aware datetime", field="at")


def _unique(values: Iterable[str], name: str) -> tuple[str, ...]:
    items = tuple(values)
    if not items:
        raise MissingField(f"a score sheet needs {name}", field=name)
    if len(set(items)) != len(items):
        raise InvalidInput(f"{name} lists an id twice", field=name)
    return items


def _plain(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def require_complete(sheet: ScoreSheet, *, absent_judges: Iterable[str] = ()) -> None:
    """``ScoresIncomplete`` naming the missing scores of judges present, if there are any.

    Results are never computed on a sheet with a hole in it: a missing score would count as
    zero and send a couple home for a typing slip. A judge absent for the whole night is
    left out only when declared in ``absent_judges``.
    """
    absent = set(absent_judges)
    missing = [(j, c, r) for j, c, r in sheet.missing() if j not in absent]
    if not missing:
        return
    raise ScoresIncomplete(
        f"{still_missing(missing)}; key them before computing the results", field="scores"
    )


def still_missing(missing: Sequence[tuple[str, str, str]]) -> str:
    """``N score(s) still missing: <couple> in <round> from <judge>; ...`` (three named)."""
    named = "; ".join(f"{c} in {r} from {j}" for j, c, r in missing[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    return f"{len(missing)} score(s) still missing: {named}{more}"

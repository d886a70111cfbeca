"""A season as the show runs it: couples, judges, weeks, dances and what is known of them.

Pure data, no I/O. Season files (TOML/YAML) are read by ``ballroom.seasons``; the bundled
Season 34 lives in ``ballroom/data/season34.toml``. A score of ``None`` means *not known*:
real scores that were never published stay unknown and are simulated (and labelled so) by
whoever needs a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from ballroom.errors import NotFound, UnknownCouple, UnknownJudge


class JudgeRole(StrEnum):
    """Whether a judge sits every week or only as a guest."""

    REGULAR = "regular"
    GUEST = "guest"


@dataclass(frozen=True)
class Couple:
    """A celebrity and a professional partner; ``keyword`` is what viewers text to vote."""

    id: str
    celebrity: str
    professional: str
    keyword: str


@dataclass(frozen=True)
class Judge:
    """A judge; the head judge breaks a split in rule sets with a judges' save."""

    id: str
    name: str
    role: JudgeRole = JudgeRole.REGULAR
    head: bool = False


@dataclass(frozen=True)
class Performance:
    """One couple's dance in one round of a night; ``scores`` holds what is known."""

    couple: str
    round: str
    style: str = ""
    song: str = ""
    scores: Mapping[str, float] | None = None
    total: float | None = None
    """The published total when the per-judge split is not known."""
    notes: str = ""

    def known_points(self, panel: tuple[str, ...]) -> float | None:
        """The dance's judges' points if known: the published total, or every judge's score."""
        if self.total is not None:
            return self.total
        if self.scores is not None and set(self.scores) == set(panel):
            return float(sum(self.scores.values()))
        return None


@dataclass(frozen=True)
class Week:
    """One live show: its theme, panel, dances, bonuses and how many couples go home."""

    number: int
    date: date | None
    theme: str
    eliminate: int
    judges: tuple[str, ...]
    performances: tuple[Performance, ...] = ()
    bonus: Mapping[str, float] = field(default_factory=dict)
    bonus_reason: str = ""
    carry_over: bool = False
    """True when nobody goes home and scores and votes carry into the next week."""
    finale: bool = False
    eliminated: tuple[str, ...] = ()
    """The real result, where the season file records it (for replays)."""
    final_order: tuple[str, ...] = ()
    """A finale's real placing, first to last."""
    bottom: tuple[str, ...] = ()
    notes: str = ""
    couples: tuple[str, ...] = ()
    """The couples dancing that night (season files derive it when omitted)."""
    rounds: tuple[str, ...] = ("Dance",)
    """The night's rounds; every couple dances each one (two-dance nights, finales)."""
    totals: Mapping[str, float] = field(default_factory=dict)
    """Published judges' totals covering all of a couple's rounds, where no split is known."""

    def performance(self, couple: str, round_name: str) -> Performance | None:
        """What is recorded of ``couple``'s dance in ``round_name``, if anything."""
        return next(
            (p for p in self.performances if p.couple == couple and p.round == round_name), None
        )

    @property
    def window(self) -> str:
        """The voting window id of this week's night, e.g. ``s34w04``."""
        return f"w{self.number:02d}"


@dataclass(frozen=True)
class Season:
    """A whole season: cast, panel, weeks, and the voting rules that apply."""

    id: str
    name: str
    couples: tuple[Couple, ...]
    judges: tuple[Judge, ...]
    weeks: tuple[Week, ...]
    rules: str = "dwts"
    half_points: bool = False
    votes_per_couple: int = 10
    """The cap: votes per voter per couple per method per window."""

    def couple(self, couple_id: str) -> Couple:
        """The couple with that id; ``UnknownCouple`` if the season has none."""
        for couple in self.couples:
            if couple.id == couple_id:
                return couple
        raise UnknownCouple(f"season {self.id} has no couple {couple_id!r}", field="couple")

    def judge(self, judge_id: str) -> Judge:
        """The judge with that id; ``UnknownJudge`` if the season has none."""
        for judge in self.judges:
            if judge.id == judge_id:
                return judge
        raise UnknownJudge(f"season {self.id} has no judge {judge_id!r}", field="judge")

    def week(self, number: int) -> Week:
        """The week with that number; ``NotFound`` when the season has none."""
        for week in self.weeks:
            if week.number == number:
                return week
        raise NotFound(f"season {self.id} has no week {number}", field="week")

    def window_id(self, week: Week) -> str:
        """The voting window id of a week, e.g. ``s34w04`` for Disney Night."""
        return f"{self.id}{week.window}"

    @property
    def head_judge(self) -> str | None:
        return next((j.id for j in self.judges if j.head), None)

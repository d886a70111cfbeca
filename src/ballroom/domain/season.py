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
        """The couple with that id (``KeyError`` if none: callers validate first)."""
        return next(c for c in self.couples if c.id == couple_id)

    def window_id(self, week: Week) -> str:
        """The voting window id of a week, e.g. ``s34w04`` for Disney Night."""
        return f"{self.id}{week.window}"

    @property
    def head_judge(self) -> str | None:
        return next((j.id for j in self.judges if j.head), None)

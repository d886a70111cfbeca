"""One night's inputs and outputs, shared by every rule set.

A ``Night`` is what the rule sets consume: the couples still dancing, the judges on the
panel, every dance's keyed scores, bonus points, viewer votes, anything carried over from a
week without elimination, and how many couples go home. It is built from the self-contained
request of docs/interfaces.md §1 by ``Night.from_mapping``, which raises a specific
``InvalidInput`` naming the field for anything wrong.

A request is complete or it is refused: every couple has a vote count and a score from every
judge present in every dance. A judge who missed the whole night is declared in
``absent_judges`` and the night is ranked on the judges present; a single missing score is
never read as zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ballroom.errors import (
    DuplicateScore,
    InvalidInput,
    MissingField,
    ScoreOutOfRange,
    UnknownCouple,
    UnknownJudge,
    WrongType,
)

MIN_SCORE = 1.0
MAX_SCORE = 10.0


@dataclass(frozen=True)
class DanceScores:
    """The keyed scores of one dance round: couple -> judge -> score."""

    name: str
    scores: Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class Night:
    """Everything a rule set needs to rank one night."""

    rules: str
    couples: tuple[str, ...]
    judges: tuple[str, ...]
    dances: tuple[DanceScores, ...] = ()
    bonus: Mapping[str, float] = field(default_factory=dict)
    votes: Mapping[str, int] = field(default_factory=dict)
    carried_scores: Mapping[str, float] = field(default_factory=dict)
    carried_votes: Mapping[str, int] = field(default_factory=dict)
    eliminate: int = 1
    save_votes: Mapping[str, str] = field(default_factory=dict)
    head_judge: str | None = None
    final: bool = False
    extra_points: Mapping[str, float] = field(default_factory=dict)
    """Judges' points known only as a couple's total (a published total with no per-judge
    split, or a simulated score); counted like ``bonus``. Empty for a fully keyed night."""
    absent_judges: tuple[str, ...] = ()
    """Judges of ``judges`` who missed the whole night: they score nothing and save nobody."""

    def judges_points(self) -> dict[str, float]:
        """Each couple's judges' points: every dance and judge, plus bonus and carried scores."""
        points = dict.fromkeys(self.couples, 0.0)
        for dance in self.dances:
            for couple, by_judge in dance.scores.items():
                points[couple] += sum(by_judge.values())
        for couple in self.couples:
            points[couple] += self.bonus.get(couple, 0.0) + self.carried_scores.get(couple, 0.0)
            points[couple] += self.extra_points.get(couple, 0.0)
        return points

    def total_votes(self) -> dict[str, int]:
        """Viewer votes per couple: tonight's plus any carried from a week without elimination."""
        return {
            couple: self.votes.get(couple, 0) + self.carried_votes.get(couple, 0)
            for couple in self.couples
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, rules: str | None = None) -> Night:
        """Build and validate a night from the docs/interfaces.md §1 request."""
        if not isinstance(data, Mapping):
            raise WrongType("the request must be a JSON object", field="$")
        rules_name = rules if rules is not None else _required(data, "rules", str)
        couples = tuple(_id_list(data, "couples"))
        judges = tuple(_id_list(data, "judges"))
        absent = _absent_judges(data, judges)
        present = tuple(judge for judge in judges if judge not in absent)
        known_couples = set(couples)
        known_judges = set(judges)
        raw_dances = _required(data, "dances", list)
        if not raw_dances:
            raise WrongType("dances must list at least one dance", field="dances")
        dances = tuple(
            _dance(entry, index, known_couples, known_judges)
            for index, entry in enumerate(raw_dances)
        )
        _check_complete(dances, couples, present, absent)
        bonus = _number_map(data.get("bonus"), "bonus", known_couples)
        votes = _vote_map(_required(data, "votes", dict), "votes", known_couples)
        for couple in couples:
            if couple not in votes:
                raise MissingField(
                    f"votes has no count for couple {couple!r} (write 0 if nobody voted for them)",
                    field=f"votes.{couple}",
                )
        carried = _optional(data, "carried", dict, {})
        carried_scores = _number_map(carried.get("scores"), "carried.scores", known_couples)
        carried_votes = _vote_map(carried.get("votes"), "carried.votes", known_couples)
        eliminate = _optional(data, "eliminate", int, 1)
        if isinstance(eliminate, bool) or not 0 <= eliminate < max(len(couples), 1):
            raise WrongType(
                f"eliminate must be a whole number from 0 to {max(len(couples) - 1, 0)}",
                field="eliminate",
            )
        save_votes = _optional(data, "save_votes", dict, {})
        for judge, couple in save_votes.items():
            if judge not in known_judges:
                raise UnknownJudge(f"save_votes names unknown judge {judge!r}", field="save_votes")
            if judge in absent:
                raise InvalidInput(
                    f"save_votes.{judge}: {judge!r} is in absent_judges and cannot vote",
                    field=f"save_votes.{judge}",
                )
            # A non-string (a list, say) is unhashable: reject it before the set lookup.
            if not isinstance(couple, str) or couple not in known_couples:
                raise UnknownCouple(
                    f"save_votes.{judge} names unknown couple {couple!r}",
                    field=f"save_votes.{judge}",
                )
        head_judge = data.get("head_judge")
        if head_judge is not None and (
            not isinstance(head_judge, str) or head_judge not in known_judges
        ):
            raise UnknownJudge(f"head_judge {head_judge!r} is not on the panel", field="head_judge")
        if head_judge is not None and head_judge in absent:
            raise InvalidInput(
                f"head_judge {head_judge!r} is in absent_judges; name a judge who is present",
                field="head_judge",
            )
        final = _optional(data, "final", bool, False)
        return cls(
            rules=rules_name,
            couples=couples,
            judges=judges,
            dances=dances,
            bonus=bonus,
            votes=votes,
            carried_scores=carried_scores,
            carried_votes=carried_votes,
            eliminate=eliminate,
            save_votes=dict(save_votes),
            head_judge=head_judge,
            final=final,
            absent_judges=absent,
        )


@dataclass(frozen=True)
class Standing:
    """One couple's line on the night's leaderboard."""

    couple: str
    place: int
    judges_points: float
    judges_share: float
    votes: int
    vote_share: float
    combined: float
    extra: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "couple": self.couple,
            "place": self.place,
            "judges_points": _plain_number(self.judges_points),
            "judges_share": self.judges_share,
            "votes": self.votes,
            "vote_share": self.vote_share,
            "combined": self.combined,
        }
        body.update({key: _plain_number(value) for key, value in self.extra.items()})
        return body


@dataclass(frozen=True)
class NightResult:
    """The night's standings, who is in the bottom, who goes home, and why."""

    rules: str
    standings: tuple[Standing, ...]
    bottom: tuple[str, ...]
    eliminated: tuple[str, ...]
    ties: tuple[tuple[str, ...], ...] = ()
    explanation: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The docs/interfaces.md §1 output."""
        return {
            "rules": self.rules,
            "standings": [standing.as_dict() for standing in self.standings],
            "bottom": list(self.bottom),
            "eliminated": list(self.eliminated),
            "ties": [list(tie) for tie in self.ties],
            "explanation": list(self.explanation),
        }


def _plain_number(value: float) -> float | int:
    """Whole numbers print as integers (30, not 30.0); halves stay as they are."""
    return int(value) if float(value).is_integer() else value


def _required(data: Mapping[str, Any], name: str, kind: type) -> Any:
    if name not in data:
        raise MissingField(f"missing required field {name!r}", field=name)
    value = data[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise WrongType(f"{name} must be a {kind.__name__}", field=name)
    return value


def _optional(data: Mapping[str, Any], name: str, kind: type, default: Any) -> Any:
    if data.get(name) is None:
        return default
    return _required(data, name, kind)


def _id_list(data: Mapping[str, Any], name: str) -> Sequence[str]:
    values: list[str] = _required(data, name, list)
    if not values:
        raise WrongType(f"{name} must not be empty", field=name)
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value:
            raise WrongType(f"{name}[{index}] must be a non-empty string", field=f"{name}[{index}]")
    if len(set(values)) != len(values):
        duplicate = next(value for value in values if values.count(value) > 1)
        raise WrongType(f"{name} lists {duplicate!r} twice", field=name)
    return values


def _absent_judges(data: Mapping[str, Any], judges: Sequence[str]) -> tuple[str, ...]:
    """``absent_judges``: judges of the panel who missed the whole night (never all of them)."""
    raw = _optional(data, "absent_judges", list, [])
    for index, judge in enumerate(raw):
        spot = f"absent_judges[{index}]"
        if not isinstance(judge, str) or judge not in judges:
            raise UnknownJudge(f"{spot}: {judge!r} is not in judges", field=spot)
        if raw.index(judge) != index:
            raise WrongType(f"absent_judges lists {judge!r} twice", field="absent_judges")
    if raw and len(raw) == len(judges):
        raise WrongType("absent_judges lists every judge; nobody scored", field="absent_judges")
    return tuple(raw)


def _check_complete(
    dances: Sequence[DanceScores],
    couples: Sequence[str],
    present: Sequence[str],
    absent: Sequence[str],
) -> None:
    """Every couple scored by every judge present in every dance; nobody absent scored."""
    for couple in couples:
        if not any(couple in dance.scores for dance in dances):
            raise MissingField(
                f"couple {couple!r} has no scores in any dance", field=f"dances.scores.{couple}"
            )
    for index, dance in enumerate(dances):
        for couple in couples:
            spot = f"dances[{index}].scores.{couple}"
            by_judge = dance.scores.get(couple)
            if by_judge is None:
                raise MissingField(f"{dance.name}: no scores for couple {couple!r}", field=spot)
            for judge in present:
                if judge not in by_judge:
                    raise MissingField(
                        f"{dance.name}: couple {couple!r} has no score from judge {judge!r} "
                        f"(a judge absent all night goes in absent_judges)",
                        field=f"{spot}.{judge}",
                    )
            for judge in absent:
                if judge in by_judge:
                    raise InvalidInput(
                        f"{dance.name}: judge {judge!r} is in absent_judges but scored "
                        f"couple {couple!r}",
                        field=f"{spot}.{judge}",
                    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _dance(entry: Any, index: int, couples: set[str], judges: set[str]) -> DanceScores:
    where = f"dances[{index}]"
    if not isinstance(entry, Mapping):
        raise WrongType(f"{where} must be an object", field=where)
    if "name" not in entry:
        raise MissingField(
            f"{where} is missing 'name' (the dance, e.g. Tango)", field=f"{where}.name"
        )
    name = entry["name"]
    if not isinstance(name, str) or not name:
        raise WrongType(f"{where}.name must be a non-empty string", field=f"{where}.name")
    raw_scores = entry.get("scores")
    if not isinstance(raw_scores, Mapping):
        raise MissingField(
            f"{where}.scores must be an object of couple -> judge -> score", field=f"{where}.scores"
        )
    scores: dict[str, dict[str, float]] = {}
    for couple, by_judge in raw_scores.items():
        if couple not in couples:
            raise UnknownCouple(
                f"{where} scores unknown couple {couple!r}", field=f"{where}.scores"
            )
        if not isinstance(by_judge, Mapping):
            raise WrongType(
                f"{where}.scores.{couple} must be an object of judge -> score",
                field=f"{where}.scores.{couple}",
            )
        scores[couple] = {}
        for judge, score in by_judge.items():
            spot = f"{where}.scores.{couple}.{judge}"
            if judge not in judges:
                raise UnknownJudge(f"{spot}: unknown judge {judge!r}", field=spot)
            if judge in scores[couple]:
                raise DuplicateScore(f"{spot}: judge scored this couple twice", field=spot)
            scores[couple][judge] = validate_score(score, spot)
    return DanceScores(name=name, scores=scores)


def validate_score(score: Any, spot: str, *, halves: bool = True) -> float:
    """A keyed score: a number from 1 to 10, in halves where the season allows them."""
    if not _is_number(score):
        raise WrongType(f"{spot}: score must be a number", field=spot)
    value = float(score)
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise ScoreOutOfRange(f"{spot}: score {score} is outside 1-10", field=spot)
    step = 0.5 if halves else 1.0
    if not (value / step).is_integer():
        allowed = "whole or half points" if halves else "whole points"
        raise ScoreOutOfRange(f"{spot}: score {score} is not in {allowed}", field=spot)
    return value


def _number_map(raw: Any, where: str, couples: set[str]) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise WrongType(f"{where} must be an object of couple -> number", field=where)
    out: dict[str, float] = {}
    for couple, value in raw.items():
        if couple not in couples:
            raise UnknownCouple(
                f"{where} names unknown couple {couple!r}", field=f"{where}.{couple}"
            )
        if not _is_number(value):
            raise WrongType(f"{where}.{couple} must be a number", field=f"{where}.{couple}")
        out[couple] = float(value)
    return out


def _vote_map(raw: Any, where: str, couples: set[str]) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise WrongType(f"{where} must be an object of couple -> vote count", field=where)
    out: dict[str, int] = {}
    for couple, value in raw.items():
        if couple not in couples:
            raise UnknownCouple(
                f"{where} names unknown couple {couple!r}", field=f"{where}.{couple}"
            )
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise WrongType(
                f"{where}.{couple} must be a whole number >= 0", field=f"{where}.{couple}"
            )
        out[couple] = value
    return out

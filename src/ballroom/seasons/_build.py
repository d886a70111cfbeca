"""Turn a parsed season document (plain dicts and lists) into a validated ``Season``.

Every problem raises an ``InvalidInput`` subclass whose ``field`` is the path of the
offending value (``weeks[3].performances[2].scores.bruno``) and whose message is the problem
alone; the loader adds the file name and line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, TypeVar

from ballroom.domain.night import MAX_SCORE, MIN_SCORE
from ballroom.domain.rules import RULE_SET_NAMES
from ballroom.domain.season import Couple, Judge, JudgeRole, Performance, Season, Week
from ballroom.errors import (
    DuplicateScore,
    InvalidInput,
    MissingField,
    ScoreOutOfRange,
    UnknownCouple,
    UnknownJudge,
    UnknownRules,
    WrongType,
)

KNOWN_RULES = RULE_SET_NAMES
MAX_ELIMINATIONS = 2
DEFAULT_ROUND = "Dance"

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KEYWORD = re.compile(r"^[A-Za-z0-9]+$")

_ROOT_FIELDS = {"season", "couples", "judges", "weeks"}
_SEASON_FIELDS = {"id", "name", "rules", "half_points", "votes_per_couple"}
_COUPLE_FIELDS = {"id", "celebrity", "professional", "keyword"}
_JUDGE_FIELDS = {"id", "name", "role", "head"}
_WEEK_FIELDS = {
    "number",
    "date",
    "theme",
    "judges",
    "couples",
    "rounds",
    "eliminate",
    "carry_over",
    "finale",
    "performances",
    "totals",
    "bonus",
    "bonus_reason",
    "eliminated",
    "bottom",
    "final_order",
    "notes",
}
_PERFORMANCE_FIELDS = {"couple", "round", "style", "song", "scores", "total", "notes"}

T = TypeVar("T")


def build_season(data: Any) -> Season:
    """Validate a parsed season document and build the ``Season`` it describes."""
    root = _table(data, "", _ROOT_FIELDS)
    head = _table(_required(root, "", "season"), "season", _SEASON_FIELDS)
    season_id = _identifier(head, "season", "id")
    name = _string(head, "season", "name")
    rules = _optional(head, "season", "rules", str, "dwts")
    if rules not in KNOWN_RULES:
        raise UnknownRules(
            f"unknown rule set {rules!r} (known: {', '.join(KNOWN_RULES)})", field="season.rules"
        )
    half_points = _optional(head, "season", "half_points", bool, False)
    votes_per_couple = _optional(head, "season", "votes_per_couple", int, 10)
    if votes_per_couple < 1:
        raise InvalidInput("votes_per_couple must be at least 1", field="season.votes_per_couple")

    couples = _couples(_list(_required(root, "", "couples"), "couples"))
    judges = _judges(_list(_required(root, "", "judges"), "judges"))
    context = _Context(
        couples={c.id for c in couples},
        judges={j.id for j in judges},
        half_points=half_points,
        dancing=tuple(c.id for c in couples),
    )
    raw_weeks = _list(_required(root, "", "weeks"), "weeks")
    if not raw_weeks:
        raise MissingField("a season needs at least one week", field="weeks")
    weeks = tuple(
        _week(raw, f"weeks[{position}]", position, len(raw_weeks), context)
        for position, raw in enumerate(raw_weeks)
    )
    return Season(
        id=season_id,
        name=name,
        couples=couples,
        judges=judges,
        weeks=weeks,
        rules=rules,
        half_points=half_points,
        votes_per_couple=votes_per_couple,
    )


@dataclass
class _Context:
    """What a week needs to know about the season and the weeks before it."""

    couples: set[str]
    judges: set[str]
    half_points: bool
    dancing: tuple[str, ...]
    """Who is still in after the previous week, in cast order."""
    eliminated_in: dict[str, int] = field(default_factory=dict)
    last_date: date | None = None
    last_date_week: int = 0


def _couples(raw: list[Any]) -> tuple[Couple, ...]:
    if len(raw) < 2:
        raise MissingField("a season needs at least two couples", field="couples")
    couples: list[Couple] = []
    ids: dict[str, str] = {}
    keywords: dict[str, str] = {}
    for position, entry in enumerate(raw):
        where = f"couples[{position}]"
        item = _table(entry, where, _COUPLE_FIELDS)
        couple_id = _identifier(item, where, "id")
        if couple_id in ids:
            raise InvalidInput(
                f"duplicate couple id {couple_id!r} (also {ids[couple_id]})", field=f"{where}.id"
            )
        ids[couple_id] = where
        keyword = _string(item, where, "keyword")
        if not _KEYWORD.match(keyword):
            raise WrongType(
                f"keyword {keyword!r} must be letters and digits only (it is texted)",
                field=f"{where}.keyword",
            )
        folded = keyword.casefold()
        if folded in keywords:
            raise InvalidInput(
                f"keyword {keyword!r} is already used by {keywords[folded]} "
                "(keywords are compared without case)",
                field=f"{where}.keyword",
            )
        keywords[folded] = where
        couples.append(
            Couple(
                id=couple_id,
                celebrity=_string(item, where, "celebrity"),
                professional=_string(item, where, "professional"),
                keyword=keyword,
            )
        )
    return tuple(couples)


def _judges(raw: list[Any]) -> tuple[Judge, ...]:
    if not raw:
        raise MissingField("a season needs at least one judge", field="judges")
    judges: list[Judge] = []
    ids: dict[str, str] = {}
    head: str | None = None
    for position, entry in enumerate(raw):
        where = f"judges[{position}]"
        item = _table(entry, where, _JUDGE_FIELDS)
        judge_id = _identifier(item, where, "id")
        if judge_id in ids:
            raise InvalidInput(
                f"duplicate judge id {judge_id!r} (also {ids[judge_id]})", field=f"{where}.id"
            )
        ids[judge_id] = where
        role_name = _optional(item, where, "role", str, JudgeRole.REGULAR.value)
        if role_name not in {role.value for role in JudgeRole}:
            raise WrongType(
                f"role must be 'regular' or 'guest', not {role_name!r}", field=f"{where}.role"
            )
        is_head = _optional(item, where, "head", bool, False)
        if is_head and head is not None:
            raise InvalidInput(
                f"only one head judge is allowed ({head} is already head)", field=f"{where}.head"
            )
        if is_head:
            head = judge_id
        judges.append(
            Judge(
                id=judge_id,
                name=_string(item, where, "name"),
                role=JudgeRole(role_name),
                head=is_head,
            )
        )
    return tuple(judges)


def _week(raw: Any, where: str, position: int, count: int, context: _Context) -> Week:
    item = _table(raw, where, _WEEK_FIELDS)
    number = _required_typed(item, where, "number", int)
    if number != position + 1:
        raise InvalidInput(
            f"weeks are out of order: expected week {position + 1} here, found week {number}",
            field=f"{where}.number",
        )
    when = _date(item, where)
    if when is not None and context.last_date is not None and when <= context.last_date:
        raise InvalidInput(
            f"date {when.isoformat()} is not after week {context.last_date_week}'s "
            f"{context.last_date.isoformat()}",
            field=f"{where}.date",
        )
    if when is not None:
        context.last_date, context.last_date_week = when, number
    theme = _string(item, where, "theme")
    panel = _id_list(item, where, "judges", known=context.judges, error=UnknownJudge, noun="judge")
    if not panel:
        raise MissingField("a week needs at least one judge on the panel", field=f"{where}.judges")
    couples = _dancing(item, where, number, context)
    rounds = tuple(_optional_list(item, where, "rounds", [DEFAULT_ROUND]))
    _unique_strings(rounds, f"{where}.rounds")

    eliminate = _required_typed(item, where, "eliminate", int)
    if not 0 <= eliminate <= MAX_ELIMINATIONS:
        raise InvalidInput(
            f"eliminate must be 0, 1 or 2, not {eliminate}", field=f"{where}.eliminate"
        )
    if eliminate >= len(couples):
        raise InvalidInput(
            f"eliminate {eliminate} would leave nobody of {len(couples)} dancing",
            field=f"{where}.eliminate",
        )
    carry_over = _optional(item, where, "carry_over", bool, False)
    if carry_over and eliminate != 0:
        raise InvalidInput(
            f"a carry-over week eliminates nobody (its scores and votes carry into the next "
            f"week), but eliminate is {eliminate}",
            field=f"{where}.eliminate",
        )
    is_last = position == count - 1
    if carry_over and is_last:
        raise InvalidInput(
            "the last week has no next week to carry over into", field=f"{where}.carry_over"
        )
    finale = _optional(item, where, "finale", bool, False)
    if finale and not is_last:
        raise InvalidInput("only the last week can be the finale", field=f"{where}.finale")

    performances = _performances(
        item, where, number=number, couples=couples, panel=panel, rounds=rounds, context=context
    )
    totals = _totals(
        item,
        where,
        number=number,
        couples=couples,
        panel=panel,
        rounds=rounds,
        performances=performances,
        context=context,
    )
    bonus = _number_table(item, where, "bonus", number, couples)
    bonus_reason = _optional(item, where, "bonus_reason", str, "")
    if bonus and not bonus_reason:
        raise MissingField("bonus points need a bonus_reason", field=f"{where}.bonus")

    eliminated = _result_list(
        item, where, "eliminated", number=number, couples=couples, context=context
    )
    if eliminated and len(eliminated) != eliminate:
        raise InvalidInput(
            f"eliminated lists {len(eliminated)} couple(s) but eliminate is {eliminate}",
            field=f"{where}.eliminated",
        )
    bottom = _result_list(item, where, "bottom", number=number, couples=couples, context=context)
    if bottom and not set(eliminated) <= set(bottom):
        missing = ", ".join(sorted(set(eliminated) - set(bottom)))
        raise InvalidInput(
            f"bottom must include the eliminated couple(s): {missing}", field=f"{where}.bottom"
        )
    final_order = _result_list(
        item, where, "final_order", number=number, couples=couples, context=context
    )
    if final_order and not finale:
        raise InvalidInput(
            "final_order belongs to the finale week (set finale = true)",
            field=f"{where}.final_order",
        )
    if final_order and set(final_order) != set(couples):
        missing = ", ".join(sorted(set(couples) - set(final_order)))
        raise InvalidInput(
            f"final_order must place every finalist; missing: {missing}",
            field=f"{where}.final_order",
        )

    for couple in eliminated:
        context.eliminated_in[couple] = number
    context.dancing = tuple(c for c in couples if c not in eliminated)
    return Week(
        number=number,
        date=when,
        theme=theme,
        eliminate=eliminate,
        judges=panel,
        performances=performances,
        bonus=MappingProxyType(bonus),
        bonus_reason=bonus_reason,
        carry_over=carry_over,
        finale=finale,
        eliminated=eliminated,
        final_order=final_order,
        bottom=bottom,
        notes=_optional(item, where, "notes", str, ""),
        couples=couples,
        rounds=rounds,
        totals=MappingProxyType(totals),
    )


def _dancing(
    item: Mapping[str, Any], where: str, number: int, context: _Context
) -> tuple[str, ...]:
    """The week's couples: as listed, or everyone still in after the previous week."""
    if "couples" not in item:
        return context.dancing
    couples = _id_list(
        item, where, "couples", known=context.couples, error=UnknownCouple, noun="couple"
    )
    for position, couple in enumerate(couples):
        if couple in context.eliminated_in:
            raise InvalidInput(
                f"couple {couple!r} was eliminated in week {context.eliminated_in[couple]} "
                f"and cannot dance in week {number}",
                field=f"{where}.couples[{position}]",
            )
    if len(couples) < 2:
        raise MissingField("a week needs at least two couples", field=f"{where}.couples")
    return couples


def _check_dancing(
    couple: str, spot: str, number: int, couples: tuple[str, ...], context: _Context
) -> None:
    if couple not in context.couples:
        raise UnknownCouple(f"unknown couple {couple!r}", field=spot)
    if couple in context.eliminated_in:
        raise UnknownCouple(
            f"couple {couple!r} was already eliminated in week {context.eliminated_in[couple]}",
            field=spot,
        )
    if couple not in couples:
        raise UnknownCouple(f"couple {couple!r} is not dancing in week {number}", field=spot)


def _performances(
    item: Mapping[str, Any],
    where: str,
    *,
    number: int,
    couples: tuple[str, ...],
    panel: tuple[str, ...],
    rounds: tuple[str, ...],
    context: _Context,
) -> tuple[Performance, ...]:
    raw = _list(item.get("performances", []), f"{where}.performances")
    seen: dict[tuple[str, str], str] = {}
    out: list[Performance] = []
    for position, entry in enumerate(raw):
        spot = f"{where}.performances[{position}]"
        perf = _table(entry, spot, _PERFORMANCE_FIELDS)
        couple = _string(perf, spot, "couple")
        _check_dancing(couple, f"{spot}.couple", number, couples, context)
        if "round" in perf:
            round_name = _string(perf, spot, "round")
        elif len(rounds) == 1:
            round_name = rounds[0]
        else:
            raise MissingField(
                f"round is required on a night with rounds {list(rounds)}", field=f"{spot}.round"
            )
        if round_name not in rounds:
            raise InvalidInput(
                f"round {round_name!r} is not one of this week's rounds {list(rounds)}",
                field=f"{spot}.round",
            )
        if (couple, round_name) in seen:
            raise DuplicateScore(
                f"{couple!r} already has a performance in round {round_name!r} "
                f"({seen[couple, round_name]})",
                field=f"{spot}.couple",
            )
        seen[couple, round_name] = spot
        scores = _scores(perf, spot, panel, context) if "scores" in perf else None
        total = _total(perf, spot, panel, scores, context.half_points)
        out.append(
            Performance(
                couple=couple,
                round=round_name,
                style=_optional(perf, spot, "style", str, ""),
                song=_optional(perf, spot, "song", str, ""),
                scores=MappingProxyType(scores) if scores is not None else None,
                total=total,
                notes=_optional(perf, spot, "notes", str, ""),
            )
        )
    return tuple(out)


def _scores(
    perf: Mapping[str, Any], spot: str, panel: tuple[str, ...], context: _Context
) -> dict[str, float]:
    raw = _table(perf["scores"], f"{spot}.scores", None)
    scores: dict[str, float] = {}
    for judge, value in raw.items():
        where = f"{spot}.scores.{judge}"
        if judge not in context.judges:
            raise UnknownJudge(f"unknown judge {judge!r}", field=where)
        if judge not in panel:
            raise UnknownJudge(
                f"judge {judge!r} is not on this week's panel {list(panel)}", field=where
            )
        scores[judge] = check_score(value, where, halves=context.half_points)
    return scores


def check_score(value: Any, where: str, *, halves: bool) -> float:
    """One judge's keyed score: 1 to 10, halves only where the season allows them."""
    if not _is_number(value):
        raise WrongType(f"score must be a number, not {value!r}", field=where)
    score = float(value)
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise ScoreOutOfRange(f"score {value} is outside 1-10", field=where)
    if not (score * 2).is_integer():
        raise ScoreOutOfRange(f"score {value} is not a whole or half point", field=where)
    if not halves and not score.is_integer():
        raise ScoreOutOfRange(
            f"score {value} is a half point, which this season does not allow (half_points)",
            field=where,
        )
    return score


def _check_total(
    value: Any,
    where: str,
    *,
    dances: int,
    judges: int,
    halves: bool,
    known: float = 0.0,
    known_dances: int = 0,
) -> float:
    """A published total over ``dances`` x ``judges`` scores, ``known`` of them already known."""
    if not _is_number(value):
        raise WrongType(f"total must be a number, not {value!r}", field=where)
    total = float(value)
    step = 0.5 if halves else 1.0
    if not (total / step).is_integer():
        raise ScoreOutOfRange(
            f"total {value} is not made of {'half' if halves else 'whole'} points", field=where
        )
    unknown = dances * judges - known_dances
    low, high = known + unknown * MIN_SCORE, known + unknown * MAX_SCORE
    if not low <= total <= high:
        detail = f" given the known scores ({_plain(known)})" if known_dances else ""
        raise ScoreOutOfRange(
            f"total {value} is outside {_plain(low)}-{_plain(high)}{detail}", field=where
        )
    return total


def _total(
    perf: Mapping[str, Any],
    spot: str,
    panel: tuple[str, ...],
    scores: dict[str, float] | None,
    halves: bool,
) -> float | None:
    if "total" not in perf:
        return None
    known = scores or {}
    return _check_total(
        perf["total"],
        f"{spot}.total",
        dances=1,
        judges=len(panel),
        halves=halves,
        known=sum(known.values()),
        known_dances=len(known),
    )


def _totals(
    item: Mapping[str, Any],
    where: str,
    *,
    number: int,
    couples: tuple[str, ...],
    panel: tuple[str, ...],
    rounds: tuple[str, ...],
    performances: tuple[Performance, ...],
    context: _Context,
) -> dict[str, float]:
    """Published night totals (all rounds) for couples whose per-dance split is unknown."""
    raw = _table(item.get("totals", {}), f"{where}.totals", None)
    out: dict[str, float] = {}
    for couple, value in raw.items():
        spot = f"{where}.totals.{couple}"
        _check_dancing(couple, spot, number, couples, context)
        known = 0.0
        known_scores = 0
        for perf in performances:
            if perf.couple != couple:
                continue
            points = perf.known_points(panel)
            if points is not None:
                known += points
                known_scores += len(panel)
            elif perf.scores:
                known += sum(perf.scores.values())
                known_scores += len(perf.scores)
        out[couple] = _check_total(
            value,
            spot,
            dances=len(rounds),
            judges=len(panel),
            halves=context.half_points,
            known=known,
            known_dances=known_scores,
        )
    return out


def _number_table(
    item: Mapping[str, Any], where: str, name: str, number: int, couples: tuple[str, ...]
) -> dict[str, float]:
    raw = _table(item.get(name, {}), f"{where}.{name}", None)
    out: dict[str, float] = {}
    for couple, value in raw.items():
        spot = f"{where}.{name}.{couple}"
        if couple not in couples:
            raise UnknownCouple(f"couple {couple!r} is not dancing in week {number}", field=spot)
        if not _is_number(value):
            raise WrongType(f"{name} must be a number, not {value!r}", field=spot)
        out[couple] = float(value)
    return out


def _result_list(
    item: Mapping[str, Any],
    where: str,
    name: str,
    *,
    number: int,
    couples: tuple[str, ...],
    context: _Context,
) -> tuple[str, ...]:
    values = tuple(_optional_list(item, where, name, []))
    for position, couple in enumerate(values):
        _check_dancing(couple, f"{where}.{name}[{position}]", number, couples, context)
    _unique_strings(values, f"{where}.{name}")
    return values


# --- small typed readers -------------------------------------------------------------------


def _child(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _table(value: Any, where: str, allowed: set[str] | None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise WrongType("must be a table of named fields", field=where or "$")
    for key in value:
        if not isinstance(key, str):
            raise WrongType(f"field name {key!r} must be text", field=where or "$")
        if allowed is not None and key not in allowed:
            raise InvalidInput(
                f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})",
                field=_child(where, key),
            )
    return value


def _required(item: Mapping[str, Any], where: str, name: str) -> Any:
    if item.get(name) is None:
        raise MissingField(f"missing required field {name!r}", field=_child(where, name))
    return item[name]


def _type_name(kind: type) -> str:
    return {str: "text", int: "a whole number", bool: "true or false", list: "a list"}.get(
        kind, kind.__name__
    )


def _required_typed(item: Mapping[str, Any], where: str, name: str, kind: type[T]) -> T:
    value = _required(item, where, name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise WrongType(f"must be {_type_name(kind)}, not {value!r}", field=_child(where, name))
    return value


def _optional(item: Mapping[str, Any], where: str, name: str, kind: type[T], default: T) -> T:
    if item.get(name) is None:
        return default
    return _required_typed(item, where, name, kind)


def _string(item: Mapping[str, Any], where: str, name: str) -> str:
    value = _required_typed(item, where, name, str)
    if not value.strip():
        raise WrongType("must not be empty", field=_child(where, name))
    return value


def _identifier(item: Mapping[str, Any], where: str, name: str) -> str:
    value = _string(item, where, name)
    if not _ID.match(value):
        raise WrongType(
            f"id {value!r} must be lower-case letters, digits and '-' (starting with a letter "
            "or digit)",
            field=_child(where, name),
        )
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise WrongType("must be a list", field=where)
    return value


def _optional_list(item: Mapping[str, Any], where: str, name: str, default: list[str]) -> list[Any]:
    if item.get(name) is None:
        return default
    values = _list(item[name], _child(where, name))
    for position, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise WrongType("must be non-empty text", field=f"{_child(where, name)}[{position}]")
    return values


def _unique_strings(values: tuple[str, ...], where: str) -> None:
    seen: set[str] = set()
    for position, value in enumerate(values):
        if value in seen:
            raise InvalidInput(f"{value!r} is listed twice", field=f"{where}[{position}]")
        seen.add(value)


def _id_list(
    item: Mapping[str, Any],
    where: str,
    name: str,
    *,
    known: set[str],
    error: type[InvalidInput],
    noun: str,
) -> tuple[str, ...]:
    values = tuple(_optional_list(item, where, name, []))
    for position, value in enumerate(values):
        if value not in known:
            raise error(f"unknown {noun} {value!r}", field=f"{_child(where, name)}[{position}]")
    _unique_strings(values, _child(where, name))
    return values


def _date(item: Mapping[str, Any], where: str) -> date | None:
    value = item.get("date")
    if value is None:
        return None
    spot = _child(where, "date")
    # datetime is a date subclass; a night's date carries no time of day.
    if isinstance(value, date) and type(value) is date:
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise WrongType(f"date must be a calendar date like 2025-09-16, not {value!r}", field=spot)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)

"""The results request of docs/interfaces.md §1: checked against its JSON Schema, then built.

The schema shipped in the package (``ballroom/data/results-request.schema.json``, printed by
``ballroom results --schema``) is the source of truth for the request's shape: which fields
exist, which are required for which rule set, and their JSON types. It is checked first, so a
typo is reported as a typo (with the nearest valid name) rather than as whatever field it
left missing. What a schema cannot say (every couple scored by every judge present, ids that
refer to the night's couples and judges) is then checked by ``Night.from_mapping`` and
``SkatingRequest.from_mapping``. Either way the first fault becomes one ``InvalidInput``
naming its field.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from ballroom.domain.night import Night
from ballroom.domain.rules import RULE_SET_NAMES
from ballroom.domain.rules.skating import RULES_NAME as SKATING
from ballroom.domain.rules.skating import SkatingRequest
from ballroom.errors import (
    InvalidInput,
    MissingField,
    ScoreOutOfRange,
    UnknownField,
    UnknownRules,
    WrongType,
)

SCHEMA_FILE = "results-request.schema.json"

_JSON_TYPES = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


@cache
def schema_text() -> str:
    """The JSON Schema of the request, as shipped."""
    return resources.files("ballroom.data").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text()))


def parse_request(
    data: Any, *, rules: str | None = None, votes_from_log: bool = False
) -> Night | SkatingRequest:
    """The checked request: a ``Night`` to rank, or a Skating System final.

    ``rules`` (a CLI ``--rules``) overrides the document's own ``rules`` field.
    ``votes_from_log``: the caller counts the votes from a vote log (``integrity analyze
    --results``), so ``votes`` may be left out; any given are replaced by the log's count.
    """
    if not isinstance(data, Mapping):
        raise WrongType("the request must be a JSON object", field="$")
    effective = dict(data) if rules is None else {**data, "rules": rules}
    couples = effective.get("couples")
    if votes_from_log and "votes" not in effective and isinstance(couples, list):
        effective["votes"] = {couple: 0 for couple in couples if isinstance(couple, str)}
    if effective.get("rules") == SKATING and "marks" not in effective:
        raise MissingField(
            "the skating rule set needs `marks` (each judge's places per dance), "
            "not scores and votes",
            field="marks",
        )
    check_shape(effective)
    if effective["rules"] == SKATING:
        return SkatingRequest.from_mapping(effective)
    return Night.from_mapping(effective)


def check_shape(data: Mapping[str, Any]) -> None:
    """Raise the most telling schema fault of ``data`` as one ``InvalidInput``, if any."""
    errors = list(_validator().iter_errors(data))
    if errors:
        raise _as_input_error(min(errors, key=_rank), str(data.get("rules")))


def _rank(error: ValidationError) -> tuple[int, int, str]:
    """Unknown fields first (a typo explains the field it left missing), then missing ones."""
    kind: Any = error.validator
    if kind in ("additionalProperties", None) or "propertyNames" in error.schema_path:
        order = 0
    elif kind == "required":
        order = 1
    elif kind == "enum" and list(error.absolute_path) == ["rules"]:
        order = 2
    else:
        order = 3
    return order, len(error.absolute_path), _where(error.absolute_path)


def _as_input_error(error: ValidationError, rules: str) -> InvalidInput:
    path = list(error.absolute_path)
    where = _where(path)
    # The library types these as unions with its own "unset" marker; here they are all set.
    kind: Any = error.validator
    schema: Any = error.schema
    instance: Any = error.instance
    value: Any = error.validator_value
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        unknown = sorted(set(instance) - set(allowed))
        return _unknown(where, unknown[0], allowed)
    if "propertyNames" in error.schema_path:
        # The skating request has only rules and marks: a field of the other rule sets.
        allowed = list(value)
        return _unknown(where, str(instance), allowed, rule_set=SKATING)
    if kind is None:
        # The one field the schema forbids outright outside skating: marks.
        return UnknownField(
            f"marks belong to the skating rule set; rules {rules!r} take dances and votes",
            field="marks",
        )
    if kind == "required":
        missing = next(name for name in value if name not in instance)
        field = f"{where}.{missing}" if where != "$" else missing
        return MissingField(f"missing required field {field!r}", field=field)
    if kind == "enum" and path == ["rules"]:
        return UnknownRules(
            f"unknown rules {instance!r}; choose one of {', '.join(RULE_SET_NAMES)}",
            field="rules",
        )
    if kind in ("minimum", "maximum", "multipleOf") and _is_score(path):
        return ScoreOutOfRange(
            f"{where}: score {instance} is not a whole or half point from 1 to 10",
            field=where,
        )
    if kind == "type":
        expected = value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_JSON_TYPES.get(name, name) for name in names)
        return WrongType(f"{where} must be {wanted}, not {_json_repr(instance)}", field=where)
    if kind in ("minItems", "minProperties"):
        return WrongType(f"{where} must not be empty", field=where)
    if kind == "uniqueItems":
        twice = _first_repeat(instance)
        return WrongType(f"{where} lists {twice!r} twice", field=where)
    if kind == "minimum":
        return WrongType(f"{where} must be {value} or more", field=where)
    if kind == "minLength":
        return WrongType(f"{where} must be a non-empty string", field=where)
    return WrongType(f"{where}: {error.message}", field=where)


def _unknown(
    where: str, name: str, allowed: Sequence[str], *, rule_set: str | None = None
) -> UnknownField:
    field = name if where == "$" else f"{where}.{name}"
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    hint = (
        f"did you mean {close[0]!r}?"
        if close
        else f"the fields here are {', '.join(repr(a) for a in allowed)}"
    )
    scope = f" for rules {rule_set!r}" if rule_set else ""
    return UnknownField(f"unknown field {field!r}{scope}; {hint}", field=field)


def _where(path: Iterable[Any]) -> str:
    """``["dances", 0, "scores"]`` -> ``dances[0].scores``; the whole document is ``$``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "$"


def _is_score(path: Sequence[Any]) -> bool:
    return len(path) == 5 and path[0] == "dances" and path[2] == "scores"


def _json_repr(value: Any) -> str:
    return json.dumps(value) if len(json.dumps(value)) <= 40 else type(value).__name__


def _first_repeat(values: Sequence[Any]) -> Any:
    seen: list[Any] = []
    for value in values:
        if value in seen:
            return value
        seen.append(value)
    return None

"""Read season files (TOML or YAML, one schema) into a validated ``Season``.

Every error names the file, the line and the field, e.g.
``season.toml:42: weeks[3].performances[2].scores.bruno: score 11 is outside 1-10``.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from ballroom.domain.season import Season
from ballroom.errors import DuplicateScore, InvalidInput, MalformedDocument
from ballroom.seasons._build import build_season
from ballroom.seasons._lines import LineIndex, toml_index, yaml_index

Format = Literal["toml", "yaml"]

_SUFFIXES: dict[str, Format] = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml"}
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def load_season(path: str | Path) -> Season:
    """Load and validate a season file; the format follows the suffix (.toml, .yaml, .yml)."""
    source = Path(path)
    fmt = _SUFFIXES.get(source.suffix.lower())
    if fmt is None:
        raise MalformedDocument(
            f"{source}: unknown season file type {source.suffix or '(none)'!r}; "
            "use .toml, .yaml or .yml"
        )
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise MalformedDocument(f"{source}: not UTF-8 text ({error.reason})") from error
    return load_season_text(text, fmt, source=str(path))


def load_season_text(text: str, fmt: str, *, source: str = "<season>") -> Season:
    """Parse and validate season text in ``fmt`` (``"toml"`` or ``"yaml"``)."""
    if fmt == "toml":
        data, index = _parse_toml(text, source)
    elif fmt == "yaml":
        data, index = _parse_yaml(text, source)
    else:
        raise MalformedDocument(f"{source}: unknown season format {fmt!r}; use toml or yaml")
    try:
        return build_season(data)
    except InvalidInput as error:
        raise _located(error, source, index) from None


@functools.cache
def bundled_season34() -> Season:
    """The real Season 34 (autumn 2025) shipped with ballroom; unknown scores stay unknown."""
    text = resources.files("ballroom.data").joinpath("season34.toml").read_text(encoding="utf-8")
    return load_season_text(text, "toml", source="season34.toml")


def _located(error: InvalidInput, source: str, index: LineIndex) -> InvalidInput:
    """The same error class, its message prefixed with ``source:line: field:``."""
    where = error.field or "$"
    line = index.line_of(where) if error.field else None
    prefix = f"{source}:{line}" if line is not None else source
    return type(error)(f"{prefix}: {where}: {error.message}", field=error.field)


def _parse_toml(text: str, source: str) -> tuple[Any, LineIndex]:
    index = toml_index(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # A key written twice is a syntax error to tomllib; name it the way a user thinks
        # of it (a judge scoring twice) when our index saw which key it was.
        if index.duplicates:
            raise _duplicate_key(index, source) from None
        message = str(error)
        position = _TOML_POSITION.search(message)
        if position:
            problem = message[: position.start()]
            raise MalformedDocument(
                f"{source}:{position.group(1)}: column {position.group(2)}: {problem}"
            ) from None
        raise MalformedDocument(f"{source}: {message}") from None
    return data, index


def _parse_yaml(text: str, source: str) -> tuple[Any, LineIndex]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is None:
            raise MalformedDocument(f"{source}:1: the document is empty")
        index = yaml_index(root)
        if index.duplicates:
            raise _duplicate_key(index, source)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        at_line = f":{mark.line + 1}" if mark is not None else ""
        problem = error.problem or error.context or "not valid YAML"
        raise MalformedDocument(f"{source}{at_line}: {problem}") from None
    except yaml.YAMLError as error:
        raise MalformedDocument(f"{source}: not valid YAML ({error})") from None
    return data, index


def _duplicate_key(index: LineIndex, source: str) -> InvalidInput:
    """The first key written twice: a judge scoring one dance twice, or any other key."""
    path, line = index.duplicates[0]
    if ".scores." in path:
        return DuplicateScore(f"{source}:{line}: {path}: judge scored this dance twice", field=path)
    return MalformedDocument(f"{source}:{line}: {path}: defined twice", field=path)

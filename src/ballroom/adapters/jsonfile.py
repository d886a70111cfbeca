"""Reading JSON documents that users write: errors name the line, duplicate keys are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ballroom.errors import MalformedDocument


def read_json_file(path: Path) -> Any:
    """Parse a JSON file, naming the line and column of a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise MalformedDocument(f"{path}: not UTF-8 text ({error.reason})") from error
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as error:
        raise MalformedDocument(
            f"{path}: line {error.lineno} column {error.colno}: {error.msg}"
        ) from error


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON silently keeps the last of two equal keys; a judge keying twice must not vanish."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise MalformedDocument(
                f"key {key!r} appears twice in one object (a judge scoring twice?)", field=key
            )
        seen[key] = value
    return seen

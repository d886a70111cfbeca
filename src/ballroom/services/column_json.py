"""Strings of a pyarrow column as the inside of their JSON string literals, on the whole
column: what the verifier and the bulk import build canonical entry texts from."""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa

from ballroom.domain.voting import json_string

_ESCAPED = re.compile(rb'[\x00-\x1f"\\]')  # what JSON escapes (without ensure_ascii)


def json_inner(strings: Any) -> Any:
    """Each string as the inside of its JSON string literal (``json_string`` without the
    quotes): the strings themselves unless one needs escaping (found by one scan of the
    column's bytes)."""
    data = strings.buffers()[2]
    if data is None or _ESCAPED.search(memoryview(data)) is None:
        return strings
    return pa.array([json_string(text)[1:-1] for text in strings.to_pylist()], pa.string())

"""Where each field of a season file sits, so an error can name its line.

``tomllib`` returns plain data without positions, so for TOML we build a small index of the
keys and ``[[array]]`` tables from the text itself: enough for the common layout (tables,
arrays of tables, ``key = value`` lines, one-line inline tables). Anything it cannot place
falls back to the nearest enclosing field that it can. For YAML the composed node tree
carries every position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)\s*(?:#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_INLINE_KEY = re.compile(r"""(?:^|[{,])\s*([A-Za-z0-9_-]+|"[^"]*"|'[^']*')\s*=""")


@dataclass
class LineIndex:
    """Field path (``weeks[3].performances[2].scores.bruno``) -> 1-based line number."""

    lines: dict[str, int] = field(default_factory=dict)
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    """Keys defined twice in the same table, with the line of the second definition."""

    def record(self, path: str, line: int) -> None:
        if path in self.lines:
            self.duplicates.append((path, line))
        else:
            self.lines[path] = line

    def line_of(self, path: str) -> int | None:
        """The line of ``path`` or of its nearest enclosing field that has one."""
        current = path
        while current:
            if current in self.lines:
                return self.lines[current]
            current = _parent(current)
        return None


def _parent(path: str) -> str:
    if path.endswith("]"):
        return path[: path.rindex("[")]
    return path.rpartition(".")[0]


def _split_key(raw: str) -> list[str]:
    """``a."b c".d`` -> ``["a", "b c", "d"]``."""
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", raw)
    return [part.strip("\"'") for part in parts]


def _strip_strings(text: str) -> str:
    """The text without its comment, structural characters inside strings blanked.

    Quoted key names survive (``"b" = 8``); brackets, braces, commas and ``=`` inside a
    string cannot be mistaken for structure.
    """
    out: list[str] = []
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                out.append("  ")
                index += 2
                continue
            if char == quote:
                quote = ""
                out.append(char)
            else:
                out.append(" " if char in "[]{},=#" else char)
        elif char in "\"'":
            quote = char
            out.append(char)
        elif char == "#":
            break
        else:
            out.append(char)
        index += 1
    return "".join(out)


def toml_index(text: str) -> LineIndex:
    """Index the keys of a TOML document by line (best effort, never raises)."""
    index = LineIndex()
    array_counts: dict[str, int] = {}
    table = ""
    depth = 0  # open brackets/braces of a multi-line value
    in_multiline_string = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline_string:
            if in_multiline_string in line:
                in_multiline_string = ""
            continue
        if depth > 0:
            stripped = _strip_strings(line)
            depth += stripped.count("[") + stripped.count("{")
            depth -= stripped.count("]") + stripped.count("}")
            continue
        header = _HEADER.match(line)
        if header and len(header.group(1)) == len(header.group(3)):
            table = _resolve_header(
                _split_key(header.group(2)), header.group(1) == "[[", array_counts
            )
            index.record(table, number)
            continue
        key = _KEY.match(line)
        if not key:
            continue
        path = _join(table, _split_key(key.group(1)))
        index.record(path, number)
        value = line[key.end() :].strip()
        for quote in ('"""', "'''"):
            if value.startswith(quote) and value.count(quote) == 1:
                in_multiline_string = quote
        if value.startswith("{"):
            for inner in _INLINE_KEY.finditer(_inline_body(value)):
                index.record(_join(path, [inner.group(1).strip("\"'")]), number)
        stripped = _strip_strings(value)
        depth = (
            stripped.count("[") + stripped.count("{") - stripped.count("]") - stripped.count("}")
        )
        depth = max(depth, 0)
    return index


def _inline_body(value: str) -> str:
    """The top level of a one-line inline table, with nested tables and strings blanked."""
    body = _strip_strings(value)
    out: list[str] = []
    level = 0
    for char in body:
        if char in "[{":
            level += 1
            if level == 1:
                out.append(char)
                continue
        if char in "]}":
            level -= 1
        out.append(char if level == 1 else " ")
    return "".join(out)


def _join(base: str, keys: list[str]) -> str:
    path = base
    for key in keys:
        path = f"{path}.{key}" if path else key
    return path


def _resolve_header(keys: list[str], is_array: bool, counts: dict[str, int]) -> str:
    """``[[weeks.performances]]`` -> ``weeks[2].performances[0]`` given what came before."""
    path = ""
    for position, key in enumerate(keys):
        path = f"{path}.{key}" if path else key
        last = position == len(keys) - 1
        if last and is_array:
            counts[path] = counts.get(path, 0) + 1
        if path in counts:
            path = f"{path}[{counts[path] - 1}]"
    return path


def yaml_index(root: yaml.Node) -> LineIndex:
    """Index every mapping key and sequence item of a composed YAML document by line."""
    index = LineIndex()
    _walk(root, "", index)
    return index


def _walk(node: yaml.Node, path: str, index: LineIndex) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            index.record(child, key_node.start_mark.line + 1)
            _walk(value_node, child, index)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            child = f"{path}[{position}]"
            index.record(child, item.start_mark.line + 1)
            _walk(item, child, index)

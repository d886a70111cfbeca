"""The line index that lets season-file errors name their line."""

from __future__ import annotations

import yaml

from ballroom.seasons._lines import toml_index, yaml_index

TOML = '''\
[season]
id = "x"  # a comment with key = value
notes = """
fake = 1
"""

[[weeks]]
number = 1
judges = [
  "a",
  "b",
]
after = 2

[[weeks.performances]]
couple = "p"
scores = { a = 7, "b" = 8, nested = { c = 1 } }

[[weeks.performances]]
couple = "q"

[weeks.performances.scores]
a = 9

[[weeks]]
number = 2
"quoted key".inner = 3
'''


def test_toml_index_tracks_arrays_of_tables_and_inline_tables() -> None:
    index = toml_index(TOML)
    assert index.lines["season.id"] == 2
    assert "fake" not in index.lines
    assert "season.fake" not in index.lines
    assert index.lines["weeks[0]"] == 7
    assert index.lines["weeks[0].judges"] == 9
    assert index.lines["weeks[0].after"] == 13
    assert index.lines["weeks[0].performances[0].couple"] == 16
    assert index.lines["weeks[0].performances[0].scores.a"] == 17
    assert index.lines["weeks[0].performances[0].scores.b"] == 17
    assert index.lines["weeks[0].performances[0].scores.nested"] == 17
    assert "weeks[0].performances[0].scores.c" not in index.lines
    assert index.lines["weeks[0].performances[1].scores.a"] == 23
    assert index.lines["weeks[1].number"] == 26
    assert index.lines["weeks[1].quoted key.inner"] == 27
    assert not index.duplicates


def test_line_of_falls_back_to_the_enclosing_field() -> None:
    index = toml_index(TOML)
    assert index.line_of("weeks[0].judges[1]") == 9
    assert index.line_of("weeks[0].performances[1].style") == 19
    assert index.line_of("weeks[1].theme") == 25
    assert index.line_of("nowhere") is None


def test_duplicates_are_recorded_with_the_second_line() -> None:
    index = toml_index("[a]\nx = 1\nx = 2\n[b]\ny = { z = 1, z = 2 }\n")
    assert index.duplicates == [("a.x", 3), ("b.y.z", 5)]


def test_yaml_index() -> None:
    root = yaml.compose("a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\n", Loader=yaml.SafeLoader)
    assert root is not None
    index = yaml_index(root)
    assert index.lines == {"a": 1, "a.b": 2, "a.c": 3, "a.c[0]": 4, "a.c[1]": 5, "a.c[1].d": 5}

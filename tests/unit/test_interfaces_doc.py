"""docs/interfaces.md: its sections exist, references into it land, its examples are true."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ballroom.adapters.results_request import parse_request
from ballroom.domain.night import Night
from ballroom.domain.rules import compute
from ballroom.domain.rules.skating import SkatingRequest, place_final

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "interfaces.md").read_text(encoding="utf-8")
SECTIONS = re.findall(r"^## §(\d) ", DOC, flags=re.MULTILINE)
# Design notes a clone does not have; spelt in pieces so this guard does not name them itself.
OUTSIDE = (
    *(f"{note}.md" for note in ("CONTRACTS", "MISSION", "ARCHITECTURE", "SEASON34")),
    "../" + "shared",
)


def _json_blocks() -> list[str]:
    return re.findall(r"```json\n(.*?)```", DOC, flags=re.DOTALL)


def test_the_six_sections_are_there_in_order() -> None:
    assert SECTIONS == ["1", "2", "3", "4", "5", "6"]


def test_every_reference_lands_on_a_section() -> None:
    files = [
        *ROOT.joinpath("src").rglob("*.py"),
        *ROOT.joinpath("src").rglob("*.html"),
        *ROOT.joinpath("src").rglob("*.js"),
        *ROOT.joinpath("docs").glob("*.md"),
        ROOT / "README.md",
    ]
    for path in files:
        for section in re.findall(r"interfaces\.md §(\d)", path.read_text(encoding="utf-8")):
            assert section in SECTIONS, f"{path}: §{section}"


def test_nothing_refers_to_a_document_outside_the_repository() -> None:
    tracked = [
        *ROOT.joinpath("src").rglob("*"),
        *ROOT.joinpath("docs").rglob("*"),
        *ROOT.joinpath("scripts").rglob("*"),
        *ROOT.joinpath("benchmarks").rglob("*"),
        ROOT / "README.md",
        ROOT / "pyproject.toml",
    ]
    for path in tracked:
        if path.is_file() and path.suffix not in {".pyc", ".db"}:
            text = path.read_text(encoding="utf-8", errors="ignore")
            for name in OUTSIDE:
                assert name not in text, f"{path} mentions {name}"


def test_the_request_example_is_valid_and_gives_the_output_example() -> None:
    request, _skating, output, skating_output = (json.loads(b) for b in _json_blocks()[:4])
    night = parse_request(request)
    assert isinstance(night, Night)
    assert night.absent_judges == ("carrie-ann",)
    body = compute(night).as_dict()
    first = body["standings"][0]
    for key, value in output["standings"][0].items():
        assert first[key] == pytest.approx(value), key
    for key in ("rules", "bottom", "eliminated", "ties", "explanation"):
        assert body[key] == output[key], key
    marks = parse_request(_skating)
    assert isinstance(marks, SkatingRequest)
    assert place_final(marks).as_dict() == skating_output

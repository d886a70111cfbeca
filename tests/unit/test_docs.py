"""The rule-set documentation is assembled from the modules' docstrings: keep them in step."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


@pytest.mark.parametrize(
    "module",
    [
        "ballroom.domain.rules.dwts",
        "ballroom.domain.rules.judges_save",
        "ballroom.domain.rules.strictly",
        "ballroom.domain.rules.skating",
    ],
)
def test_rules_page_carries_each_rule_sets_docstring(module: str) -> None:
    doc = importlib.import_module(module).__doc__
    assert doc is not None
    assert doc.strip().replace("``", "`") in DOCS.read_text(encoding="utf-8")

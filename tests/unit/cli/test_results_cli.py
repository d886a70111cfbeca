"""``ballroom results``: the docs/interfaces.md §1 interface, end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ballroom.cli import main

CONTRACT_REQUEST: dict[str, Any] = {
    "rules": "dwts",
    "couples": ["robert", "whitney", "hilaria"],
    "judges": ["carrie-ann", "derek", "bruno"],
    "dances": [
        {
            "name": "Tango",
            "scores": {"robert": {"derek": 8, "bruno": 7}, "hilaria": {"derek": 7, "bruno": 7}},
        }
    ],
    "bonus": {"whitney": 5},
    "votes": {"robert": 120000, "whitney": 80000, "hilaria": 60000},
    "carried": {"scores": {"robert": 15}, "votes": {"robert": 90000}},
    "eliminate": 1,
    "save_votes": {"carrie-ann": "hilaria", "derek": "whitney", "bruno": "hilaria"},
    "head_judge": "carrie-ann",
}


def run(tmp_path: Path, request: Any, *args: str, raw: str | None = None) -> Any:
    path = tmp_path / "night.json"
    path.write_text(raw if raw is not None else json.dumps(request))
    return CliRunner().invoke(main, ["results", str(path), *args])


def test_contract_example_gives_contract_shape(tmp_path: Path) -> None:
    outcome = run(tmp_path, CONTRACT_REQUEST)
    assert outcome.exit_code == 0, outcome.output
    body = json.loads(outcome.output)
    assert set(body) >= {"rules", "standings", "bottom", "eliminated", "ties", "explanation"}
    assert body["rules"] == "dwts"
    robert = body["standings"][0]
    assert robert["couple"] == "robert"
    assert robert["place"] == 1
    # 15 tonight + 15 carried = 30 of 30 + 5 + 14 = 49 points; 210000 of 350000 votes.
    assert robert["judges_points"] == 30
    assert robert["votes"] == 210000
    assert robert["judges_share"] == pytest.approx(30 / 49)
    assert robert["vote_share"] == pytest.approx(0.6)
    assert robert["combined"] == pytest.approx(30 / 49 + 0.6)
    assert [s["place"] for s in body["standings"]] == [1, 2, 3]
    assert sum(s["judges_share"] for s in body["standings"]) == pytest.approx(1)
    assert body["eliminated"] == ["whitney"]
    assert body["bottom"][0] == "whitney"


def test_rules_flag_overrides_file(tmp_path: Path) -> None:
    outcome = run(tmp_path, CONTRACT_REQUEST, "--rules", "strictly")
    assert outcome.exit_code == 0, outcome.output
    body = json.loads(outcome.output)
    assert body["rules"] == "strictly"
    assert {"judges_rank_points", "vote_rank_points"} <= set(body["standings"][0])


def test_judges_save_follows_the_majority(tmp_path: Path) -> None:
    outcome = run(tmp_path, CONTRACT_REQUEST, "--rules", "dwts-judges-save")
    assert outcome.exit_code == 0, outcome.output
    body = json.loads(outcome.output)
    assert sorted(body["bottom"]) == ["hilaria", "whitney"]
    # Two of three judges save hilaria, so whitney goes.
    assert body["eliminated"] == ["whitney"]


def test_table_format_names_who_goes(tmp_path: Path) -> None:
    outcome = run(tmp_path, CONTRACT_REQUEST, "--format", "table")
    assert outcome.exit_code == 0, outcome.output
    assert "eliminated" in outcome.output
    assert "whitney" in outcome.output


def test_skating_request(tmp_path: Path) -> None:
    request = {
        "rules": "skating",
        "marks": [
            {
                "dance": "Waltz",
                "judges": ["A", "B", "C"],
                "places": {"c1": [1, 2, 1], "c2": [2, 1, 2]},
            }
        ],
    }
    outcome = run(tmp_path, request)
    assert outcome.exit_code == 0, outcome.output
    body = json.loads(outcome.output)
    assert body["rules"] == "skating"
    assert body["dance_places"] == {"Waltz": {"c1": 1, "c2": 2}}
    assert body["final_places"] == {"c1": 1, "c2": 2}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"couples": ["robert", "whitney"]}, "unknown_couple"),
        ({"dances": [{"name": "T", "scores": {"robert": {"len": 8}}}]}, "unknown_judge"),
        ({"dances": [{"name": "T", "scores": {"robert": {"derek": 11}}}]}, "score_out_of_range"),
        ({"dances": [{"name": "T", "scores": {"robert": {"derek": 7.25}}}]}, "score_out_of_range"),
        ({"rules": "eurovision"}, "unknown_rules"),
        ({"votes": {"robert": -5}}, "wrong_type"),
        ({"judges": None}, "wrong_type"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, change: dict[str, Any], expected: str
) -> None:
    outcome = run(tmp_path, CONTRACT_REQUEST | change)
    assert outcome.exit_code == 2
    lines = outcome.output.strip().splitlines()
    assert len(lines) == 1
    assert expected in lines[0]


def test_missing_field_is_named(tmp_path: Path) -> None:
    request = {key: value for key, value in CONTRACT_REQUEST.items() if key != "couples"}
    outcome = run(tmp_path, request)
    assert outcome.exit_code == 2
    assert "missing_field [couples]" in outcome.output


def test_malformed_json_names_line(tmp_path: Path) -> None:
    outcome = run(tmp_path, None, raw='{\n  "rules": "dwts",\n  "couples": [\n}')
    assert outcome.exit_code == 2
    assert "line 4" in outcome.output


def test_judge_scoring_twice_is_refused(tmp_path: Path) -> None:
    raw = json.dumps(CONTRACT_REQUEST).replace('"derek": 8', '"derek": 8, "derek": 9')
    outcome = run(tmp_path, None, raw=raw)
    assert outcome.exit_code == 2
    assert "twice" in outcome.output


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(main, ["results", str(tmp_path / "nope.json")])
    assert outcome.exit_code == 2
    assert len(outcome.output.strip().splitlines()) == 1

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
    "absent_judges": ["carrie-ann"],
    "dances": [
        {
            "name": "Tango",
            "scores": {
                "robert": {"derek": 8, "bruno": 7},
                "whitney": {"derek": 7, "bruno": 8},
                "hilaria": {"derek": 7, "bruno": 7},
            },
        }
    ],
    "bonus": {"whitney": 5},
    "votes": {"robert": 120000, "whitney": 80000, "hilaria": 60000},
    "carried": {"scores": {"robert": 15}, "votes": {"robert": 90000}},
    "eliminate": 1,
    "save_votes": {"derek": "whitney", "bruno": "hilaria"},
    "head_judge": "derek",
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
    # Carrie Ann absent: 15 tonight + 15 carried = 30 of 30 + 20 + 14 = 64 points;
    # 210000 of 350000 votes.
    assert robert["judges_points"] == 30
    assert robert["votes"] == 210000
    assert robert["judges_share"] == pytest.approx(30 / 64)
    assert robert["vote_share"] == pytest.approx(0.6)
    assert robert["combined"] == pytest.approx(30 / 64 + 0.6)
    assert [s["place"] for s in body["standings"]] == [1, 2, 3]
    assert sum(s["judges_share"] for s in body["standings"]) == pytest.approx(1)
    assert body["eliminated"] == ["hilaria"]
    assert body["bottom"][0] == "hilaria"


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
    # Derek saves whitney, Bruno hilaria: the head judge (Derek) breaks the split.
    assert body["eliminated"] == ["hilaria"]


def test_table_format_names_who_goes(tmp_path: Path) -> None:
    outcome = run(tmp_path, CONTRACT_REQUEST, "--format", "table")
    assert outcome.exit_code == 0, outcome.output
    assert "goes home" in outcome.output
    assert "hilaria" in outcome.output


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


def _without(request: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in request.items() if name != key}


def _one_line_exit_2(outcome: Any) -> str:
    assert outcome.exit_code == 2, outcome.output
    lines = outcome.output.strip().splitlines()
    assert len(lines) == 1, outcome.output
    return str(lines[0])


@pytest.mark.parametrize(
    ("request_body", "words"),
    [
        # A typo is named with the nearest valid field, not computed with 0 votes.
        (
            _without(CONTRACT_REQUEST, "votes") | {"vots": CONTRACT_REQUEST["votes"]},
            ["unknown_field [vots]", "did you mean 'votes'?"],
        ),
        (_without(CONTRACT_REQUEST, "votes"), ["missing_field [votes]"]),
        (CONTRACT_REQUEST | {"bonuss": {"robert": 3}}, ["[bonuss]", "did you mean 'bonus'?"]),
        (_without(CONTRACT_REQUEST, "dances"), ["missing_field [dances]"]),
        (
            CONTRACT_REQUEST | {"votes": {"robert": 1, "whitney": 2}},
            ["[votes.hilaria]", "no count for couple 'hilaria'"],
        ),
        (
            CONTRACT_REQUEST | {"dances": [{"name": "Tango", "scroes": {}}]},
            ["[dances[0].scroes]", "did you mean 'scores'?"],
        ),
    ],
)
def test_a_wrong_request_is_never_computed(
    tmp_path: Path, request_body: dict[str, Any], words: list[str]
) -> None:
    line = _one_line_exit_2(run(tmp_path, request_body))
    for word in words:
        assert word in line


def _tango(scores: dict[str, dict[str, int]]) -> dict[str, Any]:
    return CONTRACT_REQUEST | {"dances": [{"name": "Tango", "scores": scores}]}


def test_a_couple_with_no_scores_is_named(tmp_path: Path) -> None:
    scores = {"robert": {"derek": 8, "bruno": 7}, "hilaria": {"derek": 7, "bruno": 7}}
    line = _one_line_exit_2(run(tmp_path, _tango(scores)))
    assert "couple 'whitney' has no scores" in line


def test_one_missing_score_is_named_by_couple_dance_and_judge(tmp_path: Path) -> None:
    scores = {
        "robert": {"derek": 8, "bruno": 7},
        "whitney": {"derek": 7},
        "hilaria": {"derek": 7, "bruno": 7},
    }
    line = _one_line_exit_2(run(tmp_path, _tango(scores)))
    assert "[dances[0].scores.whitney.bruno]" in line
    assert "Tango: couple 'whitney' has no score from judge 'bruno'" in line


def test_a_judge_absent_all_night_must_be_declared(tmp_path: Path) -> None:
    # Without absent_judges, Carrie Ann's missing scores are missing scores.
    line = _one_line_exit_2(run(tmp_path, _without(CONTRACT_REQUEST, "absent_judges")))
    assert "no score from judge 'carrie-ann'" in line
    # An absent judge who scored, or votes to save, is a contradiction.
    scored = _tango(
        {
            "robert": {"derek": 8, "bruno": 7, "carrie-ann": 9},
            "whitney": {"derek": 7, "bruno": 8},
            "hilaria": {"derek": 7, "bruno": 7},
        }
    )
    assert "in absent_judges but scored" in _one_line_exit_2(run(tmp_path, scored))
    saving = CONTRACT_REQUEST | {"save_votes": {"carrie-ann": "hilaria"}}
    assert "cannot vote" in _one_line_exit_2(run(tmp_path, saving, "--rules", "dwts-judges-save"))
    unknown = CONTRACT_REQUEST | {"absent_judges": ["len"]}
    assert "[absent_judges[0]]" in _one_line_exit_2(run(tmp_path, unknown))


def test_the_night_is_out_of_the_judges_present(tmp_path: Path) -> None:
    # Carrie Ann is declared absent: each couple's points are Derek's and Bruno's only
    # (robert 15 + 15 carried, whitney 15 + 5 bonus, hilaria 14), nobody short of a score.
    body = json.loads(run(tmp_path, CONTRACT_REQUEST).output)
    points = {row["couple"]: row["judges_points"] for row in body["standings"]}
    assert points == {"robert": 30, "whitney": 20, "hilaria": 14}


def test_skating_rules_on_a_scores_request_say_what_they_need(tmp_path: Path) -> None:
    line = _one_line_exit_2(run(tmp_path, CONTRACT_REQUEST, "--rules", "skating"))
    assert "[marks]" in line
    assert "the skating rule set needs `marks`" in line
    marks = {
        "rules": "skating",
        "marks": [{"dance": "W", "judges": ["A"], "places": {"a": [1], "b": [2]}}],
    }
    line = _one_line_exit_2(run(tmp_path, marks | {"votes": {"a": 1}}))
    assert "unknown field 'votes' for rules 'skating'" in line


def test_schema_is_printed_and_is_the_one_checked(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(main, ["results", "--schema"])
    assert outcome.exit_code == 0, outcome.output
    schema = json.loads(outcome.output)
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(schema["properties"]) >= {"votes", "dances", "absent_judges", "marks"}
    # The contract example passes the printed schema; a typo fails it.
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(schema).validate(CONTRACT_REQUEST)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors({**CONTRACT_REQUEST, "x": 1}))
    assert errors


def test_no_file_and_no_schema_is_one_line(tmp_path: Path) -> None:
    assert "FILE.json" in _one_line_exit_2(CliRunner().invoke(main, ["results"]))


@pytest.mark.parametrize("rules", ["dwts", "dwts-judges-save", "strictly"])
def test_table_fits_80_columns_and_says_who_goes_home(tmp_path: Path, rules: str) -> None:
    path = tmp_path / "night.json"
    path.write_text(json.dumps(CONTRACT_REQUEST))
    runner = CliRunner(env={"COLUMNS": "80"})
    outcome = runner.invoke(main, ["results", str(path), "--format", "table", "--rules", rules])
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in outcome.output
    assert any("hilaria" in line and "goes home" in line for line in lines)
    if rules == "strictly":
        assert "J rank" in outcome.output
        assert "V rank" in outcome.output

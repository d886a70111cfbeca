"""`ballroom simulate` and `ballroom integrity analyze|eval` as users and scripts call them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ballroom.cli import main
from ballroom.integrity.electorate import DISNEY_NIGHT


@pytest.fixture(scope="module")
def night_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("integrity")
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            str(folder / "night.csv"),
            "--voters",
            "3000",
            "--seed",
            "4",
            "--farms",
            "4",
            "--bots",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    scores = {c: {"derek": 7 + i % 3, "bruno": 8} for i, c in enumerate(DISNEY_NIGHT)}
    (folder / "night.json").write_text(
        json.dumps(
            {
                "rules": "dwts",
                "couples": list(DISNEY_NIGHT),
                "judges": ["derek", "bruno"],
                "dances": [{"name": "Disney", "scores": scores}],
            }
        )
    )
    return folder


def test_simulate_writes_log_and_truth(night_files: Path) -> None:
    truth = json.loads((night_files / "night.truth.json").read_text())
    assert truth["campaigns"][0]["target"] == "hilaria"
    assert truth["abusive"]
    header = (night_files / "night.csv").read_text().splitlines()[0]
    assert header.replace('"', "").startswith("ballot_id,ts,window,voter")


def test_analyze_json_has_the_contract_shape(night_files: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "integrity",
            "analyze",
            str(night_files / "night.csv"),
            "--results",
            str(night_files / "night.json"),
            "--json",
            "--draws",
            "20",
            "--html",
            str(night_files / "report.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {
        "voters",
        "ballots",
        "flagged_voters",
        "clusters",
        "campaigns",
        "counterfactual",
    } <= set(body)
    assert isinstance(body["voters"], int)
    assert isinstance(body["ballots"], int)
    assert all(isinstance(v, str) for v in body["flagged_voters"])
    for cluster in body["clusters"]:
        assert {"kind", "voters", "evidence"} <= set(cluster)
    (campaign,) = body["campaigns"]
    assert campaign["kind"] == "all-but-one"
    assert campaign["target"] == "hilaria"
    assert isinstance(campaign["voters"], int)
    assert isinstance(campaign["votes"], int)
    cf = body["counterfactual"]
    assert {"eliminated", "eliminated_without_flagged", "margin"} <= set(cf)
    truth = json.loads((night_files / "night.truth.json").read_text())
    assert set(body["flagged_voters"]) == set(truth["abusive"])
    html = (night_files / "report.html").read_text()
    assert "<svg" in html
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_analyze_readable_report(night_files: Path) -> None:
    result = CliRunner().invoke(main, ["integrity", "analyze", str(night_files / "night.csv")])
    assert result.exit_code == 0, result.output
    assert "Campaigns" in result.output
    assert "not computed" in result.output


def test_bad_row_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "ballot_id,ts,window,voter,channel,couple,votes,email,phone,ip,device\n"
        "b1,2025-10-08T00:00:00Z,w,v1,web,robert,10,,,,\n"
        "b2,not-a-time,w,v1,web,robert,10,,,,\n"
    )
    result = CliRunner().invoke(main, ["integrity", "analyze", str(path), "--json"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "row 2" in lines[0]
    assert "'ts'" in lines[0]


def test_eval_prints_the_table_per_family_and_writes_the_doc(tmp_path: Path) -> None:
    doc = tmp_path / "integrity.md"
    doc.write_text("# Integrity\n\nIntro.\n")
    args = ["integrity", "eval", "--seeds", "1", "--voters", "2000", "--write", str(doc)]
    result = CliRunner().invoke(main, [*args, "--family", "holdout", "--family", "homes"])
    assert "**holdout** (**never tuned on**" in result.output
    assert "**homes** (tuned on" in result.output
    assert "crowds" not in result.output
    for line in ("| sim-bank |", "| household |", "| tactical |", "| ordinary |"):
        assert line in result.output
    assert "Campaigns of ≥ 1 % found with their target:" in result.output
    text = doc.read_text()
    assert text.startswith("# Integrity\n\nIntro.")
    assert text.count("integrity-eval:begin") == 1
    CliRunner().invoke(main, [*args, "--family", "holdout"])
    assert doc.read_text().count("integrity-eval:begin") == 1


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["integrity", "eval", "--voters", "10"], "[voters]"),
        (["integrity", "eval", "--seeds", "0"], "[seeds]"),
        (["integrity", "eval", "--family", "nowhere"], "[family]"),
        (["simulate", "unused.csv", "--bots", "-3"], "[bots]"),
    ],
)
def test_bad_options_exit_2_naming_the_field(args: list[str], field: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert field in result.output


def test_simulate_writes_a_family_night_with_its_populations(tmp_path: Path) -> None:
    out = tmp_path / "night.csv"
    args = ["simulate", str(out), "--family", "holdout", "--voters", "2000", "--seed", "4"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "night.truth.json").read_text())
    assert {"household", "nat", "sms-fan"} <= set(truth["benign"])
    assert {bank["style"] for bank in truth["sim_banks"]} == {"sim-bank", "dialer"}
    bad = CliRunner().invoke(main, ["simulate", str(out), "--family", "nowhere"])
    assert bad.exit_code == 2
    assert "[family]" in bad.output

"""``ballroom demo``: the main job, end to end through the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ballroom.cli import main


def run(*args: str, columns: int = 200) -> tuple[int, str, str]:
    outcome = CliRunner(env={"COLUMNS": str(columns)}).invoke(main, ["demo", *args])
    return outcome.exit_code, outcome.stdout, outcome.stderr


def test_demo_prints_weeks_and_rates_and_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    started = time.perf_counter()
    code, out, err = run(
        "--electorates",
        "4",
        "--seed",
        "3",
        "--rehearsal-voters",
        "400",
        "--out",
        str(report),
        "--verbose",
    )
    elapsed = time.perf_counter() - started
    assert code == 0, err
    assert elapsed < 20  # the main job must stay fast; this takes a few seconds
    for text in ("Week 1: Premiere", "Week 11: Finale", "Votes (sim)", " sim ", "How often"):
        assert text in out
    assert "Corey Feldman, Baron Davis" in out  # the real double elimination, beside the sim
    assert f"Report: {report}" in out
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "seed 3" in page
    # The live-night rehearsal ran on the vote store, verified, and is in the report.
    assert "Live-night rehearsal: Week 4, Disney Night" in out
    assert re.search(r"verified: chain root [0-9a-f]{64}, [\d,]+ ballots, tallies match", out)
    assert "precision" in out
    assert "campaign found: all but Hilaria Baldwin" in out
    assert "counterfactual: eliminated" in out
    assert "Live-night rehearsal (simulated votes)" in page
    folder = tmp_path / "report-rehearsal"
    for name in ("night.json", "rehearsal.json", "integrity.json", "truth.json"):
        assert (folder / name).is_file(), name
    for name in ("votes.csv", "receipts.csv", "chain.json", "results.json"):
        assert (folder / "export" / name).is_file(), name
    summary = json.loads((folder / "rehearsal.json").read_text(encoding="utf-8"))
    assert summary["verification"]["ok"] is True
    assert summary["ingest"]["refused_by_code"]["cap_exceeded"] > 0


def test_tables_fit_an_80_column_terminal_without_cutting_numbers() -> None:
    args = ("-n", "2", "--no-report", "--rehearsal-voters", "300")
    code, out, _ = run(*args, "--verbose", columns=80)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out
    # The column that says who goes home is there in full, never "bott…" or "o…".
    assert re.search(r"Tonight +Real", out)
    assert re.search(r" out +", out)


def test_by_default_a_short_summary_and_where_the_report_is(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    code, out, err = run("-n", "2", "--rehearsal-voters", "300", "--out", str(report), columns=80)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) <= 15
    # Every line fits 80 columns, but the ones naming a path (a path is never cut).
    assert max(len(line) for line in lines if str(tmp_path) not in line) <= 80
    assert "Week 1: Premiere" not in out  # the weeks' tables are in the report
    assert "every real elimination: dwts" in out
    assert "Goes home on simulated votes:" in out
    assert re.search(r"Export verified: [\d,]+ ballots, chain root", out)
    assert f"Report: {report}  (details: --verbose)" in out
    assert lines[-1] == f"Rehearsal export and JSON: {tmp_path / 'report-rehearsal'}"
    assert err.strip() == ""


def test_json_summary_is_identical_for_the_same_seed(tmp_path: Path) -> None:
    small = ("--rehearsal-voters", "300")
    first = run("-n", "3", "--seed", "8", "--json", "--no-report", *small)
    second = run("-n", "3", "--seed", "8", "--json", "--no-report", *small)
    assert first[0] == second[0] == 0
    assert first[1] == second[1]
    summary = json.loads(first[1])
    assert summary["seed"] == 8
    assert summary["electorates"] == 3
    assert set(summary["reproduction"]) == {"dwts", "dwts-judges-save", "strictly", "skating"}
    for rates in summary["reproduction"].values():
        assert all(0 <= rate <= 1 for rate in rates["weeks"].values())
    rehearsal = summary["rehearsal"]
    assert rehearsal["config"] == {**rehearsal["config"], "seed": 8, "voters": 300}
    assert rehearsal["verification"]["tallies_match"] is True
    assert rehearsal["result"]["eliminated"]
    other = run("-n", "3", "--seed", "9", "--json", "--no-report", *small)
    assert other[1] != first[1]
    assert json.loads(other[1])["rehearsal"] != rehearsal


def test_rules_option_limits_the_rule_sets(tmp_path: Path) -> None:
    code, out, _ = run(
        "--no-rehearsal",
        "-n",
        "2",
        "--rules",
        "dwts",
        "--rules",
        "strictly",
        "--json",
        "--out",
        str(tmp_path / "r.html"),
    )
    assert code == 0
    assert sorted(json.loads(out)["reproduction"]) == ["dwts", "strictly"]
    assert (tmp_path / "r.html").exists()


def test_no_report_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "nothing.html"
    code, _, _ = run("-n", "1", "--no-report", "--rehearsal-voters", "200", "--out", str(target))
    assert code == 0
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # nor the rehearsal's folder


def test_bad_electorates_exit_2_with_one_line() -> None:
    code, out, err = run("--electorates", "0", "--no-report")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "electorates" in err


def test_unknown_rules_exit_2() -> None:
    code, _, err = run("--rules", "borda", "--no-report")
    assert code == 2
    assert "borda" in err


def test_unwritable_report_path_exits_2(tmp_path: Path) -> None:
    code, _, err = run(
        "-n", "1", "--no-rehearsal", "--out", str(tmp_path / "missing" / "dir" / "r.html")
    )
    assert code == 2
    assert "error" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_json_summary_does_not_depend_on_the_process_hash_seed() -> None:
    # Set and dict orders of strings change with PYTHONHASHSEED; the summary must not.
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from ballroom.cli import main; main()",
                "demo",
                "-n",
                "2",
                "--seed",
                "4",
                "--json",
                "--no-report",
                "--rehearsal-voters",
                "300",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["seed"] == 4


def test_no_rehearsal_skips_the_store() -> None:
    code, out, err = run("-n", "1", "--no-report", "--no-rehearsal")
    assert code == 0, err
    assert "rehearsal" not in out.lower()
    assert "rehearsal" not in err


def test_too_few_rehearsal_voters_exit_2_before_the_replay() -> None:
    started = time.perf_counter()
    code, out, err = run("--rehearsal-voters", "5", "--no-report")
    assert time.perf_counter() - started < 5
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "rehearsal_voters" in err


def test_db_keeps_the_store_and_refuses_to_reuse_it(tmp_path: Path) -> None:
    store = tmp_path / "night.db"
    url = f"sqlite:///{store}"
    args = ("-n", "1", "--no-report", "--rehearsal-voters", "200", "--db", url)
    code, _, err = run(*args)
    assert code == 0, err
    assert store.is_file()
    verified = CliRunner().invoke(
        main, ["export", "--db", url, "--window", "s34w04", "--out", str(tmp_path / "again")]
    )
    assert verified.exit_code == 0, verified.stderr
    assert CliRunner().invoke(main, ["verify", str(tmp_path / "again")]).exit_code == 0
    started = time.perf_counter()
    code, out, err = run(*args)
    assert time.perf_counter() - started < 5  # refused before the replay runs
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "already holds window 's34w04'" in err
    assert "Traceback" not in err

"""``ballroom bench http``: runs end to end on a tiny load and reports the JSON shape.

Behaviour only: no timing threshold is asserted (the machine is shared).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ballroom_bench import http as bench_http
from click.testing import CliRunner

from ballroom.cli import main


@pytest.mark.slow
def test_tiny_run_reports_both_servers_and_verifies_the_store(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bench.db'}"
    args = ["bench", "http", "--db", db, "--duration", "1", "--warmup", "0"]
    args += ["--connections", "2", "--voters", "3", "--week", "11", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["path"] == "web-ballot"
    assert report["baseline"]["name"] == "bare-asgi"
    assert report["requests_per_s"] > 0
    assert report["baseline"]["requests_per_s"] > 0
    # The ratio is printed to three decimals.
    assert report["ratio"] == pytest.approx(
        report["requests_per_s"] / report["baseline"]["requests_per_s"], abs=0.0006
    )
    assert 0 < report["p50_ms"] <= report["p99_ms"]
    assert report["errors"] == 0
    assert report["statuses"] == {"200": report["requests"]}
    assert report["votes_verified"] is True
    check = report["verification"]
    assert check["acknowledged_2xx"] == report["requests"]
    assert check["acknowledged_and_stored"] == check["acknowledged_2xx"]
    assert check["acknowledged_missing"] == check["acknowledged_twice"] == 0
    assert 0 <= check["stored_unacknowledged"] <= 2
    assert check["stored_ballots"] == check["acknowledged_2xx"] + check["stored_unacknowledged"]
    assert check["chain_ok"]
    assert check["recount_matches_tally"]
    assert report["setup"]["couples"] == 5  # Season 34 week 11
    # Both durable floors (the real vote_log; a plain fdatasync-ed file) answered every request
    # of the same load, and their ratios are the figures divided.
    for field, name in (
        ("floor", "durable-floor-sqlite"),
        ("journal_floor", "durable-floor-journal"),
    ):
        floor = report[field]
        assert floor["name"] == name
        assert floor["requests_per_s"] > 0
        assert floor["errors"] == 0
        assert floor["ratio_to_bare"] == pytest.approx(
            floor["requests_per_s"] / report["baseline"]["requests_per_s"], abs=0.0006
        )
        assert report[f"ratio_to_{field}"] == pytest.approx(
            report["requests_per_s"] / floor["requests_per_s"], abs=0.0006
        )
    journal = report["journal_floor"]
    assert journal["verified"] is True  # every answer it gave is in its file, once
    # The plain output (without --json) is drawn from the same report.
    readable = bench_http.readable(report)
    assert "ballroom serve" in readable
    assert "bare ASGI" in readable
    assert ": verified" in readable
    assert "durable floor" in readable
    assert "journal floor" in readable


@pytest.mark.slow
def test_the_floor_can_be_left_out(tmp_path: Path) -> None:
    args = ["bench", "http", "--db", f"sqlite:///{tmp_path / 'bench.db'}", "--duration", "1"]
    args += ["--warmup", "0", "--connections", "1", "--voters", "1", "--no-floor", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert "floor" not in report
    assert "ratio_to_floor" not in report
    assert "journal_floor" not in report
    assert "durable floor" not in bench_http.readable(report)


@pytest.mark.slow
@pytest.mark.postgres
def test_postgresql_runs_beside_the_conventional_peer(tmp_path: Path, postgres_url: str) -> None:
    """``--postgres``: ballroom serve on PostgreSQL and the FastAPI + psycopg peer (one
    transaction per request) on the same server and load, in the same run."""
    args = ["bench", "http", "--db", f"sqlite:///{tmp_path / 'bench.db'}", "--duration", "1"]
    args += ["--warmup", "0", "--connections", "2", "--voters", "2", "--no-floor"]
    args += ["--postgres", postgres_url, "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    pg = report["postgresql"]
    assert pg["requests_per_s"] > 0
    assert pg["errors"] == 0
    assert pg["votes_verified"] is True
    assert pg["verification"]["acknowledged_missing"] == 0
    peer = pg["peer"]
    assert peer["name"] == "fastapi-psycopg-per-request-transaction"
    assert peer["requests_per_s"] > 0
    assert peer["errors"] == 0
    # The ratio is of the unrounded rates; the rates are printed to 0.1 req/s.
    assert pg["ratio_to_peer"] == pytest.approx(
        pg["requests_per_s"] / peer["requests_per_s"], rel=0.01
    )
    assert "peer (pg, 1 tx)" in bench_http.readable(report)


def test_missing_wrk_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing named wrk there
    result = CliRunner().invoke(main, ["bench", "http", "--duration", "1", "--json"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: not_found [wrk]: wrk is not installed (apt-get install wrk)"
    ]


def test_bad_duration_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["bench", "http", "--duration", "0"])
    assert result.exit_code == 2
    assert "--duration" in result.output

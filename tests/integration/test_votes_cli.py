"""`ballroom export`, `ballroom verify` and `ballroom import` round trips, on both stores."""

from __future__ import annotations

import contextlib
import csv
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.adapters.receipt_index import sidecar_path
from ballroom.bootstrap import voting_service
from ballroom.cli import main
from ballroom.domain.voting import SmsMessage, VoteMeta
from ballroom.services.ports import FixedClock

_HEADER = "ballot_id,ts,window,voter,channel,couple,votes,email,phone,ip,device\n"


def _night(url: str) -> str:
    engine = create_engine_for(url)
    upgrade(engine)
    clock = FixedClock(datetime(2025, 10, 7, 20, tzinfo=UTC))
    with voting_service(engine, clock) as voting:
        voting.create_window("s34w04", {"hilaria": "HILARIA", "robert": "ROBERT", "alix": "ALIX"})
        voting.open_window("s34w04")
        for n in range(12):
            voting.cast_web_ballot(
                "s34w04",
                f"fan{n % 4}@example.com",
                {"robert": n % 10 + 1, "hilaria": 2},
                idempotency_key=f"k{n}",
                meta=VoteMeta(email=f"fan{n % 4}@example.com", ip="10.0.0.1"),
            )
            voting.ingest_sms([SmsMessage("+12125550100", "alix")], idempotency_key=f"s{n}")
            clock.advance(seconds=45)
        voting.close_window("s34w04")
        root = voting.chain_root("s34w04")
        totals = voting.tallies("s34w04").totals()
    engine.dispose()
    return json.dumps({"root": root, "totals": totals})


def test_export_verify_and_reimport_reproduce_the_night(
    database_url: str, sqlite_url: str, tmp_path: Path
) -> None:
    night = json.loads(_night(database_url))
    runner = CliRunner()
    out = tmp_path / "export"
    exported = runner.invoke(
        main, ["export", "--db", database_url, "--window", "s34w04", "--out", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)["root"] == night["root"]

    verified = runner.invoke(main, ["verify", str(out)])
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["totals"] == night["totals"]

    # A fresh store rebuilt from the export has the same chain, hash for hash.
    fresh = sqlite_url.replace("ballroom.db", "fresh.db")
    imported = runner.invoke(main, ["import", str(out / "votes.csv"), "--db", fresh, "--json"])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output)["accepted"] == 22
    # Every receipt indexed once, as the import finished (no indexing beside its writer).
    sidecar = sidecar_path(Path(fresh.removeprefix("sqlite:///")))
    with contextlib.closing(sqlite3.connect(sidecar)) as connection:
        assert connection.execute("SELECT count(*) FROM receipts").fetchone() == (22,)
    again = runner.invoke(main, ["import", str(out / "votes.csv"), "--db", fresh, "--json"])
    assert json.loads(again.output)["duplicate"] == 22
    out2 = tmp_path / "export2"
    runner.invoke(main, ["export", "--db", fresh, "--window", "s34w04", "--out", str(out2)])
    assert (out2 / "receipts.csv").read_text() == (out / "receipts.csv").read_text()
    assert json.loads((out2 / "results.json").read_text()) == json.loads(
        (out / "results.json").read_text()
    )


def test_export_from_a_store_that_is_not_there_fails_and_creates_nothing(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "--db",
            f"sqlite:///{missing}",
            "--window",
            "s34w04",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code == 2
    assert result.output.strip() == f"error: no store at {missing}: nothing to export (check --db)"
    assert sorted(tmp_path.iterdir()) == []


def test_verify_finds_a_changed_vote(sqlite_url: str, tmp_path: Path) -> None:
    _night(sqlite_url)
    runner = CliRunner()
    out = tmp_path / "export"
    runner.invoke(main, ["export", "--db", sqlite_url, "--window", "s34w04", "--out", str(out)])
    votes = out / "votes.csv"
    lines = votes.read_text().splitlines()
    changed = next(n for n, line in enumerate(lines) if '"web","robert",' in line)
    lines[changed] = lines[changed].replace('"robert"', '"alix"')
    votes.write_text("\n".join(lines) + "\n")
    result = runner.invoke(main, ["verify", str(out)])
    assert result.exit_code == 1
    assert "mismatch" in result.output


def test_verify_finds_inflated_results(sqlite_url: str, tmp_path: Path) -> None:
    _night(sqlite_url)
    runner = CliRunner()
    out = tmp_path / "export"
    runner.invoke(main, ["export", "--db", sqlite_url, "--window", "s34w04", "--out", str(out)])
    results = json.loads((out / "results.json").read_text())
    results["couples"]["alix"]["sms"] += 1
    (out / "results.json").write_text(json.dumps(results))
    result = runner.invoke(main, ["verify", str(out)])
    assert result.exit_code == 1
    assert "alix" in result.output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("b1,2025-10-07T20:00:00Z,w,v,web,robert,11,,,,\n", "votes"),
        ("b1,yesterday,w,v,web,robert,1,,,,\n", "ts"),
        (
            "b1,2025-10-07T20:00:00Z,w,v,web,robert,1,,,,\n"
            "b2,2025-10-07T20:00:00Z,w,v,web,robert,1,,,,\n"
            "b1,2025-10-07T20:00:00Z,w,v,web,alix,1,,,,\n",
            "again",
        ),
    ],
)
def test_import_of_a_bad_file_changes_nothing(
    sqlite_url: str, tmp_path: Path, body: str, message: str
) -> None:
    votes = tmp_path / "votes.csv"
    votes.write_text(
        "ballot_id,ts,window,voter,channel,couple,votes,email,phone,ip,device\n" + body
    )
    result = CliRunner().invoke(main, ["import", str(votes), "--db", sqlite_url])
    assert result.exit_code == 2
    assert message in result.output


def test_import_refuses_over_cap_texts_with_exit_1(sqlite_url: str, tmp_path: Path) -> None:
    votes = tmp_path / "votes.csv"
    rows = [f"s{n},2025-10-07T20:00:0{n % 10}Z,w,+15550100,sms,robert,1,,,," for n in range(12)]
    votes.write_text(
        "ballot_id,ts,window,voter,channel,couple,votes,email,phone,ip,device\n"
        + "\n".join(rows)
        + "\n"
    )
    refusals = tmp_path / "refused.csv"
    result = CliRunner().invoke(
        main, ["import", str(votes), "--db", sqlite_url, "--json", "--refusals", str(refusals)]
    )
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert (summary["accepted"], summary["refused"]) == (10, 2)
    assert summary["refused_by_code"] == {"cap_exceeded": 2}
    listed = list(csv.DictReader(refusals.read_text(encoding="utf-8").splitlines()))
    assert [(r["ballot_id"], r["code"]) for r in listed] == [
        ("s10", "cap_exceeded"),
        ("s11", "cap_exceeded"),
    ]


def test_import_prints_a_summary_that_fits_80_columns(sqlite_url: str, tmp_path: Path) -> None:
    votes = tmp_path / "votes.csv"
    rows = [f"s{n},2025-10-07T20:00:0{n % 10}Z,w,+15550100,sms,robert,1,,,," for n in range(12)]
    votes.write_text(_HEADER + "\n".join(rows) + "\n")
    result = CliRunner().invoke(main, ["import", str(votes), "--db", sqlite_url])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "Imported votes.csv: 12 ballots"
    assert any(line.split() == ["accepted", "10"] for line in lines)
    assert any(line.split()[:2] == ["duplicates", "0"] for line in lines)
    assert any("2  over the cap of votes per couple" in line for line in lines)
    assert lines[-1] == "List them with --refusals FILE."
    assert max(map(len, lines)) <= 80
    again = CliRunner().invoke(main, ["import", str(votes), "--db", sqlite_url, "--json"])
    assert json.loads(again.stdout)["duplicate"] == 10


def test_import_of_a_missing_file_is_one_line(sqlite_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", str(tmp_path / "nope.csv"), "--db", sqlite_url])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: invalid_input [VOTES]: {tmp_path / 'nope.csv'}: no such file"
    ]


def test_a_bad_row_late_in_the_file_changes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    votes = tmp_path / "votes.csv"
    rows = [f"b{n},2025-10-07T20:00:00Z,w,v{n},web,robert,3,,,," for n in range(3000)]
    rows.append("b3000,2025-10-07T20:00:00Z,w,v,web,robert,11,,,,")
    votes.write_text(_HEADER + "\n".join(rows) + "\n")
    result = CliRunner().invoke(main, ["import", str(votes), "--db", sqlite_url])
    assert result.exit_code == 2
    assert "row 3001" in result.output
    assert "'votes'" in result.output
    engine = create_engine_for(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM vote_log")).scalar() == 0
    engine.dispose()

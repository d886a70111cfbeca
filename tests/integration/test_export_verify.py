"""`ballroom export` and `ballroom verify` on both formats: tampering fails, receipts are
confirmed without a database, old exports still verify, the analysis reads the Parquet."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.adapters.db.schema_accounts import nights
from ballroom.adapters.interchange import COLUMNS, VoteRow, read_vote_rows, write_vote_rows
from ballroom.bootstrap import stored_log, voting_service
from ballroom.cli import main
from ballroom.domain.voting import (
    GENESIS_HASH,
    LogEntry,
    SmsMessage,
    VoteMeta,
    canonical_bytes,
    chain_hash,
    recount,
)
from ballroom.services.exports import export_window
from ballroom.services.importing import ballots_from_rows
from ballroom.services.ports import FixedClock
from ballroom.services.verification import CHAIN_ALGORITHM, verify_export

WINDOW = "s34w04"


def _night(url: str) -> dict[str, object]:
    """Four fans who each revise their web ballot, and texts: 22 ballots."""
    engine = create_engine_for(url)
    upgrade(engine)
    clock = FixedClock(datetime(2025, 10, 7, 20, tzinfo=UTC))
    receipts = []
    with voting_service(engine, clock) as voting:
        voting.create_window(WINDOW, {"hilaria": "HILARIA", "robert": "ROBERT", "alix": "ALIX"})
        voting.open_window(WINDOW)
        for n in range(12):
            receipt = voting.cast_web_ballot(
                WINDOW,
                f"fan{n % 4}@example.com",
                {"robert": n % 10 + 1, "hilaria": 2},
                idempotency_key=f"k{n}",
                meta=VoteMeta(email=f"fan{n % 4}@example.com", ip="10.0.0.1"),
            )
            receipts.append(receipt)
            voting.ingest_sms([SmsMessage("+12125550100", "alix")], idempotency_key=f"s{n}")
            clock.advance(seconds=45)
        voting.close_window(WINDOW)
        root = voting.chain_root(WINDOW)
        totals = voting.tallies(WINDOW).totals()
    engine.dispose()
    return {"root": root, "totals": totals, "web": [r.hash for r in receipts]}


@pytest.fixture(params=["csv", "parquet"])
def exported(request: pytest.FixtureRequest, sqlite_url: str, tmp_path: Path) -> tuple[Path, dict]:
    night = _night(sqlite_url)
    out = tmp_path / "export"
    result = CliRunner().invoke(
        main,
        ["export", "--db", sqlite_url, "--window", WINDOW, "--out", str(out), "--format",
         request.param],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / f"votes.{request.param}").is_file()
    return out, night


def _verify(folder: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["verify", str(folder), *extra])
    return result.exit_code, result.output


def test_an_export_verifies_and_says_when_it_may_be_published(exported: tuple[Path, dict]) -> None:
    out, night = exported
    code, output = _verify(out)
    assert code == 0, output
    report = json.loads(output)
    assert report["root"] == night["root"]
    assert report["totals"] == night["totals"]
    assert report["entries"] == 22  # 12 web ballots, 10 texts (the 11th and 12th over the cap)
    manifest = json.loads((out / "chain.json").read_text())
    assert manifest["version"] == 2
    assert manifest["opens_at"] is None  # not revealed: the export is not public yet


def _rows(out: Path) -> list[VoteRow]:
    votes = next(out.glob("votes.*"))
    return list(read_vote_rows(votes))


def _rewrite(out: Path, rows: list[VoteRow]) -> None:
    votes = next(out.glob("votes.*"))
    write_vote_rows(votes, rows)


def test_a_changed_vote_fails(exported: tuple[Path, dict]) -> None:
    out, _ = exported
    rows = _rows(out)
    at = next(i for i, row in enumerate(rows) if row.couple == "robert" and row.votes < 10)
    rows[at] = VoteRow(**{**rows[at].__dict__, "votes": rows[at].votes + 1})
    _rewrite(out, rows)
    code, output = _verify(out)
    assert code == 1
    assert "mismatch" in output
    assert "does not match receipts.csv" in output


def test_a_dropped_row_fails(exported: tuple[Path, dict]) -> None:
    out, _ = exported
    rows = _rows(out)
    _rewrite(out, rows[:-1])
    code, output = _verify(out)
    assert code == 1
    assert "mismatch" in output


def test_a_dropped_row_fails_without_receipts_too(exported: tuple[Path, dict]) -> None:
    out, _ = exported
    (out / "receipts.csv").unlink()
    rows = _rows(out)
    _rewrite(out, rows[:3] + rows[4:])
    code, output = _verify(out)
    assert code == 1
    assert "chain root" in output or "entries" in output


def test_swapped_ballots_fail(exported: tuple[Path, dict]) -> None:
    out, _ = exported
    rows = _rows(out)
    web = [i for i, row in enumerate(rows) if row.channel == "web"]
    first, second = rows[web[0] : web[0] + 2], rows[web[2] : web[2] + 2]
    swapped = rows[: web[0]] + second + rows[web[0] + 2 : web[2]] + first + rows[web[2] + 2 :]
    _rewrite(out, swapped)
    code, output = _verify(out)
    assert code == 1
    assert "mismatch" in output


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("root", "0" * 64, "chain root"),
        ("entries", 23, "counts 23 entries"),
        ("window", "s34w05", "is in window"),
        ("genesis", "1" * 64, "does not match"),
        ("algorithm", "md5(entry)", "unknown chain algorithm"),
        ("version", 3, "version 3"),
    ],
)
def test_an_edited_manifest_fails(
    exported: tuple[Path, dict], key: str, value: object, says: str
) -> None:
    out, _ = exported
    manifest = json.loads((out / "chain.json").read_text())
    manifest[key] = value
    (out / "chain.json").write_text(json.dumps(manifest))
    code, output = _verify(out)
    assert code == 1
    assert says in output


@pytest.mark.parametrize("part", ["couples", "ballots", "buckets"])
def test_edited_results_fail(exported: tuple[Path, dict], part: str) -> None:
    out, _ = exported
    results = json.loads((out / "results.json").read_text())
    if part == "couples":
        results["couples"]["alix"]["sms"] += 1
    elif part == "ballots":
        results["ballots"] -= 1
    else:
        results["buckets"][0]["votes"]["robert"] += 1
    (out / "results.json").write_text(json.dumps(results))
    code, output = _verify(out)
    assert code == 1
    assert "mismatch" in output


def test_a_receipt_is_confirmed_with_its_allocation(exported: tuple[Path, dict]) -> None:
    out, night = exported
    web = night["web"]
    assert isinstance(web, list)
    # fan0's last ballot (n = 8) was never replaced: it counts.
    code, output = _verify(out, "--receipt", web[8].upper())
    assert code == 0, output
    receipt = json.loads(output)["receipt"]
    assert receipt["in_log"] is True
    assert receipt["allocation"] == {"hilaria": 2, "robert": 9}
    assert receipt["channel"] == "web"
    assert receipt["counted"] is True
    assert receipt["replaced_by"] is None


def test_a_revised_web_ballot_shows_the_one_that_replaced_it(exported: tuple[Path, dict]) -> None:
    out, night = exported
    web = night["web"]
    assert isinstance(web, list)
    code, output = _verify(out, "--receipt", web[0])
    assert code == 0, output
    receipt = json.loads(output)["receipt"]
    assert receipt["allocation"] == {"hilaria": 2, "robert": 1}
    assert receipt["counted"] is False
    assert receipt["replaced_by"]["hash"] == web[4]  # fan0's next ballot


def test_a_receipt_not_in_the_log_is_exit_1_and_a_malformed_one_exit_2(
    exported: tuple[Path, dict],
) -> None:
    out, _ = exported
    code, output = _verify(out, "--receipt", "ab" * 32)
    assert code == 1
    assert output.strip() == f"error: not_found [receipt]: receipt {'ab' * 32} is not in this log"
    code, output = _verify(out, "--receipt", "xyz")
    assert code == 2
    assert len(output.strip().splitlines()) == 1
    assert "receipt" in output


def test_export_of_an_unknown_window_is_exit_2_with_one_line(
    sqlite_url: str, tmp_path: Path
) -> None:
    _night(sqlite_url)
    result = CliRunner().invoke(
        main, ["export", "--db", sqlite_url, "--window", "s34w99", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: not_found [window]: no voting window 's34w99'"
    ]


def test_verify_of_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    code, output = _verify(tmp_path / "nope")
    assert code == 2
    assert output.strip().splitlines() == [
        f"error: invalid_input [EXPORT_DIR]: {tmp_path / 'nope'}: no such folder"
    ]


def test_the_manifest_opens_at_the_reveal(sqlite_url: str, tmp_path: Path) -> None:
    _night(sqlite_url)
    engine = create_engine_for(sqlite_url)
    revealed = datetime(2025, 10, 7, 21, 30, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            nights.insert().values(
                window=WINDOW, season="s34", week=4, revealed_at=revealed.timestamp()
            )
        )
    manifest = export_window(stored_log(engine), WINDOW, tmp_path / "out")
    engine.dispose()
    assert manifest["opens_at"] == "2025-10-07T21:30:00Z"
    assert json.loads(_verify(tmp_path / "out")[1])["opens_at"] == "2025-10-07T21:30:00Z"


def test_the_analysis_reads_the_parquet_export(sqlite_url: str, tmp_path: Path) -> None:
    _night(sqlite_url)
    out = tmp_path / "export"
    CliRunner().invoke(
        main, ["export", "--db", sqlite_url, "--window", WINDOW, "--out", str(out), "--format",
               "parquet"],
    )  # fmt: skip
    assert pq.read_schema(out / "votes.parquet").names == list(COLUMNS)
    result = CliRunner().invoke(
        main, ["integrity", "analyze", str(out / "votes.parquet"), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == len(list(read_vote_rows(out / "votes.parquet")))


def _old_export(folder: Path, rows: list[VoteRow]) -> None:
    """An export as ballroom wrote them before the manifest had a version: Python's csv,
    receipts without quotes, results from the domain's recount."""
    folder.mkdir()
    write_vote_rows(folder / "votes.csv", rows)
    prev = GENESIS_HASH
    entries = []
    with (folder / "receipts.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["seq", "ballot_id", "hash"])
        for seq, ballot in enumerate(ballots_from_rows(rows), start=1):
            allocation = tuple(sorted(ballot.allocation.items()))
            digest = chain_hash(
                prev,
                canonical_bytes(
                    seq, ballot.window, ballot.ballot_id, ballot.voter, ballot.channel,
                    ballot.ts_us, allocation,
                ),
            )  # fmt: skip
            writer.writerow([seq, ballot.ballot_id, digest])
            entries.append(
                LogEntry(seq, WINDOW, ballot.ballot_id, ballot.voter, ballot.channel,
                         ballot.ts_us, allocation, prev, digest)
            )  # fmt: skip
            prev = digest
    chain = {"window": WINDOW, "algorithm": CHAIN_ALGORITHM, "genesis": GENESIS_HASH,
             "entries": len(entries), "root": prev}  # fmt: skip
    (folder / "chain.json").write_text(json.dumps(chain, indent=2))
    tally = recount(WINDOW, entries, ["alix", "hilaria", "robert"])
    (folder / "results.json").write_text(json.dumps(tally.as_dict(), indent=2))


def test_an_old_export_still_verifies(exported: tuple[Path, dict], tmp_path: Path) -> None:
    out, night = exported
    old = tmp_path / "old"
    _old_export(old, _rows(out))
    assert verify_export(old)["root"] == night["root"]
    rows = _rows(out)
    first = rows[0].ballot_id
    rows = [
        VoteRow(**{**row.__dict__, "voter": "someone-else"}) if row.ballot_id == first else row
        for row in rows
    ]
    broken = tmp_path / "old-broken"
    _old_export(broken, _rows(out))
    write_vote_rows(broken / "votes.csv", rows)
    assert _verify(broken)[0] == 1


def test_names_that_need_json_escaping_hash_as_the_live_log_does(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = create_engine_for(sqlite_url)
    upgrade(engine)
    clock = FixedClock(datetime(2025, 10, 7, 20, tzinfo=UTC))
    with voting_service(engine, clock) as voting:
        voting.create_window(WINDOW, {'rob"ert\\': "ROBERT", "zoë": "ZOE"})
        voting.open_window(WINDOW)
        voting.cast_web_ballot(
            WINDOW, 'fan"\t@x.com', {'rob"ert\\': 3, "zoë": 1}, idempotency_key="k1"
        )
        root = voting.chain_root(WINDOW)
    for fmt in ("csv", "parquet"):
        export_window(stored_log(engine), WINDOW, tmp_path / fmt, fmt=fmt)
        assert verify_export(tmp_path / fmt)["root"] == root
    engine.dispose()

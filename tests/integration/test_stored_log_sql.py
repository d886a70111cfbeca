"""``SqlStoredLog``: a window's log read back in Arrow batches, through ADBC on a SQLite file
and through SQLAlchemy (PostgreSQL, or SQLite when asked), the same columns either way; and
``ballroom export`` writing the same bytes from both readings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ballroom.adapters import stored_log_sql
from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.adapters.interchange import read_vote_rows
from ballroom.adapters.stored_log_sql import SqlStoredLog, sqlite_file
from ballroom.bootstrap import voting_service
from ballroom.cli import main
from ballroom.domain.voting import SmsMessage, VoteMeta
from ballroom.errors import NotFound
from ballroom.services.exports import export_window
from ballroom.services.log_rows import read_window_log
from ballroom.services.ports import FixedClock
from ballroom.services.verification import verify_export

WINDOW = "s34w04"
COUPLES = {'rob"ert\\': "ROBERT", "zoë": "ZOE", "alix,jr": "ALIX", "hilaria": "HILARIA"}
READ = ("seq", "ts_us", "allocation", "ballot_id", "voter", "channel", "email", "phone", "ip")
EXPORTED_AT = datetime(2025, 10, 8, 1, tzinfo=UTC)


def _night(url: str) -> str:
    """Web ballots (revised, one withdrawn), texts, names that need quoting or escaping,
    times with microseconds, and e-mails empty for the first ballots, set later: a first
    batch of empty strings must not type the column for the rest."""
    engine = create_engine_for(url)
    upgrade(engine)
    clock = FixedClock(datetime(2025, 10, 7, 20, tzinfo=UTC))
    with voting_service(engine, clock) as voting:
        voting.create_window(WINDOW, COUPLES)
        voting.open_window(WINDOW)
        for n in range(10):
            voter = ['fan"1', "fan,2", "fan\t3", "fan\n4", "zoë"][n % 5]
            voting.cast_web_ballot(
                WINDOW,
                voter,
                {'rob"ert\\': n % 10 + 1, "zoë": 2} if n % 3 else {"alix,jr": 10},
                idempotency_key=f"k{n}",
                meta=VoteMeta(
                    email="" if n < 6 else f"{voter}@example.com",
                    ip="" if n < 4 else "10.0.0.1",
                    device='d"1' if n % 2 else "",
                ),
            )
            voting.ingest_sms([SmsMessage(f"+1212555010{n}", "zoe")], idempotency_key=f"s{n}")
            clock.advance(seconds=7.123457)
        voting.cast_web_ballot(WINDOW, "fan,2", {"zoë": 0}, idempotency_key="withdrawn")
        root = voting.chain_root(WINDOW)
    engine.dispose()
    return root


@pytest.fixture
def night(database_url: str) -> tuple[str, str]:
    return database_url, _night(database_url)


def test_batches_hold_the_log_in_order_with_the_promised_types(night: tuple[str, str]) -> None:
    url, _ = night
    engine = create_engine_for(url)
    try:
        log = SqlStoredLog(engine)
        batches = list(log.batches(WINDOW, READ, 4))
        table = pa.Table.from_batches(batches)
        stored = read_window_log(SqlStoredLog(engine), WINDOW)
    finally:
        engine.dispose()
    assert [batch.num_rows for batch in batches] == [4, 4, 4, 4, 4, 1]
    assert table.schema == pa.schema(
        [(n, pa.int64() if n in ("seq", "ts_us") else pa.string()) for n in READ]
    )
    assert table.column("seq").to_pylist() == [entry.seq for entry in stored.entries]
    assert table.column("ts_us").to_pylist() == [entry.ts_us for entry in stored.entries]
    assert table.column("email").to_pylist() == [meta.email for meta in stored.meta]
    assert table.column("voter").to_pylist()[:4] == [
        'fan"1',
        "+12125550100",
        "fan,2",
        "+12125550101",
    ]


def test_sqlite_read_through_adbc_equals_the_sqlalchemy_reading(sqlite_url: str) -> None:
    _night(sqlite_url)
    engine = create_engine_for(sqlite_url)
    try:
        assert sqlite_file(engine) is not None
        for rows in (1, 3, 1000):
            adbc = SqlStoredLog(engine, alone=True).batches(WINDOW, READ, rows)
            plain = SqlStoredLog(engine).batches(WINDOW, READ, rows)
            assert pa.Table.from_batches(list(adbc)).equals(pa.Table.from_batches(list(plain)))
    finally:
        engine.dispose()


def _count_adbc_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths ADBC's SQLite driver opens from now on, in order."""
    opened: list[str] = []
    connect = stored_log_sql.adbc_sqlite.connect

    def counting(path: str) -> Any:
        opened.append(path)
        return connect(path)

    monkeypatch.setattr(stored_log_sql.adbc_sqlite, "connect", counting)
    return opened


def test_adbc_opens_the_file_only_when_no_other_connection_is_in_use(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _night(sqlite_url)
    opened = _count_adbc_opens(monkeypatch)
    engine = create_engine_for(sqlite_url)
    try:
        log = SqlStoredLog(engine, alone=True)
        assert log.couples(WINDOW) == sorted(COUPLES)  # a pooled connection, idle again
        assert sum(batch.num_rows for batch in log.batches(WINDOW, READ, 5)) == 21
        assert len(opened) == 1
        with engine.connect():  # in use: a second SQLite must not open the file now
            assert sum(batch.num_rows for batch in log.batches(WINDOW, READ, 5)) == 21
        assert len(opened) == 1
        assert sum(batch.num_rows for batch in SqlStoredLog(engine).batches(WINDOW, READ, 5)) == 21
        assert len(opened) == 1
    finally:
        engine.dispose()


def test_a_window_without_ballots_reads_as_no_batches(sqlite_url: str) -> None:
    _night(sqlite_url)
    engine = create_engine_for(sqlite_url)
    try:
        log = SqlStoredLog(engine, alone=True)
        assert list(log.batches("s34w99", READ, 10)) == []
        with pytest.raises(NotFound):
            log.couples("s34w99")
        assert log.couples(WINDOW) == sorted(COUPLES)
        assert log.revealed_at(WINDOW) is None
    finally:
        engine.dispose()


def test_an_in_memory_store_is_read_without_adbc() -> None:
    assert sqlite_file(create_engine_for("sqlite://")) is None
    assert sqlite_file(create_engine_for("sqlite:///:memory:")) is None
    assert sqlite_file(create_engine_for("postgresql://x@127.0.0.1/test")) is None


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_export_is_the_same_from_either_reading(
    sqlite_url: str, tmp_path: Path, fmt: str
) -> None:
    root = _night(sqlite_url)
    engine = create_engine_for(sqlite_url)
    try:
        for name, adbc in (("adbc", True), ("plain", False)):
            for rows in (1, 3, 1000):
                export_window(
                    SqlStoredLog(engine, alone=adbc),
                    WINDOW,
                    tmp_path / "out" / f"{name}-{rows}",
                    fmt=fmt,
                    fetch_ballots=rows,
                    now=EXPORTED_AT,
                )
        stored = read_window_log(SqlStoredLog(engine), WINDOW)
    finally:
        engine.dispose()
    reference = tmp_path / "out" / "plain-1000"
    for folder in (tmp_path / "out").iterdir():
        for name in ("receipts.csv", "chain.json", "results.json"):
            assert (folder / name).read_bytes() == (reference / name).read_bytes(), folder
        if fmt == "csv":
            assert (folder / "votes.csv").read_bytes() == (reference / "votes.csv").read_bytes()
        else:
            assert pq.read_table(folder / "votes.parquet").equals(
                pq.read_table(reference / "votes.parquet")
            )
        assert list(read_vote_rows(folder / f"votes.{fmt}")) == list(stored.vote_rows())
        assert verify_export(folder)["root"] == root
    assert json.loads((reference / "chain.json").read_text())["entries"] == 21


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_export_of_either_store_verifies(
    night: tuple[str, str], tmp_path: Path, fmt: str
) -> None:
    url, root = night
    engine = create_engine_for(url)
    try:
        manifest = export_window(SqlStoredLog(engine, alone=True), WINDOW, tmp_path, fmt=fmt)
        stored = read_window_log(SqlStoredLog(engine), WINDOW)
    finally:
        engine.dispose()
    assert manifest["root"] == root
    assert verify_export(tmp_path)["root"] == root
    assert list(read_vote_rows(tmp_path / f"votes.{fmt}")) == list(stored.vote_rows())


def test_ballroom_export_reads_a_sqlite_store_through_adbc(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _night(sqlite_url)
    opened = _count_adbc_opens(monkeypatch)
    out = tmp_path / "export"
    result = CliRunner().invoke(
        main, ["export", "--db", sqlite_url, "--window", WINDOW, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(opened) == 1
    assert verify_export(out)["root"] == root

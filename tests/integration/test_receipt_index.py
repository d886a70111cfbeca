"""Receipt lookups: PostgreSQL's own index, and SQLite's sidecar kept behind the log."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.adapters.db.schema import vote_log
from ballroom.adapters.receipt_index import (
    LogHashIndex,
    SidecarReceiptIndex,
    receipt_index_for,
    remove_sidecar,
    sidecar_path,
)
from ballroom.bootstrap import voting_service
from ballroom.domain.voting import Receipt
from ballroom.errors import NotFound
from ballroom.services.ports import FixedClock

COUPLES = {"robert": "ROBERT", "alix": "ALIX"}
START = datetime(2025, 10, 7, 20, 0, tzinfo=UTC)


def _store(path: Path) -> sa.Engine:
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def _cast(engine: sa.Engine, voters: range, window: str = "w1") -> list[Receipt]:
    """Ballots committed by a service that is stopped again (its indexer with it)."""
    with voting_service(engine, FixedClock(START), group_commit_ms=0) as service:
        if window not in {status.id for status in service.windows()}:
            service.create_window(window, COUPLES)
            service.open_window(window)
        return [
            service.cast_web_ballot(window, f"v{n}", {"robert": 2}, idempotency_key=f"{window}-{n}")
            for n in voters
        ]


def _sidecar_rows(path: Path) -> int:
    """Receipts in the sidecar; 0 while it has no table yet."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        try:
            return int(connection.execute("SELECT count(*) FROM receipts").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """A SQLite store whose services index nothing on their own: the test says when."""
    monkeypatch.setattr(SidecarReceiptIndex, "start", lambda self: None)
    engine = _store(tmp_path / "night.db")
    yield engine
    engine.dispose()


def _drop_sidecar(store: sa.Engine) -> Path:
    path = sidecar_path(Path(str(store.url.database)))
    remove_sidecar(path)
    return path


def test_postgresql_keeps_the_hash_index_and_the_sqlite_log_does_not(database_url: str) -> None:
    engine = create_engine_for(database_url)
    try:
        upgrade(engine)
        names = {index["name"] for index in sa.inspect(engine).get_indexes("vote_log")}
        if engine.dialect.name == "sqlite":
            assert "ix_vote_log_hash" not in names
            assert isinstance(receipt_index_for(engine), SidecarReceiptIndex)
        else:
            assert "ix_vote_log_hash" in names
            assert isinstance(receipt_index_for(engine), LogHashIndex)
    finally:
        engine.dispose()


def test_a_ballot_is_found_before_it_is_indexed_and_after(store: sa.Engine) -> None:
    receipts = _cast(store, range(5))
    path = _drop_sidecar(store)
    index = SidecarReceiptIndex(store, path)
    # No sidecar at all: the log answers.
    assert index.locate(receipts[3].hash) == ("w1", 4)
    assert index.catch_up() == 5
    assert _sidecar_rows(path) == 5
    assert index.catch_up() == 0
    assert index.locate(receipts[0].hash) == ("w1", 1)
    # Committed after the last batch: found among the rows above the mark.
    later = _cast(store, range(5, 7))
    assert index.locate(later[1].hash) == ("w1", 7)
    assert index.locate("0" * 64) is None
    assert index.catch_up() == 2
    assert _sidecar_rows(path) == 7


def test_rows_below_the_mark_are_answered_by_the_sidecar_alone(store: sa.Engine) -> None:
    receipts = _cast(store, range(3))
    path = _drop_sidecar(store)
    index = SidecarReceiptIndex(store, path)
    index.catch_up()
    # A planted entry proves where the answer came from.
    with contextlib.closing(sqlite3.connect(path)) as sidecar, sidecar:
        sidecar.execute("UPDATE receipts SET seq = 99 WHERE hash = ?", (receipts[1].hash,))
    assert index.locate(receipts[1].hash) == ("w1", 99)
    assert index.scan(receipts[1].hash) == ("w1", 2)


def test_a_sidecar_of_another_store_is_emptied_and_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SidecarReceiptIndex, "start", lambda self: None)
    first = _store(tmp_path / "night.db")
    old = _cast(first, range(4))
    SidecarReceiptIndex(first, sidecar_path(tmp_path / "night.db")).catch_up()
    first.dispose()
    (tmp_path / "night.db").unlink()  # the store replaced; its sidecar left behind
    second = _store(tmp_path / "night.db")
    try:
        new = _cast(second, range(10, 16))
        path = sidecar_path(tmp_path / "night.db")
        index = SidecarReceiptIndex(second, path)
        assert index.locate(new[1].hash) == ("w1", 2)  # before the check: the log answers
        assert index.catch_up() == 6
        assert _sidecar_rows(path) == 6
        assert index.locate(old[0].hash) is None
        assert index.locate(new[5].hash) == ("w1", 6)
    finally:
        second.dispose()


def test_an_unreadable_sidecar_is_rebuilt_and_lookups_never_depend_on_it(store: sa.Engine) -> None:
    receipts = _cast(store, range(4))
    path = _drop_sidecar(store)
    path.write_bytes(b"not a database, " * 512)
    index = SidecarReceiptIndex(store, path)
    assert index.locate(receipts[2].hash) == ("w1", 3)
    assert index.catch_up() == 4
    assert _sidecar_rows(path) == 4
    assert index.locate(receipts[2].hash) == ("w1", 3)


def test_a_sidecar_deleted_while_the_indexer_has_it_open_is_made_again(store: sa.Engine) -> None:
    """The indexer keeps its connection between catch-ups; deleting the file (to have it
    rebuilt) must not leave it writing to the deleted one."""
    receipts = _cast(store, range(3))
    path = _drop_sidecar(store)
    index = SidecarReceiptIndex(store, path)
    try:
        assert index.catch_up() == 3
        remove_sidecar(path)
        assert index.catch_up() == 3
        assert _sidecar_rows(path) == 3
        assert index.locate(receipts[0].hash) == ("w1", 1)
    finally:
        index.stop()


def test_the_service_indexes_in_the_background_and_verifies_at_once(tmp_path: Path) -> None:
    store = _store(tmp_path / "night.db")
    path = _drop_sidecar(store)
    with voting_service(store, FixedClock(START)) as service:
        service.create_window("w1", COUPLES)
        service.open_window("w1")
        receipts = [
            service.cast_web_ballot("w1", f"v{n}", {"alix": 1}, idempotency_key=f"k{n}")
            for n in range(20)
        ]
        assert all(service.verify_receipt(r.hash).ok for r in receipts)  # no waiting
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (not path.exists() or _sidecar_rows(path) < 20):
            time.sleep(0.05)
        assert _sidecar_rows(path) == 20
    store.dispose()


def test_index_all_indexes_every_committed_row_in_one_pass(store: sa.Engine) -> None:
    receipts = _cast(store, range(7))
    path = _drop_sidecar(store)
    index = SidecarReceiptIndex(store, path, batch_rows=2)  # index_all ignores the batch size
    assert index.index_all() == 7
    assert _sidecar_rows(path) == 7
    later = _cast(store, range(7, 10))
    assert index.index_all() == 3  # above the mark only
    assert index.index_all() == 0
    assert index.locate(receipts[0].hash) == ("w1", 1)
    assert index.locate(later[2].hash) == ("w1", 10)
    index.stop()


def test_a_service_that_does_not_index_receipts_indexes_them_all_when_it_stops(
    tmp_path: Path,
) -> None:
    """A bulk import's service: no indexing thread beside the writer, everything at stop()."""
    store = _store(tmp_path / "night.db")
    path = _drop_sidecar(store)
    service = voting_service(store, FixedClock(START), group_commit_ms=0, index_receipts=False)
    with service:
        service.create_window("w1", COUPLES)
        service.open_window("w1")
        receipts = [
            service.cast_web_ballot("w1", f"v{n}", {"alix": 1}, idempotency_key=f"k{n}")
            for n in range(12)
        ]
        assert all(service.verify_receipt(r.hash).ok for r in receipts)  # the log answers
        time.sleep(0.6)  # two of the indexing thread's intervals: it is not running
        assert not path.exists() or _sidecar_rows(path) == 0
    assert _sidecar_rows(path) == 12
    store.dispose()


def test_a_receipt_whose_stored_hash_was_changed_is_not_found(database_url: str) -> None:
    engine = create_engine_for(database_url)
    try:
        upgrade(engine)
        receipts = _cast(engine, range(4))
        with voting_service(engine, FixedClock(START)) as service:
            service.receipts.catch_up()  # the sidecar, where there is one, knows the old hash
            forged = "f" * 64
            with engine.begin() as connection:
                connection.execute(vote_log.update().where(vote_log.c.seq == 2).values(hash=forged))
            with pytest.raises(NotFound):
                service.verify_receipt(receipts[1].hash)
            assert service.verify_log("w1") == 2  # and the chain check names the entry
            assert service.verify_receipt(receipts[0].hash).content_ok
    finally:
        engine.dispose()

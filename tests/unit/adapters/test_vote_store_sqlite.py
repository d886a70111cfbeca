"""The SQLite committer's multi-row inserts store exactly the rows given, in order, with few
statement texts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballroom.adapters.vote_store_sqlite import SQLITE_INSERT_CHUNK, sqlite_insert_rows
from ballroom.services.ports import LOG_ROW_FIELDS

SQLITE_DEFAULT_MAX_PARAMETERS = 32_766  # SQLITE_MAX_VARIABLE_NUMBER's default since 3.32
Row = tuple[str, str, int, int]


def _connection() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE TABLE sms_batches (idempotency_key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"
        " messages INTEGER NOT NULL, ts_us INTEGER NOT NULL)"
    )
    return connection


@pytest.fixture
def connection() -> Iterator[sqlite3.Connection]:
    connection = _connection()
    yield connection
    connection.close()


def _rows(start: int, stop: int) -> list[Row]:
    return [(f"key-{n}", f"fingerprint {n}", n % 7, n) for n in range(start, stop)]


def _stored(connection: sqlite3.Connection) -> list[Row]:
    return connection.execute("SELECT * FROM sms_batches ORDER BY rowid").fetchall()


def _inserts(texts: list[str]) -> list[str]:
    return [text for text in texts if text.startswith("INSERT")]


@settings(max_examples=40, deadline=None)
@given(count=st.integers(0, 3 * SQLITE_INSERT_CHUNK + 7))
def test_every_row_is_stored_once_in_order(count: int) -> None:
    connection = _connection()
    texts: list[str] = []
    connection.set_trace_callback(texts.append)
    sqlite_insert_rows(connection.cursor(), "sms_batches", _rows(0, count))
    connection.set_trace_callback(None)
    assert _stored(connection) == _rows(0, count)
    # Whole chunks, then one statement per set bit of what is left.
    whole, rest = divmod(count, SQLITE_INSERT_CHUNK)
    assert len(_inserts(texts)) == whole + rest.bit_count()
    connection.close()


def test_a_table_needs_few_texts_whatever_the_batch_sizes(connection: sqlite3.Connection) -> None:
    texts: list[str] = []
    connection.set_trace_callback(texts.append)
    start = 0
    for size in range(1, 300):
        sqlite_insert_rows(connection.cursor(), "sms_batches", _rows(start, start + size))
        start += size
    assert _stored(connection) == _rows(0, start)
    # Sizes 1 to 299 need statements of 1, 2, 4, ..., 256 rows only: the statement cache holds
    # them, so a connection prepares each once however batch sizes vary.
    row_counts = {text.split(" VALUES ")[1].count("(") for text in _inserts(texts)}
    assert row_counts == {1, 2, 4, 8, 16, 32, 64, 128, 256}


def test_a_duplicate_row_fails_the_insert_as_executemany_would(
    connection: sqlite3.Connection,
) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        sqlite_insert_rows(connection.cursor(), "sms_batches", [*_rows(0, 10), *_rows(3, 4)])


def test_only_the_committers_tables_can_be_named(connection: sqlite3.Connection) -> None:
    with pytest.raises(KeyError):
        sqlite_insert_rows(connection.cursor(), "sms_batches; DROP TABLE x", _rows(0, 1))


def test_a_full_vote_log_chunk_fits_the_default_parameter_limit() -> None:
    assert SQLITE_INSERT_CHUNK & (SQLITE_INSERT_CHUNK - 1) == 0  # a power of two
    assert SQLITE_INSERT_CHUNK * len(LOG_ROW_FIELDS) <= SQLITE_DEFAULT_MAX_PARAMETERS

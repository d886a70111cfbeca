"""The vote log in SQLite: each group commit's rows in multi-row ``INSERT``s, then one commit
(WAL, ``synchronous=FULL``: durable when it returns). Reads and lookups are the SQL stores'
(``vote_store_sql``)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import Any

import orjson

from ballroom.adapters.vote_store_sql import KEYS_SQL_SQLITE, SqlVoteLog
from ballroom.services.ports import (
    IMPORT_REFUSAL_ROW_FIELDS,
    LOG_ROW_FIELDS,
    REFUSAL_ROW_FIELDS,
    SMS_BATCH_ROW_FIELDS,
    LogBatch,
)


class SqliteVoteLog(SqlVoteLog):
    """A vote log in a SQLite file."""

    waits_for_inserts = True
    _keys_sql = KEYS_SQL_SQLITE

    def _key_list(self, keys: list[str]) -> Any:
        return orjson.dumps(keys).decode()  # a JSON array, read by json_each

    def append(self, batch: LogBatch) -> None:
        """Insert the batch's rows, say so (``batch.written``), commit."""
        raw = self._write_connection()
        cursor = raw.cursor()
        try:
            sqlite_insert_rows(cursor, "vote_log", batch.rows)
            sqlite_insert_rows(cursor, "sms_refusals", batch.refusals)
            sqlite_insert_rows(cursor, "sms_batches", batch.sms_batches)
            sqlite_insert_rows(cursor, "import_refusals", batch.import_refusals)
        finally:
            cursor.close()
        batch.written.set()
        raw.commit()


SQLITE_INSERT_CHUNK = 1024
"""Rows per multi-row SQLite ``INSERT`` (a power of two; 1024 x 14 columns stays under
SQLite's default limit of 32,766 parameters)."""


_SQLITE_INSERTED_TABLES = {
    "vote_log": LOG_ROW_FIELDS,
    "sms_refusals": REFUSAL_ROW_FIELDS,
    "sms_batches": SMS_BATCH_ROW_FIELDS,
    "import_refusals": IMPORT_REFUSAL_ROW_FIELDS,
}


@functools.lru_cache(maxsize=64)
def _sqlite_insert_sql(table: str, rows: int) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...), ...`` for ``rows`` rows, from the
    constant names above (an unknown table is a KeyError), never from input."""
    columns = _SQLITE_INSERTED_TABLES[table]
    one_row = f"({', '.join('?' * len(columns))})"
    values = ", ".join([one_row] * rows)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}"  # noqa: S608


def sqlite_insert_rows(cursor: Any, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into ``table`` (one of the committer's) with multi-row ``INSERT``s of
    ``SQLITE_INSERT_CHUNK`` rows, then one per set bit of the remainder's size (so a connection
    prepares at most 11 texts per table and its statement cache keeps them).

    Why not ``executemany``: it takes the GIL back after every row, and while the vote writer
    runs Python each take-back waits out the switch interval, which starves the insert. One
    multi-row statement is one ``sqlite3_step``
    with the GIL released throughout, and SQLite spends no more CPU per row on it
    (``benchmarks/sqlite_gil_convoy.py``)."""
    start = 0
    remaining = len(rows)
    size = SQLITE_INSERT_CHUNK
    while remaining:
        while size > remaining:
            size >>= 1
        cursor.execute(
            _sqlite_insert_sql(table, size),
            list(itertools.chain.from_iterable(rows[start : start + size])),
        )
        start += size
        remaining -= size

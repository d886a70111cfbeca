"""The ``StoredLog`` port over a SQL store: a window's ``vote_log`` read in Arrow batches.

A SQLite file is read through ADBC's SQLite driver: the rows are stepped and laid into Arrow
columns in C (no Python object per value), and the stepping runs without the GIL, so a
reader thread overlaps whatever the caller does with the previous batch. The driver infers
each column's type from the first batch; every column read here is ``NOT NULL`` (the
optional ones default to ``''``) with INTEGER or TEXT affinity, so the types cannot change
from one batch to the next, and each batch is cast to the types the port promises (an empty
result comes back typed int64). PostgreSQL (and an in-memory SQLite store, which ADBC cannot
open) is read through SQLAlchemy, a server-side cursor on PostgreSQL, each chunk's rows
turned into columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import adbc_driver_sqlite.dbapi as adbc_sqlite
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from ballroom.adapters.db import schema as db
from ballroom.adapters.db.schema_accounts import nights
from ballroom.errors import NotFound

_INTEGERS = frozenset({"seq", "ts_us"})
_BATCH_ROWS_OPTION = "adbc.sqlite.query.batch_rows"


class SqlStoredLog:
    """A store's vote log (SQLite or PostgreSQL) read back in columns; ``adbc=False`` reads a
    SQLite file through SQLAlchemy too (the tests compare the two readings)."""

    def __init__(self, engine: sa.Engine, *, adbc: bool = True) -> None:
        self._engine = engine
        self._adbc = adbc

    def couples(self, window: str) -> list[str]:
        """The window's couples, sorted; ``NotFound`` for a window the store does not hold."""
        with self._engine.connect() as connection:
            return window_couples(connection, window)

    def revealed_at(self, window: str) -> float | None:
        """When the window's night was revealed (epoch seconds), if it was."""
        with self._engine.connect() as connection:
            revealed = connection.execute(
                sa.select(nights.c.revealed_at).where(nights.c.window == window)
            ).scalar()
        return None if revealed is None else float(revealed)

    def batches(self, window: str, columns: Sequence[str], rows: int) -> Iterator[Any]:
        """The window's rows in seq order, ``rows`` at a time, as Arrow record batches."""
        schema = pa.schema(
            [(name, pa.int64() if name in _INTEGERS else pa.string()) for name in columns]
        )
        path = sqlite_file(self._engine) if self._adbc else None
        if path is not None:
            return _adbc_batches(path, window, schema, rows)
        return _sqlalchemy_batches(self._engine, window, schema, rows)


def window_couples(connection: sa.Connection, window: str) -> list[str]:
    """The couples of a stored window; ``NotFound`` for a window the store does not hold."""
    exists = connection.execute(sa.select(db.windows.c.id).where(db.windows.c.id == window)).first()
    if exists is None:
        raise NotFound(f"no voting window {window!r}", field="window")
    return [
        row.couple_id
        for row in connection.execute(
            sa.select(db.window_couples.c.couple_id)
            .where(db.window_couples.c.window_id == window)
            .order_by(db.window_couples.c.couple_id)
        )
    ]


def sqlite_file(engine: sa.Engine) -> str | None:
    """The file of a SQLite store given by a plain path, else None (PostgreSQL, in-memory,
    or a URL with options ADBC would not read the same way)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.query:
        return None
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


def _query(window: str, columns: Sequence[str]) -> sa.Select[Any]:
    return (
        sa.select(*(db.vote_log.c[name] for name in columns))
        .where(db.vote_log.c.window_id == window)
        .order_by(db.vote_log.c.seq)
    )


def _adbc_batches(path: str, window: str, schema: Any, rows: int) -> Iterator[Any]:
    connection = adbc_sqlite.connect(path)
    try:
        cursor = connection.cursor()
        try:
            cursor.adbc_statement.set_options(**{_BATCH_ROWS_OPTION: str(rows)})
            compiled = _query(window, schema.names).compile(dialect=sqlite.dialect())
            parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
            cursor.execute(str(compiled), parameters)
            for batch in cursor.fetch_record_batch():
                if batch.num_rows:
                    yield _typed(batch, schema)
        finally:
            cursor.close()
    finally:
        connection.close()


def _sqlalchemy_batches(engine: sa.Engine, window: str, schema: Any, rows: int) -> Iterator[Any]:
    with engine.connect() as connection:
        streamed = connection.execution_options(stream_results=True, yield_per=rows)
        for chunk in streamed.execute(_query(window, schema.names)).partitions(rows):
            if chunk:
                yield pa.RecordBatch.from_arrays(
                    [
                        pa.array(values, type=field.type)
                        for values, field in zip(zip(*chunk, strict=True), schema, strict=True)
                    ],
                    schema=schema,
                )


def _typed(batch: Any, schema: Any) -> Any:
    if batch.schema.equals(schema):
        return batch
    return pa.RecordBatch.from_arrays(
        [column.cast(field.type) for column, field in zip(batch.columns, schema, strict=True)],
        schema=schema,
    )

"""The ``StoredLog`` port over a SQL store: a window's ``vote_log`` read in Arrow batches.

By default the rows come through SQLAlchemy (a server-side cursor on PostgreSQL, the driver's
own cursor on SQLite), each chunk's rows turned into columns.

``SqlStoredLog(engine, alone=True)`` reads a SQLite file through ADBC's SQLite driver instead:
the rows are stepped and laid into Arrow columns in C (no Python object per value), without
the GIL, so a reader thread overlaps whatever the caller does with the previous batch. Only
for a process that holds no other connection to the file while it reads (``ballroom
export``): the driver carries its own copy of SQLite, and two copies of SQLite in one process
drop each other's POSIX locks when either closes the file (sqlite.org, "How To Corrupt An
SQLite Database File", 2.2.1). So the engine's idle connections are closed first, and with
one in use the reading falls back to SQLAlchemy. Other processes (a live writer) are safe.

The driver infers each column's type from the first batch; every column read here is ``NOT
NULL`` (the optional ones default to ``''``) with INTEGER or TEXT affinity, so the types
cannot change from one batch to the next, and each batch is cast to the types the port
promises (an empty result comes back typed int64).
"""

from __future__ import annotations

from collections.abc import Collection, Generator, Sequence
from typing import Any

import adbc_driver_sqlite.dbapi as adbc_sqlite
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from ballroom.adapters.db import schema as db
from ballroom.adapters.db.schema_accounts import nights
from ballroom.adapters.vote_codec import allocation_from_json, log_entry_from_row
from ballroom.domain.voting import Allocation, LogEntry, VoteMeta
from ballroom.errors import NotFound

_INTEGERS = frozenset({"seq", "ts_us"})
_IN_CHUNK = 500  # voters (or seqs) per IN (...) list: well under every driver's parameter limit
_BATCH_ROWS_OPTION = "adbc.sqlite.query.batch_rows"


class SqlStoredLog:
    """A store's vote log (SQLite or PostgreSQL) read back in columns; ``alone=True`` when
    nothing else in this process has the SQLite file open while it reads (see above)."""

    def __init__(self, engine: sa.Engine, *, alone: bool = False) -> None:
        self._engine = engine
        self._alone = alone

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

    def batches(self, window: str, columns: Sequence[str], rows: int) -> Generator[Any, None, None]:
        """The window's rows in seq order, ``rows`` at a time, as Arrow record batches."""
        schema = pa.schema(
            [(name, pa.int64() if name in _INTEGERS else pa.string()) for name in columns]
        )
        path = sqlite_file(self._engine) if self._alone else None
        if path is not None:
            return _adbc_batches(self._engine, path, window, schema, rows)
        return _sqlalchemy_batches(self._engine, window, schema, rows)

    def entries(
        self,
        window: str,
        *,
        voters: Collection[str] | None = None,
        seqs: Collection[int] | None = None,
    ) -> list[tuple[LogEntry, VoteMeta]]:
        """The window's ballots in log order with their metadata (only ``voters``' or those
        at ``seqs`` when given)."""
        with self._engine.connect() as connection:
            if voters is not None:
                rows = _rows_in(connection, window, db.vote_log.c.voter, sorted(set(voters)))
            elif seqs is not None:
                wanted = sorted({int(seq) for seq in seqs})
                rows = _rows_in(connection, window, db.vote_log.c.seq, wanted)
            else:
                query = sa.select(db.vote_log).where(db.vote_log.c.window_id == window)
                rows = list(connection.execute(query.order_by(db.vote_log.c.seq)).all())
        parsed: dict[str, Allocation] = {}  # ballots repeat shapes (10 to one couple...)

        def allocation(text: str) -> Allocation:
            found = parsed.get(text)
            if found is None:
                found = parsed[text] = allocation_from_json(text)
            return found

        return [
            (
                log_entry_from_row(row, window, allocation(row.allocation)),
                VoteMeta(email=row.email, phone=row.phone, ip=row.ip, device=row.device),
            )
            for row in rows
        ]


def _rows_in(
    connection: sa.Connection, window: str, column: Any, wanted: Sequence[object]
) -> list[Any]:
    """The window's rows whose ``column`` is one of ``wanted``, in log order."""
    rows: list[Any] = []
    for start in range(0, len(wanted), _IN_CHUNK):
        query = sa.select(db.vote_log).where(
            db.vote_log.c.window_id == window, column.in_(wanted[start : start + _IN_CHUNK])
        )
        rows.extend(connection.execute(query).all())
    rows.sort(key=lambda row: row.seq)
    return rows


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


def _adbc_batches(
    engine: sa.Engine, path: str, window: str, schema: Any, rows: int
) -> Generator[Any, None, None]:
    if not _closed_idle_connections(engine):
        yield from _sqlalchemy_batches(engine, window, schema, rows)
        return
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


def _closed_idle_connections(engine: sa.Engine) -> bool:
    """Close the engine's pooled connections; False when one is in use (or the pool cannot
    say), and then this process must not open the file through a second SQLite."""
    checked_out = getattr(engine.pool, "checkedout", None)
    if checked_out is None or checked_out() > 0:
        return False
    engine.dispose()
    return True


def _sqlalchemy_batches(
    engine: sa.Engine, window: str, schema: Any, rows: int
) -> Generator[Any, None, None]:
    with engine.connect() as connection:
        for chunk in _row_chunks(connection, _query(window, schema.names), rows):
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(values, type=field.type)
                    for values, field in zip(zip(*chunk, strict=True), schema, strict=True)
                ],
                schema=schema,
            )


def _row_chunks(
    connection: sa.Connection, query: sa.Select[Any], size: int
) -> Generator[Sequence[Sequence[Any]], None, None]:
    """The query's rows, ``size`` at a time: on SQLite straight from the driver's cursor
    (SQLAlchemy's rows cost as much as the fetch itself), elsewhere through a server-side
    cursor."""
    if connection.dialect.name != "sqlite":
        streamed = connection.execution_options(stream_results=True, yield_per=size)
        yield from streamed.execute(query).partitions(size)
        return
    compiled = query.compile(dialect=connection.dialect)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            str(compiled), tuple(compiled.params[name] for name in compiled.positiontup or ())
        )
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()


def _typed(batch: Any, schema: Any) -> Any:
    if batch.schema.equals(schema):
        return batch
    return pa.RecordBatch.from_arrays(
        [column.cast(field.type) for column, field in zip(batch.columns, schema, strict=True)],
        schema=schema,
    )

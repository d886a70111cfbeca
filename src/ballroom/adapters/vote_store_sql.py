"""What the SQLite and PostgreSQL vote-log stores share: every read, the windows, and the
idempotency-key lookups, through SQLAlchemy and the driver (the :class:`VoteLog` port of
``ballroom.services.ports``). Each store adds how it appends a batch
(``vote_store_sqlite``, ``vote_store_postgres``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from ballroom.adapters.db import schema
from ballroom.adapters.receipt_index import receipt_index_for
from ballroom.adapters.vote_codec import (
    allocation_from_json,
    log_entry_from_row,
    receipt_from_tuple,
)
from ballroom.domain.admission import WindowState
from ballroom.domain.voting import LogEntry
from ballroom.services.ports import (
    ImportRefusal,
    KnownKeys,
    LogBatch,
    ReceiptLookup,
    StoredEntry,
)

KEY_CHUNK = 500  # keys per lookup: well under every driver's parameter limit

KEYS_COLUMNS = "idempotency_key, ballot_id, seq, window_id, voter, channel, allocation, ts_us, hash"
IMPORT_REFUSALS_COLUMNS = "window_id, ballot_id, fingerprint, code, message"
# Fixed texts (no input is formatted into them): (vote_log keys, sms_batches keys,
# sms_refusals keys, import_refusals ballot ids).
KEYS_SQL_SQLITE = (
    f"SELECT {KEYS_COLUMNS} FROM vote_log "  # noqa: S608
    "WHERE idempotency_key IN (SELECT value FROM json_each(?))",
    "SELECT idempotency_key, fingerprint, messages FROM sms_batches "
    "WHERE idempotency_key IN (SELECT value FROM json_each(?))",
    "SELECT idempotency_key, reason, couple FROM sms_refusals "
    "WHERE idempotency_key IN (SELECT value FROM json_each(?))",
    # A join, not ``IN (SELECT ...)``: the list of a whole chunk's ids is not built into a
    # temporary index first (8 times cheaper at 5,000 ids; the ids of a chunk are distinct).
    f"SELECT {IMPORT_REFUSALS_COLUMNS} FROM json_each(?) AS asked "  # noqa: S608
    "JOIN import_refusals ON ballot_id = asked.value",
)
KEYS_SQL_PG = (
    f"SELECT {KEYS_COLUMNS} FROM vote_log WHERE idempotency_key = ANY(%s)",  # noqa: S608
    "SELECT idempotency_key, fingerprint, messages FROM sms_batches "
    "WHERE idempotency_key = ANY(%s)",
    "SELECT idempotency_key, reason, couple FROM sms_refusals WHERE idempotency_key = ANY(%s)",
    # The ids as one JSON text, as on SQLite: psycopg adapts a list of 5,000 ids to an
    # array in 2.4 ms, orjson writes the text in a fraction of that.
    f"SELECT {IMPORT_REFUSALS_COLUMNS} FROM jsonb_array_elements_text(%s::jsonb) "  # noqa: S608
    "AS asked(id) JOIN import_refusals ON ballot_id = asked.id",
)


class SqlVoteLog:
    """A vote log in a SQL store (see the module docstring); ``append`` is the dialect's."""

    waits_for_inserts = False
    _keys_sql = KEYS_SQL_SQLITE

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._reader: Any = None  # the pipeline's connection for key lookups (one thread)
        self._appender: Any = None  # the committer's write connection (one thread)
        self._receipts: ReceiptLookup | None = None

    # ----------------------------------------------------------------- rebuild

    def load_windows(self) -> dict[str, WindowState]:
        """Every window with its active couples."""
        windows: dict[str, WindowState] = {}
        with self.engine.connect() as connection:
            for row in connection.execute(sa.select(schema.windows)):
                windows[row.id] = WindowState(
                    row.id,
                    row.season,
                    row.label,
                    row.status,
                    row.opens_at_us,
                    row.closes_at_us,
                    row.scheduled_open_us,
                    row.scheduled_close_us,
                    {},
                )
            for wc in connection.execute(
                sa.select(schema.window_couples).order_by(schema.window_couples.c.couple_id)
            ):
                window = windows.get(wc.window_id)
                if window is not None and wc.active:
                    window.couples[wc.couple_id] = wc.keyword
                    window.tally.web.setdefault(wc.couple_id, 0)
                    window.tally.sms.setdefault(wc.couple_id, 0)
        for window in windows.values():
            window.reindex()
        return windows

    def load_entries(self) -> Iterator[StoredEntry]:
        """Every logged ballot, by window then seq, a few thousand rows at a time."""
        vote_log = schema.vote_log
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=20_000).execute(
                sa.select(
                    vote_log.c.window_id,
                    vote_log.c.seq,
                    vote_log.c.voter,
                    vote_log.c.channel,
                    vote_log.c.allocation,
                    vote_log.c.ts_us,
                    vote_log.c.hash,
                ).order_by(vote_log.c.window_id, vote_log.c.seq)
            )
            for window_id, seq, voter, channel, allocation, ts_us, hash_ in result:
                yield window_id, seq, voter, channel, allocation_from_json(allocation), ts_us, hash_

    def last_seq(self, window_id: str) -> int:
        """The highest seq stored for a window (0 for none)."""
        vote_log = schema.vote_log
        with self.engine.connect() as connection:
            last = connection.execute(
                sa.select(sa.func.max(vote_log.c.seq)).where(vote_log.c.window_id == window_id)
            ).scalar()
        return int(last or 0)

    # ----------------------------------------------------------------- idempotency keys

    def known(
        self,
        log_keys: Sequence[str],
        sms_keys: Sequence[str],
        refusal_keys: Sequence[str],
        imported: Sequence[str] = (),
    ) -> KnownKeys:
        """What is stored under these keys. The driver's own connection and one fixed SQL text
        per kind: this runs once per group commit, and building and compiling a SQLAlchemy
        ``in_()`` each time was a visible share of the writer's time. The refusals of the
        ``imported`` ballot ids take one query whatever their number (they are rare: the
        lookup is an index probe per id, not worth a statement per ``KEY_CHUNK``)."""
        found = KnownKeys()
        if not log_keys and not sms_keys and not refusal_keys and not imported:
            return found
        reader = self._read_connection()
        try:
            cursor = reader.cursor()
            try:
                log_sql, sms_sql, refused_sql, imported_sql = self._keys_sql
                for chunk in _chunks(log_keys):
                    cursor.execute(log_sql, (self._key_list(chunk),))
                    for row in cursor.fetchall():
                        found.receipts[row[0]] = receipt_from_tuple(row)
                for chunk in _chunks(sms_keys):
                    cursor.execute(sms_sql, (self._key_list(chunk),))
                    for key, fingerprint, messages in cursor.fetchall():
                        found.batches[key] = (fingerprint, int(messages))
                for chunk in _chunks(refusal_keys):
                    cursor.execute(refused_sql, (self._key_list(chunk),))
                    for key, reason, couple in cursor.fetchall():
                        found.refusals[key] = (reason, couple)
                if imported:
                    cursor.execute(imported_sql, (orjson.dumps(imported).decode(),))
                    for row in cursor.fetchall():
                        found.import_refusals[row[1]] = ImportRefusal(*row)
            finally:
                cursor.close()
        except Exception:
            self.close_reader()  # a broken connection is replaced on the next group
            raise
        return found

    def _key_list(self, keys: list[str]) -> Any:
        raise NotImplementedError

    def _read_connection(self) -> Any:
        """The lookups' own DBAPI connection (autocommit on PostgreSQL: every read sees the
        latest commit and no snapshot is held between groups)."""
        if self._reader is None:
            self._reader = self._open_reader()
        return self._reader

    def _open_reader(self) -> Any:
        return self.engine.raw_connection()

    def close_reader(self) -> None:
        """Throw the lookups' connection away (not back to the pool: its mode is its own)."""
        reader, self._reader = self._reader, None
        if reader is not None:
            with contextlib.suppress(Exception):
                reader.invalidate()

    # ----------------------------------------------------------------- appending

    def append(self, batch: LogBatch) -> None:
        """Write and commit ``batch`` (the dialect's)."""
        raise NotImplementedError

    def _write_connection(self) -> Any:
        if self._appender is None:
            self._appender = self.engine.raw_connection()
        return self._appender

    def close_appender(self) -> None:
        """Throw the write connection away (after a failure, or when the committer ends)."""
        raw, self._appender = self._appender, None
        if raw is not None:
            # The connection is being thrown away: a failure to tidy it changes nothing.
            with contextlib.suppress(Exception):
                raw.rollback()
            with contextlib.suppress(Exception):
                raw.invalidate()

    # ----------------------------------------------------------------- windows

    def save_window(self, window: WindowState, *, created_at_us: int) -> None:
        """Store a new window and its couples in one transaction."""
        with self.engine.begin() as connection:
            connection.execute(
                schema.windows.insert().values(
                    id=window.id,
                    season=window.season,
                    label=window.label,
                    status=window.status,
                    opens_at_us=window.opens_at_us,
                    closes_at_us=window.closes_at_us,
                    scheduled_open_us=window.scheduled_open_us,
                    scheduled_close_us=window.scheduled_close_us,
                    created_at_us=created_at_us,
                )
            )
            if window.couples:
                connection.execute(
                    schema.window_couples.insert(),
                    [
                        {"window_id": window.id, "couple_id": c, "keyword": k, "active": True}
                        for c, k in window.couples.items()
                    ],
                )

    def update_window(
        self,
        window_id: str,
        values: Mapping[str, object],
        also: Callable[[sa.Connection], None] | None = None,
    ) -> None:
        """Change a window's stored fields, and make ``also``'s writes, in one transaction."""
        windows = schema.windows
        with self.engine.begin() as connection:
            connection.execute(windows.update().where(windows.c.id == window_id).values(**values))
            if also is not None:
                also(connection)

    def add_couples(self, window_id: str, couples: Mapping[str, str]) -> None:
        """Add active couples to a stored window."""
        if not couples:
            return
        with self.engine.begin() as connection:
            connection.execute(
                schema.window_couples.insert(),
                [
                    {"window_id": window_id, "couple_id": c, "keyword": k, "active": True}
                    for c, k in couples.items()
                ],
            )

    # ----------------------------------------------------------------- reading

    def read_log(self, window_id: str) -> Iterator[LogEntry]:
        """A window's entries in order, as stored."""
        with self.engine.connect() as connection:
            yield from read_log(connection, window_id)

    def read_log_slice(self, window_id: str, first: int, last: int) -> list[LogEntry]:
        """Entries ``first..last`` of a window, read with one query."""
        vote_log = schema.vote_log
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(vote_log)
                .where(vote_log.c.window_id == window_id, vote_log.c.seq.between(first, last))
                .order_by(vote_log.c.seq)
            )
            return [log_entry_from_row(row, window_id) for row in rows]

    def receipt_lookup(self) -> ReceiptLookup:
        """The store's receipt index (a sidecar file on SQLite, the hash index on PostgreSQL)."""
        if self._receipts is None:
            self._receipts = receipt_index_for(self.engine)
        return self._receipts


def _chunks(keys: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(keys), KEY_CHUNK):
        yield list(keys[start : start + KEY_CHUNK])


def read_log(connection: sa.Connection, window: str) -> Iterable[LogEntry]:
    """A window's log entries in order, as stored."""
    vote_log = schema.vote_log
    rows = connection.execution_options(yield_per=20_000).execute(
        sa.select(
            vote_log.c.seq,
            vote_log.c.ballot_id,
            vote_log.c.voter,
            vote_log.c.channel,
            vote_log.c.ts_us,
            vote_log.c.allocation,
            vote_log.c.prev_hash,
            vote_log.c.hash,
        )
        .where(vote_log.c.window_id == window)
        .order_by(vote_log.c.seq)
    )
    for row in rows:
        yield log_entry_from_row(row, window)

"""Where a receipt hash is in the vote log: the lookup behind ``GET /receipts/{hash}``.

PostgreSQL keeps an index on ``vote_log.hash`` (:class:`LogHashIndex`): the server process
maintains it. On SQLite that random B-tree was a large share of every group commit's insert
(benchmarks/README.md, round 4), on the thread that acknowledges ballots, for a lookup
journalists make now and then; migration 0006 drops it there and :class:`SidecarReceiptIndex`
keeps the same lookup behind the log:

- its own SQLite file next to the store (``<store>-receipts``): hash -> (window, seq), plus a
  *mark* per window, the highest seq indexed (and that row's hash, to notice a store that was
  replaced under it);
- filled by a background thread in large batches copied from the log inside SQLite (the store
  ATTACHed and only read: no row passes through Python, the GIL stays free), in WAL
  mode with ``synchronous=NORMAL``: no fsync per batch. The file is a cache of the log: when it is
  missing, unreadable or disagrees with the log it is emptied and rebuilt from the log;
- a lookup that the file does not answer scans only the rows above each window's mark, read in
  the same snapshot of the file as the miss, so a ballot is found the moment it is committed.

A lookup only says where to look; the caller reads that log entry and checks its hash.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from ballroom.adapters.db import schema

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = "-receipts"
SIDECAR_FORMAT = 2  # PRAGMA user_version of the sidecar; another value is rebuilt
SIDECAR_BUSY_TIMEOUT_S = 30.0
INDEX_INTERVAL_S = 0.25
INDEX_BATCH_ROWS = 50_000
INDEXER_CACHE_KIB = -65536  # 64 MB of page cache per attached file (negative: KiB)

_SIDECAR_TABLES = (
    "CREATE TABLE IF NOT EXISTS receipts ("
    " hash TEXT PRIMARY KEY, window_id TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS marks ("
    " window_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL) WITHOUT ROWID",
)
# A mark only moves forward: two processes on one store may index the same rows.
_RAISE_MARK = (
    "INSERT INTO marks (window_id, seq, hash) VALUES (?, ?, ?) "
    "ON CONFLICT (window_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash "
    "WHERE excluded.seq > marks.seq"
)
# The indexing statements run inside SQLite, the store ATTACHed to the sidecar's connection:
# no row passes through Python, and the GIL is free while they run.
_BATCH_TOP = (
    "SELECT seq, hash FROM store.vote_log WHERE window_id = ? AND seq > ? "
    "ORDER BY seq LIMIT 1 OFFSET ?"
)
_LAST = (
    "SELECT seq, hash FROM store.vote_log WHERE window_id = ? AND seq > ? ORDER BY seq DESC LIMIT 1"
)
# Sorted by hash: neighbouring keys share B-tree pages within the batch.
_COPY_BATCH = (
    "INSERT OR REPLACE INTO receipts (hash, window_id, seq) "
    "SELECT hash, window_id, seq FROM store.vote_log "
    "WHERE window_id = ? AND seq > ? AND seq <= ? ORDER BY hash"
)

Location = tuple[str, int]  # (window id, seq)


class ReceiptIndex(Protocol):
    """Finds the log entry of a receipt hash; see the module docstring."""

    def start(self) -> None:
        """Begin keeping the index (a no-op where the store keeps it)."""

    def stop(self) -> None:
        """Stop keeping it; lookups still work."""

    def locate(self, receipt_hash: str) -> Location | None:
        """Where the entry with ``receipt_hash`` (64 lowercase hex digits) is, if anywhere."""

    def scan(self, receipt_hash: str) -> Location | None:
        """The same, read from the log alone, trusting no index."""

    def catch_up(self) -> int:
        """Index everything committed now; the number of rows added."""

    def index_all(self) -> int:
        """The same in one pass (after a bulk load)."""


def receipt_index_for(engine: sa.Engine) -> ReceiptIndex:
    """The sidecar for a SQLite file, the store's own index otherwise."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return SidecarReceiptIndex(engine, sidecar_path(Path(database)))
    return LogHashIndex(engine)


def sidecar_path(store: Path) -> Path:
    """The sidecar file of the SQLite store at ``store``."""
    return store.with_name(store.name + SIDECAR_SUFFIX)


def remove_sidecar(path: Path) -> None:
    """Delete a sidecar and its WAL files (it is rebuilt from the log)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _scan_log(
    engine: sa.Engine, receipt_hash: str, above: dict[str, int] | None = None
) -> Location | None:
    """Rows of each window with seq above ``above[window]`` (all rows without it)."""
    vote_log = schema.vote_log
    with engine.connect() as connection:
        if above is None:
            row = connection.execute(
                sa.select(vote_log.c.window_id, vote_log.c.seq)
                .where(vote_log.c.hash == receipt_hash)
                .limit(1)
            ).first()
            return None if row is None else (row[0], row[1])
        for window_id in _window_ids(connection):
            seq = connection.execute(
                sa.select(vote_log.c.seq)
                .where(
                    vote_log.c.window_id == window_id,
                    vote_log.c.seq > above.get(window_id, 0),
                    vote_log.c.hash == receipt_hash,
                )
                .limit(1)
            ).scalar()
            if seq is not None:
                return window_id, seq
    return None


class LogHashIndex:
    """The store indexes ``vote_log.hash`` itself (PostgreSQL)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def start(self) -> None:
        """Nothing to keep."""

    def stop(self) -> None:
        """Nothing to stop."""

    def locate(self, receipt_hash: str) -> Location | None:
        """One indexed query."""
        return _scan_log(self.engine, receipt_hash)

    def scan(self, receipt_hash: str) -> Location | None:
        """The same query: the store's index is part of the log."""
        return _scan_log(self.engine, receipt_hash)

    def catch_up(self) -> int:
        """The store's index is always current."""
        return 0

    def index_all(self) -> int:
        """The store's index is always current."""
        return 0


class SidecarReceiptIndex:
    """A receipt index in its own SQLite file, kept behind the log by a background thread."""

    def __init__(
        self,
        engine: sa.Engine,
        path: Path,
        *,
        interval_s: float = INDEX_INTERVAL_S,
        batch_rows: int = INDEX_BATCH_ROWS,
    ) -> None:
        self.engine = engine
        self.path = path
        self.interval_s = interval_s
        self.batch_rows = batch_rows
        self._lock = threading.Lock()  # one catch-up at a time in this process
        # Kept open between catch-ups (under the lock): a fresh connection every 0.25 s
        # started from a cold page cache and re-read the sidecar's B-tree each time.
        self._indexer: sqlite3.Connection | None = None
        self._indexer_file: tuple[int, int] | None = None  # (device, inode) it has open
        self._checked = False  # the marks were compared with the log since opening
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start the indexing thread (its first pass catches up with the whole log)."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name="ballroom-receipt-index", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after its current batch; the rest is indexed on the next start."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            thread.join()
        with self._lock:
            self._close_indexer()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.catch_up(interruptible=True)
            except (sa.exc.SQLAlchemyError, sqlite3.Error):
                # The log is still the truth and lookups fall back to it; try again later.
                log.exception("receipt index: catching up failed")
            self._stopping.wait(self.interval_s)

    # ----------------------------------------------------------------- lookups

    def locate(self, receipt_hash: str) -> Location | None:
        """The sidecar's answer, else a scan of the rows it has not indexed yet."""
        marks: dict[str, int] = {}
        # Trusted once this process has compared its marks with the log: a sidecar left by a
        # replaced store would otherwise hide the new store's rows below its stale marks.
        if self._checked and self.path.exists():
            try:
                with self._connection() as sidecar:
                    # One read transaction: the miss and the marks come from the same snapshot.
                    sidecar.execute("BEGIN")
                    row = sidecar.execute(
                        "SELECT window_id, seq FROM receipts WHERE hash = ?",
                        (receipt_hash,),
                    ).fetchone()
                    if row is not None:
                        return str(row[0]), int(row[1])
                    marks = {
                        str(w): int(s)
                        for w, s in sidecar.execute("SELECT window_id, seq FROM marks")
                    }
            except sqlite3.Error:
                marks = {}  # unreadable or not made yet: the log answers alone
        return _scan_log(self.engine, receipt_hash, marks)

    def scan(self, receipt_hash: str) -> Location | None:
        """The whole log, for when the sidecar pointed at an entry with another hash."""
        return _scan_log(self.engine, receipt_hash)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(
            self.path, timeout=SIDECAR_BUSY_TIMEOUT_S, isolation_level=None
        )
        try:
            yield connection
        finally:
            connection.close()

    # ----------------------------------------------------------------- indexing

    def catch_up(self, *, interruptible: bool = False) -> int:
        """Index every committed row above the marks, a large sorted batch per transaction.

        ``interruptible``: stop between batches once ``stop()`` is called (the thread's way).
        """
        return self._catch_up_locked(interruptible, self.batch_rows)

    def index_all(self) -> int:
        """Index every committed row above the marks in ONE sorted copy per window.

        After a bulk load (``ballroom import``, which keeps no indexing thread): one sort and
        one in-order pass over the sidecar's B-tree, where the thread's batches, each sorted
        on its own, would rewrite most of its pages again for every batch once the tree
        outgrows the page cache (and poll the log every quarter second meanwhile).
        """
        try:
            return self._catch_up_locked(False, None)
        except (sa.exc.SQLAlchemyError, sqlite3.Error):
            # The log is still the truth: lookups scan above the marks, the next indexer
            # catches up.
            log.exception("receipt index: indexing after the load failed")
            return 0

    def _catch_up_locked(self, interruptible: bool, batch_rows: int | None) -> int:
        with self._lock:
            try:
                return self._catch_up(interruptible, batch_rows)
            except sqlite3.DatabaseError as error:
                if isinstance(error, sqlite3.OperationalError):
                    raise  # locked, disk full, no such folder: not the file's fault
                # Not a database, or damaged: it only ever held what the log holds.
                log.warning("receipt index %s unreadable (%s): rebuilding it", self.path, error)
                self._remove_files()
                return self._catch_up(interruptible, batch_rows)

    def _catch_up(self, interruptible: bool, batch_rows: int | None) -> int:
        added = 0
        with self._writing() as sidecar:
            if not self._checked:
                self._check_marks(sidecar)
                self._checked = True
            marks = {str(w): int(s) for w, s in sidecar.execute("SELECT window_id, seq FROM marks")}
            windows = [str(w) for (w,) in sidecar.execute("SELECT id FROM store.windows")]
            for window_id in windows:
                mark = marks.get(window_id, 0)
                while not (interruptible and self._stopping.is_set()):
                    # The batch's last row, read first and outside the write: rows up to it are
                    # committed and never change, so the copy below takes exactly those.
                    top = (
                        None
                        if batch_rows is None
                        else sidecar.execute(_BATCH_TOP, (window_id, mark, batch_rows - 1))
                    )
                    last = (top and top.fetchone()) or sidecar.execute(
                        _LAST, (window_id, mark)
                    ).fetchone()
                    if last is None:
                        break
                    # Deferred BEGIN, a write first: locks the sidecar only, never the store.
                    sidecar.execute("BEGIN")
                    copied = sidecar.execute(_COPY_BATCH, (window_id, mark, last[0])).rowcount
                    sidecar.execute(_RAISE_MARK, (window_id, last[0], last[1]))
                    sidecar.execute("COMMIT")
                    added += copied
                    mark = int(last[0])
        return added

    def _store_file(self) -> Path:
        return Path(str(self.engine.url.database))

    def _check_marks(self, sidecar: sqlite3.Connection) -> None:
        """Empty the sidecar if any mark names a row the log does not have (a replaced store)."""
        for window_id, seq, hash_ in list(
            sidecar.execute("SELECT window_id, seq, hash FROM marks")
        ):
            stored = sidecar.execute(
                "SELECT hash FROM store.vote_log WHERE window_id = ? AND seq = ?", (window_id, seq)
            ).fetchone()
            if stored is None or stored[0] != hash_:
                log.warning("receipt index %s does not match the log: rebuilding it", self.path)
                sidecar.execute("BEGIN")
                sidecar.execute("DELETE FROM receipts")
                sidecar.execute("DELETE FROM marks")
                sidecar.execute("COMMIT")
                break

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The indexing connection (the caller holds the lock), the store attached to it; it
        is closed when anything goes wrong, so the next catch-up starts from a fresh one."""
        if self._indexer is not None and self._file_identity() != self._indexer_file:
            self._close_indexer()  # the file was deleted or replaced under us: start anew
        if self._indexer is None:
            self._indexer = self._open_indexer()
            self._indexer_file = self._file_identity()
        try:
            yield self._indexer
        except BaseException:
            self._close_indexer()
            raise

    def _open_indexer(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path,
            timeout=SIDECAR_BUSY_TIMEOUT_S,
            isolation_level=None,
            check_same_thread=False,  # used by one thread at a time, under the lock
        )
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            # No fsync per batch: after a power cut the file may miss its newest batches, which
            # the marks (written in the same transactions) say, so they are indexed again.
            connection.execute("PRAGMA synchronous=NORMAL")
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SIDECAR_FORMAT):
                connection.execute("DROP TABLE IF EXISTS receipts")
                connection.execute("DROP TABLE IF EXISTS marks")
            for statement in _SIDECAR_TABLES:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version={SIDECAR_FORMAT}")
            # Only read: the committer keeps the store's write lock to itself.
            connection.execute("ATTACH DATABASE ? AS store", (str(self._store_file()),))
            connection.execute(f"PRAGMA main.cache_size={INDEXER_CACHE_KIB}")
            connection.execute(f"PRAGMA store.cache_size={INDEXER_CACHE_KIB}")
        except BaseException:
            connection.close()
            raise
        return connection

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return None
        return status.st_dev, status.st_ino

    def _close_indexer(self) -> None:
        connection, self._indexer = self._indexer, None
        if connection is not None:
            connection.close()

    def _remove_files(self) -> None:
        self._close_indexer()
        self._checked = False
        remove_sidecar(self.path)


def _window_ids(connection: sa.Connection) -> list[str]:
    # The windows table, not DISTINCT over the log: that would read the whole primary key.
    return [str(w) for w in connection.execute(sa.select(schema.windows.c.id)).scalars()]

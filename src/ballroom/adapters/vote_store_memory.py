"""An in-memory vote log (the ``VoteLog`` port) for tests: no database, same behaviour.

It keeps what a SQL store keeps and refuses what its constraints refuse: a batch whose log
row repeats a ballot id, an idempotency key or a (window, seq), or whose refusal or SMS batch
repeats a key, or whose refused imported ballot repeats a ballot id, is refused whole and
nothing of it is kept, as a failed transaction. Tests can
make the next append fail (``fail_next``) to drive the pipeline's undo path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ballroom.adapters.vote_codec import allocation_from_json
from ballroom.domain.admission import WindowState
from ballroom.domain.voting import Channel, LogEntry, Receipt
from ballroom.services.ports import ImportRefusal, KnownKeys, LogBatch, StoredEntry


class StoreRefused(RuntimeError):
    """The fake's stand-in for a database's integrity error or lost connection."""


class MemoryVoteLog:
    """The vote log in memory; see the module docstring."""

    waits_for_inserts = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, WindowState] = {}  # stored fields and couples only
        self._log: dict[str, list[tuple[Any, ...]]] = {}  # window -> rows in seq order
        self._by_key: dict[str, tuple[Any, ...]] = {}
        self._ballot_ids: set[str] = set()
        self._batches: dict[str, tuple[str, int]] = {}
        self._refusals: dict[str, tuple[str, str | None]] = {}
        self._import_refusals: dict[str, ImportRefusal] = {}  # by ballot id
        self.fail_next: BaseException | None = None
        self.appends = 0

    # ----------------------------------------------------------------- rebuild

    def load_windows(self) -> dict[str, WindowState]:
        with self._lock:
            return {w.id: _copy(w) for w in self._windows.values()}

    def load_entries(self) -> Iterator[StoredEntry]:
        with self._lock:
            rows = [row for window in sorted(self._log) for row in self._log[window]]
        for row in rows:
            window, seq, _, voter, channel, allocation, ts_us, digest = row[:8]
            yield window, seq, voter, channel, allocation_from_json(allocation), ts_us, digest

    def last_seq(self, window_id: str) -> int:
        with self._lock:
            rows = self._log.get(window_id)
            return int(rows[-1][1]) if rows else 0

    # ----------------------------------------------------------------- keys and appends

    def known(
        self,
        log_keys: Sequence[str],
        sms_keys: Sequence[str],
        refusal_keys: Sequence[str],
        imported: Sequence[str] = (),
    ) -> KnownKeys:
        found = KnownKeys()
        with self._lock:
            for key in log_keys:
                row = self._by_key.get(key)
                if row is not None:
                    found.receipts[key] = _receipt(row)
            for key in sms_keys:
                if key in self._batches:
                    found.batches[key] = self._batches[key]
            for key in refusal_keys:
                if key in self._refusals:
                    found.refusals[key] = self._refusals[key]
            for ballot_id in imported:
                if ballot_id in self._import_refusals:
                    found.import_refusals[ballot_id] = self._import_refusals[ballot_id]
        return found

    def append(self, batch: LogBatch) -> None:
        with self._lock:
            if self.fail_next is not None:
                error, self.fail_next = self.fail_next, None
                raise error
            self._check(batch)
            batch.written.set()
            for row in batch.rows:
                self._log.setdefault(row[0], []).append(row)
                self._by_key[row[9]] = row
                self._ballot_ids.add(row[2])
            for key, _, _, _, reason, _, couple in batch.refusals:
                self._refusals[key] = (reason, couple)
            for key, fingerprint, messages, _ in batch.sms_batches:
                self._batches[key] = (fingerprint, messages)
            for refused in batch.import_refusals:
                self._import_refusals[refused.ballot_id] = ImportRefusal(*refused)
            self.appends += 1

    def _check(self, batch: LogBatch) -> None:
        """Refuse the whole batch on what a SQL store's keys would refuse."""
        keys: set[str] = set()
        ballots: set[str] = set()
        seqs: set[tuple[str, int]] = set()
        for row in batch.rows:
            window, seq, ballot_id, key = row[0], row[1], row[2], row[9]
            rows = self._log.get(window, [])
            expected = (rows[-1][1] if rows else 0) + 1 + sum(1 for w, _ in seqs if w == window)
            if (
                key in self._by_key
                or key in keys
                or ballot_id in self._ballot_ids
                or ballot_id in ballots
                or seq != expected
            ):
                raise StoreRefused(f"duplicate or out-of-order log row {ballot_id!r} ({key!r})")
            keys.add(key)
            ballots.add(ballot_id)
            seqs.add((window, seq))
        refused = [r[0] for r in batch.refusals]
        if len(set(refused)) != len(refused) or any(k in self._refusals for k in refused):
            raise StoreRefused("duplicate refused-text key")
        batch_keys = [b[0] for b in batch.sms_batches]
        if len(set(batch_keys)) != len(batch_keys) or any(k in self._batches for k in batch_keys):
            raise StoreRefused("duplicate SMS batch key")
        refused_ids = [r[1] for r in batch.import_refusals]
        if len(set(refused_ids)) != len(refused_ids) or any(
            i in self._import_refusals for i in refused_ids
        ):
            raise StoreRefused("duplicate refused imported ballot")

    def close_reader(self) -> None:
        """Nothing to release."""

    def close_appender(self) -> None:
        """Nothing to release."""

    # ----------------------------------------------------------------- windows

    def save_window(self, window: WindowState, *, created_at_us: int) -> None:
        with self._lock:
            if window.id in self._windows:
                raise StoreRefused(f"window {window.id!r} exists")
            self._windows[window.id] = _copy(window)

    def update_window(
        self,
        window_id: str,
        values: Mapping[str, object],
        also: Callable[[Any], None] | None = None,
    ) -> None:
        if also is not None:  # SQL writes in the same transaction: a SQL store's job
            raise TypeError("the in-memory vote log takes no SQL writes")
        with self._lock:
            stored = self._windows[window_id]
            self._windows[window_id] = replace(stored, **values)  # type: ignore[arg-type]

    def add_couples(self, window_id: str, couples: Mapping[str, str]) -> None:
        with self._lock:
            stored = self._windows[window_id]
            self._windows[window_id] = replace(stored, couples={**stored.couples, **couples})

    # ----------------------------------------------------------------- reading

    def read_log(self, window_id: str) -> Iterator[LogEntry]:
        with self._lock:
            rows = list(self._log.get(window_id, ()))
        return iter([_entry(row) for row in rows])

    def read_log_slice(self, window_id: str, first: int, last: int) -> list[LogEntry]:
        with self._lock:
            rows = self._log.get(window_id, [])
            return [_entry(row) for row in rows[max(first, 1) - 1 : max(last, 0)]]

    def receipt_lookup(self) -> MemoryReceipts:
        return MemoryReceipts(self)

    def locate(self, receipt_hash: str) -> tuple[str, int] | None:
        """(window, seq) of the entry with that hash."""
        with self._lock:
            for window, rows in self._log.items():
                for row in rows:
                    if row[7] == receipt_hash:
                        return window, int(row[1])
        return None


class MemoryReceipts:
    """Receipt lookups straight from the in-memory log."""

    def __init__(self, log: MemoryVoteLog) -> None:
        self._log = log

    def start(self) -> None:
        """Nothing to keep up with: the log is searched directly."""

    def stop(self) -> None:
        """Nothing to stop."""

    def locate(self, receipt_hash: str) -> tuple[str, int] | None:
        return self._log.locate(receipt_hash)

    def scan(self, receipt_hash: str) -> tuple[str, int] | None:
        return self._log.locate(receipt_hash)

    def index_all(self) -> int:
        """Nothing to index."""
        return 0


def _copy(window: WindowState) -> WindowState:
    return WindowState(
        window.id,
        window.season,
        window.label,
        window.status,
        window.opens_at_us,
        window.closes_at_us,
        window.scheduled_open_us,
        window.scheduled_close_us,
        dict(window.couples),
    )


def _entry(row: tuple[Any, ...]) -> LogEntry:
    window, seq, ballot_id, voter, channel, allocation, ts_us, digest, prev = row[:9]
    return LogEntry(
        seq,
        window,
        ballot_id,
        voter,
        Channel(channel),
        ts_us,
        allocation_from_json(allocation),
        prev,
        digest,
    )


def _receipt(row: tuple[Any, ...]) -> Receipt:
    window, seq, ballot_id, voter, channel, allocation, ts_us, digest = row[:8]
    return Receipt(
        ballot_id,
        seq,
        window,
        voter,
        Channel(channel),
        allocation_from_json(allocation),
        ts_us,
        digest,
    )

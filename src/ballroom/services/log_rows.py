"""A window's stored vote log with what an integrity analysis sees, and its interchange rows.

Two readings of ``vote_log``, held equal by tests (tests/unit/services/test_log_columns.py,
tests/integration/test_log_columns_store.py):

- ``read_window_log``: one ``LogEntry`` and ``VoteMeta`` per ballot, for the export (``ballroom
  export``: docs/interfaces.md §2 rows, receipts, chain), recounts, and a few voters' ballots;
- ``read_window_columns``: the control room's integrity review of a whole window, millions of
  ballots, straight into the ``VoteTable`` that ``WindowLog.vote_table`` would build. The log
  comes from the store (the ``StoredLog`` port) in Arrow batches, an allocation's JSON text is
  parsed once per distinct text (ballots repeat a few shapes), and the per-couple rows are
  numpy ``repeat``/``take`` over the shapes' table; strings are coded per ballot and never
  repeated per row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ballroom.adapters.interchange import COLUMNS, VoteRow, VoteTable, vote_table_from_arrow
from ballroom.adapters.vote_codec import allocation_from_json
from ballroom.domain.voting import (
    Allocation,
    Channel,
    LogEntry,
    VoteMeta,
    datetime_from_us,
    interchange_pairs,
)
from ballroom.services.ports import StoredLog

_FETCH_ROWS = 100_000  # ballots per batch of the columnar read


@dataclass(frozen=True)
class WindowLog:
    """A window's log entries in order, each with its origin metadata, and the window's couples."""

    window: str
    couples: list[str]
    entries: list[LogEntry]
    meta: list[VoteMeta]

    def vote_rows(self) -> Iterator[VoteRow]:
        """The interchange rows: one per couple of each ballot, in the order of the log."""
        for entry, meta in zip(self.entries, self.meta, strict=True):
            ts = datetime_from_us(entry.ts_us)
            for couple, votes in interchange_pairs(entry.allocation, self.couples):
                yield VoteRow(
                    ballot_id=entry.ballot_id,
                    ts=ts,
                    window=self.window,
                    voter=entry.voter,
                    channel=entry.channel.value,
                    couple=couple,
                    votes=votes,
                    email=meta.email,
                    phone=meta.phone,
                    ip=meta.ip,
                    device=meta.device,
                )

    def vote_table(self) -> VoteTable:
        """The same rows in columns, as ``ballroom.integrity`` analyses them."""
        columns: dict[str, list[object]] = {name: [] for name in COLUMNS}
        for entry, meta in zip(self.entries, self.meta, strict=True):
            head = (entry.ballot_id, entry.ts_us, self.window, entry.voter, entry.channel.value)
            tail = (meta.email, meta.phone, meta.ip, meta.device)
            for couple, votes in interchange_pairs(entry.allocation, self.couples):
                for name, value in zip(COLUMNS, (*head, couple, votes, *tail), strict=True):
                    columns[name].append(value)
        arrays = {
            name: pa.array(
                values,
                type=pa.timestamp("us", tz="UTC")
                if name == "ts"
                else pa.int8()
                if name == "votes"
                else pa.string(),
            )
            for name, values in columns.items()
        }
        return vote_table_from_arrow(pa.table(arrays), f"window {self.window}")

    def voters(self) -> set[str]:
        """Every voter with at least one ballot in the window."""
        return {entry.voter for entry in self.entries}


def read_window_log(
    log: StoredLog, window: str, *, voters: Collection[str] | None = None
) -> WindowLog:
    """A window's stored log in order (only ``voters``' ballots when given)."""
    return _window_log(window, log.couples(window), log.entries(window, voters=voters))


def read_window_ballots(log: StoredLog, window: str, seqs: Collection[int]) -> WindowLog:
    """The ballots at ``seqs`` of a window's log, in order (by primary key: no scan of the log).

    With ``WindowColumns.seqs_of`` this reads a few voters' ballots of a big window: the log
    has no index on the voter, so ``read_window_log(voters=...)`` scans it once per 500 voters.
    """
    return _window_log(window, log.couples(window), log.entries(window, seqs=seqs))


def _window_log(
    window: str, couples: list[str], stored: Sequence[tuple[LogEntry, VoteMeta]]
) -> WindowLog:
    return WindowLog(
        window=window,
        couples=couples,
        entries=[entry for entry, _ in stored],
        meta=[meta for _, meta in stored],
    )


# --------------------------------------------------------------------------- columnar reading

_STRINGS = ("ballot_id", "voter", "channel", "email", "phone", "ip", "device")
STORED_COLUMNS = ("seq", "ts_us", "allocation", *_STRINGS)
"""The ``vote_log`` columns the columnar reading takes, in the order it takes them."""
_TS = pa.timestamp("us", tz="UTC")
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class VoterSet:
    """The distinct voters of a window as one Arrow string array.

    A Python ``set`` of millions of voter ids is large and slow to build; the
    review only asks it whether one voter is there, when a producer decides.
    """

    values: Any  # pyarrow.StringArray

    def __contains__(self, voter: object) -> bool:
        if not isinstance(voter, str) or not len(self.values):
            return False
        return bool(pc.index(self.values, voter).as_py() >= 0)

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class WindowColumns:
    """A window's stored log in columns: the ``VoteTable`` that ``WindowLog.vote_table`` would
    build, and where each ballot lies in the log (to read a few back as entries)."""

    window: str
    couples: list[str]
    table: VoteTable
    ballot_seq: IntArray  # per ballot, in log order
    ballot_voter: npt.NDArray[np.int32]  # per ballot: its voter's code (``table.voter``'s too)
    voters: VoterSet  # indexed by voter code

    def seqs_of(self, voters: Collection[str]) -> list[int]:
        """The log positions (``seq``) of ``voters``' ballots, ascending."""
        if not voters or not len(self.ballot_seq):
            return []
        wanted = pa.array(sorted(set(voters)), type=pa.string())
        codes = pc.index_in(wanted, value_set=self.voters.values).drop_null()
        found = np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int32)
        return [int(seq) for seq in self.ballot_seq[np.isin(self.ballot_voter, found)]]


def read_window_columns(
    log: StoredLog, window: str, *, fetch_rows: int = _FETCH_ROWS
) -> WindowColumns:
    """A window's whole stored log in columns, equal to ``read_window_log(...).vote_table()``.

    One statement read ``fetch_rows`` ballots at a time, so the reading is one snapshot of
    the log.
    """
    couples = log.couples(window)
    with closing(log.batches(window, STORED_COLUMNS, fetch_rows)) as batches:
        return window_columns(window, couples, batches)


def window_columns(window: str, couples: list[str], batches: Iterable[Any]) -> WindowColumns:
    """The columns of a window's stored rows, given in log order as Arrow record batches of
    the ``vote_log`` columns named by ``STORED_COLUMNS`` (``StoredLog.batches``)."""
    builder = _ColumnBuilder()
    for batch in batches:
        builder.add(batch)
    return builder.finish(window, couples)


class _ColumnBuilder:
    """Chunks of stored rows in, the window's columns out (see the module docstring).

    Nothing of a chunk stays as Python objects: a few long-lived strings per chunk (a dict
    of the allocation texts, say) would pin the chunk's memory pages and the process would
    keep most of what it fetched.
    """

    def __init__(self) -> None:
        self._seq: list[IntArray] = []
        self._ts_us: list[IntArray] = []
        self._allocation: list[Any] = []  # per chunk: dictionary-encoded allocation texts
        self._strings: dict[str, list[Any]] = {name: [] for name in _STRINGS}

    def add(self, batch: Any) -> None:
        if not batch.num_rows:
            return
        for name in STORED_COLUMNS:
            values = batch.column(name)
            if name in ("seq", "ts_us"):
                (self._seq if name == "seq" else self._ts_us).append(_int64(values).copy())
            elif name == "allocation":
                self._allocation.append(pc.dictionary_encode(values))
            else:
                # A copy: a slice of the driver's batch would keep all of it (an imported
                # batch is freed only when the last of its buffers is).
                self._strings[name].append(pa.concat_arrays([values]))

    def finish(self, window: str, couples: list[str]) -> WindowColumns:
        seq, ts_us = _joined(self._seq), _joined(self._ts_us)
        shape, pairs_of_shape = _shapes(self._allocation, couples)
        self._allocation = []
        # Couples are coded in the order of their first row, as dictionary encoding the rows
        # does: shapes come in the order of their first ballot, pairs in a shape in row order.
        couple_of: dict[str, int] = {}
        for pairs in pairs_of_shape:
            for couple, _ in pairs:
                couple_of.setdefault(couple, len(couple_of))
        lengths = np.array([len(pairs) for pairs in pairs_of_shape], dtype=np.int64)
        counts = lengths[shape]
        kept = counts > 0  # a withdrawal has a row of 0 votes: only a window without couples
        if not kept.all():
            seq, ts_us, shape, counts = seq[kept], ts_us[kept], shape[kept], counts[kept]
            mask = pa.array(kept)
            self._strings = {
                name: [pa.chunked_array(chunks, pa.string()).filter(mask).combine_chunks()]
                for name, chunks in self._strings.items()
            }
        # Row r of ballot b is pair (r - first row of b) of b's shape: one index into the
        # shapes' pairs laid end to end, then a take per column.
        row_ballot = np.repeat(np.arange(len(seq), dtype=np.int32), counts)
        rows = len(row_ballot)
        starts = np.cumsum(lengths) - lengths
        first_row = np.cumsum(counts) - counts
        pair = np.repeat(starts[shape] - first_row, counts) + np.arange(rows, dtype=np.int64)
        del first_row
        flat_couple = np.array(
            [couple_of[c] for pairs in pairs_of_shape for c, _ in pairs], dtype=np.int32
        )
        flat_votes = pa.array([v for pairs in pairs_of_shape for _, v in pairs], type=pa.int8())
        columns: dict[str, Any] = {
            "ts": pa.array(ts_us[row_ballot]).cast(_TS),
            "window": _coded(np.zeros(rows, np.int32), pa.array([window] if rows else [])),
            "couple": _coded(flat_couple[pair], pa.array(list(couple_of), pa.string())),
            "votes": pa.array(flat_votes.to_numpy(zero_copy_only=False)[pair]),
        }
        del pair
        # Ballot ids are unique in the store: ballot b is code b, no hashing of the ids.
        ballot_ids = _strings(self._strings.pop("ballot_id"))
        columns["ballot_id"] = _coded(row_ballot, ballot_ids)
        voter_codes = np.zeros(0, np.int32)
        voter_values = pa.array([], pa.string())
        for name in _STRINGS[1:]:
            codes, values = _encoded(self._strings.pop(name))
            if name == "channel":
                for value in values.to_pylist():
                    Channel(value)  # as ``log_entry_from_row``: ValueError for anything else
            if name == "voter":
                voter_codes, voter_values = codes, values
            columns[name] = _coded(codes[row_ballot], values)
        table = vote_table_from_arrow(
            pa.table({name: columns[name] for name in COLUMNS}), f"window {window}"
        )
        return WindowColumns(
            window=window,
            couples=couples,
            table=table,
            ballot_seq=seq,
            ballot_voter=voter_codes,
            voters=VoterSet(voter_values),
        )


def _shapes(
    chunks: list[Any], couples: Sequence[str]
) -> tuple[npt.NDArray[np.int32], list[Allocation]]:
    """Each ballot's shape number and each shape's pairs, from the chunks' encoded texts.

    Shapes are numbered in the order of their first ballot (unifying the chunks' dictionaries
    keeps the first chunk's order and appends each later chunk's new texts in its order), and
    each distinct text is parsed once, by the row reading's own parser.
    """
    if not chunks:
        return np.zeros(0, np.int32), []
    unified = pa.table({"allocation": pa.chunked_array(chunks)}).unify_dictionaries()
    column = unified.column(0)
    texts = column.chunk(0).dictionary
    shape = np.concatenate([_int32(chunk.indices) for chunk in column.chunks])
    return shape, [
        interchange_pairs(allocation_from_json(text), couples) for text in texts.to_pylist()
    ]


def _int32(numbers: Any) -> npt.NDArray[np.int32]:
    return np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.int32)


def _int64(numbers: Any) -> IntArray:
    return np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.int64)


def _joined(parts: Sequence[npt.NDArray[Any]]) -> Any:
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _strings(chunks: list[Any]) -> Any:
    return pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())


def _encoded(chunks: list[Any]) -> tuple[npt.NDArray[np.int32], Any]:
    """Codes per ballot into the distinct values, in order of first appearance."""
    if not chunks:
        return np.zeros(0, np.int32), pa.array([], pa.string())
    encoded = pc.dictionary_encode(pa.chunked_array(chunks, pa.string()))
    # One memo over all chunks: every chunk's dictionary is the whole (final) one. Should an
    # Arrow version give each chunk its own, unify them (first chunk's order kept).
    values = encoded.chunk(encoded.num_chunks - 1).dictionary
    if not all(chunk.dictionary.equals(values) for chunk in encoded.chunks):
        encoded = pa.table({"values": encoded}).unify_dictionaries().column(0)
        values = encoded.chunk(0).dictionary
    codes = np.concatenate([_int32(chunk.indices) for chunk in encoded.chunks])
    return codes, values


def _coded(codes: npt.NDArray[Any], values: Any) -> Any:
    return pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()), values)

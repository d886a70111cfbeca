"""A window's stored vote log with what an integrity analysis sees, and its interchange rows.

Two readings of ``vote_log``, held equal by tests (tests/unit/services/test_log_columns.py,
tests/integration/test_log_columns_store.py):

- ``read_window_log``: one ``LogEntry`` and ``VoteMeta`` per ballot, for the export (``ballroom
  export``: docs/interfaces.md §2 rows, receipts, chain), recounts, and a few voters' ballots;
- ``read_window_columns``: the control room's integrity review of a whole window, millions of
  ballots, straight into the ``VoteTable`` that ``WindowLog.vote_table`` would build. The log is
  fetched a chunk at a time (a server-side cursor on PostgreSQL, SQLite's own stepping), each
  chunk becomes Arrow arrays at once, an allocation's JSON text is parsed once per distinct
  text (ballots repeat a few shapes), and the per-couple rows are numpy ``repeat``/``take`` over
  the shapes' table; strings are coded per ballot and never repeated per row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from ballroom.adapters.db import schema as db
from ballroom.adapters.interchange import COLUMNS, VoteRow, VoteTable, vote_table_from_arrow
from ballroom.adapters.vote_codec import allocation_from_json, log_entry_from_row
from ballroom.domain.voting import (
    Allocation,
    Channel,
    LogEntry,
    VoteMeta,
    datetime_from_us,
    interchange_pairs,
)
from ballroom.errors import NotFound

_IN_CHUNK = 500  # voters (or seqs) per IN (...) list: well under every driver's parameter limit
_FETCH_ROWS = 50_000  # ballots per fetch of the columnar read: bounds the Python rows held


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


def read_window_log(
    engine: sa.Engine, window: str, *, voters: Collection[str] | None = None
) -> WindowLog:
    """A window's stored log in order (only ``voters``' ballots when given)."""
    with engine.connect() as connection:
        couples = window_couples(connection, window)
        if voters is None:
            rows = _rows(connection, window)
        else:
            rows = _rows_in(connection, window, db.vote_log.c.voter, sorted(set(voters)))
    return _window_log(window, couples, rows)


def read_window_ballots(engine: sa.Engine, window: str, seqs: Collection[int]) -> WindowLog:
    """The ballots at ``seqs`` of a window's log, in order (by primary key: no scan of the log).

    With ``WindowColumns.seqs_of`` this reads a few voters' ballots of a big window: the log
    has no index on the voter, so ``read_window_log(voters=...)`` scans it once per 500 voters.
    """
    with engine.connect() as connection:
        couples = window_couples(connection, window)
        rows = _rows_in(connection, window, db.vote_log.c.seq, sorted({int(s) for s in seqs}))
    return _window_log(window, couples, rows)


def _window_log(window: str, couples: list[str], rows: Sequence[Any]) -> WindowLog:
    parsed: dict[str, Allocation] = {}  # ballots repeat shapes (10 to one couple...): parse once

    def allocation(text: str) -> Allocation:
        found = parsed.get(text)
        if found is None:
            found = parsed[text] = allocation_from_json(text)
        return found

    entries = [log_entry_from_row(row, window, allocation(row.allocation)) for row in rows]
    meta = [VoteMeta(email=r.email, phone=r.phone, ip=r.ip, device=r.device) for r in rows]
    return WindowLog(window=window, couples=couples, entries=entries, meta=meta)


def _rows(connection: sa.Connection, window: str) -> list[Any]:
    query = sa.select(db.vote_log).where(db.vote_log.c.window_id == window)
    return list(connection.execute(query.order_by(db.vote_log.c.seq)).all())


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
    engine: sa.Engine, window: str, *, fetch_rows: int = _FETCH_ROWS
) -> WindowColumns:
    """A window's whole stored log in columns, equal to ``read_window_log(...).vote_table()``.

    One statement streamed ``fetch_rows`` ballots at a time (a server-side cursor on
    PostgreSQL), so the reading is one snapshot of the log and only the chunk in hand is ever
    held as Python objects.
    """
    query = (
        sa.select(*(db.vote_log.c[name] for name in STORED_COLUMNS))
        .where(db.vote_log.c.window_id == window)
        .order_by(db.vote_log.c.seq)
    )
    with engine.connect() as connection:
        couples = window_couples(connection, window)
        streamed = connection.execution_options(stream_results=True, yield_per=fetch_rows)
        chunks = streamed.execute(query).partitions(fetch_rows)
        return window_columns(window, couples, chunks)


def window_columns(
    window: str, couples: list[str], chunks: Iterable[Sequence[Sequence[Any]]]
) -> WindowColumns:
    """The columns of a window's stored rows, given in log order a chunk at a time, each row
    holding the ``vote_log`` columns named by ``STORED_COLUMNS`` in that order."""
    builder = _ColumnBuilder()
    for rows in chunks:
        builder.add(rows)
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

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        for index, name in enumerate(STORED_COLUMNS):
            values = [row[index] for row in rows]
            if name in ("seq", "ts_us"):
                numbers = _int64(pa.array(values, type=pa.int64()))
                (self._seq if name == "seq" else self._ts_us).append(numbers)
            elif name == "allocation":
                self._allocation.append(pc.dictionary_encode(pa.array(values, type=pa.string())))
            else:
                self._strings[name].append(pa.array(values, type=pa.string()))

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

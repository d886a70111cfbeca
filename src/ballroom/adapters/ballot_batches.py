"""A vote log (docs/interfaces.md §2) read as whole ballots, a batch of columns at a time.

``ballroom import`` and ``ballroom verify`` read nights of tens of millions of rows: the file
is streamed through pyarrow (CSV or Parquet) a batch of about a million rows at a time, so
memory stays the same whatever the night's size, and every check the row reader makes
(``read_vote_rows`` and ``services.importing.ballots_from_rows``) is made on whole columns:

- required text present, channel web or sms, votes a whole number from 1 to 10, a timestamp
  with a zone;
- a ballot's rows are consecutive and agree on its time, window, voter and channel, and name a
  couple once;
- a ballot id does not come back after other ballots (checked once the file has been read:
  :class:`BallotIds`).

A batch ends on a ballot's last row: the rows of a ballot still running at the end of what
pyarrow gave are carried into the next batch. Where pyarrow refuses a value outright (a
malformed timestamp, a ragged row) the row reader runs over the file to name the first bad row
and column, as ``interchange.read_vote_table`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ballroom.adapters.interchange import (
    CHANNELS,
    MAX_VOTES,
    MIN_VOTES,
    OPTIONAL,
    WITHDRAWN_VOTES,
    check_columns,
    check_csv_header,
    read_vote_rows,
)
from ballroom.errors import MalformedDocument

BALLOT_COLUMNS = ("ballot_id", "ts", "window", "voter", "channel", "couple", "votes")
"""What a ballot is made of (the hash chain covers exactly these)."""
_PER_BALLOT = ("ts", "window", "voter", "channel")  # one value for all rows of a ballot
_TEXT = ("ballot_id", "window", "voter", "channel", "couple")
_TS = pa.timestamp("us", tz="UTC")
_TS_NS = pa.timestamp("ns", tz="UTC")
BATCH_ROWS = 1 << 20
_CSV_BLOCK = 32 << 20  # bytes per CSV block at most: ~200k rows of a typical log
_CSV_BLOCK_MIN = 16 << 20
_CSV_ROW_BYTES = 64  # block bytes per batch row: blocks are read ahead, so their size is memory


@dataclass
class BallotBatch:
    """Consecutive whole ballots of a log: ballot ``i`` is rows ``starts[i]:starts[i + 1]``.

    ``first_entry`` ballots and ``first_row`` rows come before the batch in the file (both
    counted from 0). Columns: ``BALLOT_COLUMNS`` (ts as UTC microseconds, votes as int8,
    text as strings), plus the optional ones asked for. Columns are worked out once and kept.
    """

    first_entry: int
    first_row: int
    table: Any  # pyarrow.Table
    starts: npt.NDArray[np.int64]
    _kept: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def entries(self) -> int:
        return len(self.starts) - 1

    def column(self, name: str) -> Any:
        """A column per row (a pyarrow array)."""
        key = "row:" + name
        if key not in self._kept:
            self._kept[key] = self.table.column(name).combine_chunks()
        return self._kept[key]

    def per_ballot(self, name: str) -> Any:
        """A column on each ballot's first row (a pyarrow array, one value per ballot)."""
        key = "ballot:" + name
        if key not in self._kept:
            self._kept[key] = self.column(name).take(pa.array(self.starts[:-1]))
        return self._kept[key]

    def ts_us(self) -> npt.NDArray[np.int64]:
        """Each ballot's time in microseconds since 1970 (UTC)."""
        if "ts_us" not in self._kept:
            ts = self.per_ballot("ts").cast(pa.int64())
            self._kept["ts_us"] = np.asarray(ts.to_numpy(zero_copy_only=False), dtype=np.int64)
        ts_us: npt.NDArray[np.int64] = self._kept["ts_us"]
        return ts_us

    def row_ballot(self) -> npt.NDArray[np.int64]:
        """The ballot (index in the batch) of every row."""
        if "row_ballot" not in self._kept:
            lengths = np.diff(self.starts)
            self._kept["row_ballot"] = np.repeat(np.arange(self.entries, dtype=np.int64), lengths)
        row_ballot: npt.NDArray[np.int64] = self._kept["row_ballot"]
        return row_ballot

    def sorted_by_couple(self) -> BallotBatch:
        """The same ballots with each one's rows in couple order (the order the log hashes)."""
        if "sorted" not in self._kept:
            ordered = self._sorted()
            if ordered is self:
                # Not kept in itself: a batch that refers to itself is a reference cycle,
                # freed only by the cyclic collector, which runs too seldom for a stream: its
                # columns would pile up over a night.
                return self
            self._kept["sorted"] = ordered
        kept: BallotBatch = self._kept["sorted"]
        return kept

    def _sorted(self) -> BallotBatch:
        couple = self.column("couple")
        if len(couple) < 2:
            return self
        same = np.diff(self.row_ballot()) == 0
        ascending = pc.less(couple.slice(0, len(couple) - 1), couple.slice(1))
        if bool(np.all(ascending.to_numpy(zero_copy_only=False)[same])):
            return self
        order = pc.sort_indices(
            pa.table({"b": self.row_ballot(), "c": couple}),
            sort_keys=[("b", "ascending"), ("c", "ascending")],
        )
        return BallotBatch(self.first_entry, self.first_row, self.table.take(order), self.starts)


class BallotIds:
    """Every ballot id met, to check at the end that none came back after other ballots.

    Held as a 64-bit hash an id (8 bytes, whatever the id's length), sorted once at the end:
    a Python set of tens of millions of ids would cost gigabytes, and Arrow's own distinct
    count a hash table several times the ids' size. Two ids are only ever called the same
    after a second, exact look at the ids whose hashes are equal (read again from ``path``).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._hashes: list[npt.NDArray[np.uint64]] = []
        self._count = 0

    def add(self, batch: BallotBatch) -> None:
        self._hashes.append(id_hashes(batch.per_ballot("ballot_id")))
        self._count += batch.entries

    def all_distinct(self) -> bool:
        if self._count < 2:
            return True
        hashes = np.concatenate(self._hashes)
        self._hashes = []
        hashes.sort()
        equal = hashes[1:] == hashes[:-1]
        if not equal.any():
            return True
        return self._exactly_distinct(np.unique(hashes[1:][equal]))

    def _exactly_distinct(self, shared: npt.NDArray[np.uint64]) -> bool:
        """The ids whose hash is one of ``shared``, compared as text."""
        seen: set[str] = set()
        for batch in read_ballot_batches(self.path, checked=True):
            ids = batch.per_ballot("ballot_id")
            suspects = np.isin(id_hashes(ids), shared)
            for ballot_id in ids.filter(pa.array(suspects)).to_pylist():
                if ballot_id in seen:
                    return False
                seen.add(ballot_id)
        return True


_HASH_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd: every power is distinct modulo 2**64


def id_hashes(ids: Any) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each string of ``ids`` (pyarrow strings), on whole columns: a
    polynomial over the bytes (wrapping modulo 2**64), mixed with the length, then
    ``splitmix64``'s finaliser."""
    ids = ids.cast(pa.large_string())
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int64)[
        ids.offset : ids.offset + len(ids) + 1
    ]
    data = ids.buffers()[2]
    begin, end = int(offsets[0]), int(offsets[-1])
    raw = (
        np.frombuffer(data, dtype=np.uint8)[begin:end]
        if data is not None
        else np.empty(0, np.uint8)
    )
    starts = offsets[:-1] - begin
    lengths = np.diff(offsets)
    longest = int(lengths.max()) if len(lengths) else 0
    powers = np.cumprod(np.full(max(longest, 1), _HASH_BASE, dtype=np.uint64))
    position = np.arange(end - begin, dtype=np.int64) - np.repeat(starts, lengths)
    terms = np.append(raw.astype(np.uint64) * powers[position], np.uint64(0))
    sums = np.add.reduceat(terms, starts) if len(starts) else np.empty(0, np.uint64)
    sums[lengths == 0] = 0  # reduceat gives an empty string the next one's first term
    mixed: npt.NDArray[np.uint64] = sums ^ (
        lengths.astype(np.uint64) * np.uint64(0xD6E8FEB86659FD93)
    )
    mixed ^= mixed >> np.uint64(30)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    mixed ^= mixed >> np.uint64(27)
    mixed *= np.uint64(0x94D049BB133111EB)
    mixed ^= mixed >> np.uint64(31)
    return mixed


def read_ballot_batches(
    path: Path,
    *,
    optional: tuple[str, ...] = (),
    batch_rows: int = BATCH_ROWS,
    checked: bool = False,
) -> Iterator[BallotBatch]:
    """The ballots of ``path`` (CSV or Parquet), checked, a batch at a time (see the top).

    ``optional``: which of the optional columns to read too. Raises ``MalformedDocument``
    naming the first bad row; the caller checks ballot ids with :class:`BallotIds`.
    ``checked``: the file has just been read through once: its rows are not checked again
    (pyarrow's own conversions still are).
    """
    columns = [*BALLOT_COLUMNS, *(name for name in OPTIONAL if name in optional)]
    try:
        parts = _parquet_parts(path, columns, batch_rows) if _is_parquet(path) else None
        if parts is None:
            block = min(max(batch_rows * _CSV_ROW_BYTES, _CSV_BLOCK_MIN), _CSV_BLOCK)
            parts = _csv_parts(path, columns, block)
        yield from _ballots(path, parts, batch_rows, checked)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise first_bad_row(path, error) from error


def first_bad_row(path: Path, problem: object) -> MalformedDocument:
    """The row reader's error for ``path`` (the first bad row and column), else ``problem``."""
    try:
        for _ in read_vote_rows(path):
            pass
    except MalformedDocument as error:
        return error
    return MalformedDocument(f"{path}: {problem}")


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _csv_parts(path: Path, columns: list[str], block: int) -> Iterator[Any]:
    check_csv_header(path)
    # Nanoseconds: a timestamp written with more than six decimals is read, then truncated to
    # the microsecond, as Python's datetime.fromisoformat reads it.
    types = dict.fromkeys(columns, pa.string()) | {"ts": _TS_NS, "votes": pa.int8()}
    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(block_size=block),
        convert_options=pa_csv.ConvertOptions(
            column_types=types,
            include_columns=columns,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    for batch in reader:
        table = pa.Table.from_batches([batch])
        ts = table.schema.get_field_index("ts")
        yield table.set_column(ts, "ts", table.column(ts).cast(_TS, safe=False))


def _parquet_parts(path: Path, columns: list[str], batch_rows: int) -> Iterator[Any] | None:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise MalformedDocument(f"{path}: not a readable Parquet file ({error})") from error
    check_columns(path, list(parquet.schema_arrow.names))

    def parts() -> Iterator[Any]:
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
            table = pa.Table.from_batches([batch])
            yield pa.table({name: _as_type(table.column(name), name) for name in columns})

    return parts()


def _as_type(column: Any, name: str) -> Any:
    """A Parquet column as the CSV reader gives it (other tools store other types)."""
    if name == "ts":
        if pa.types.is_timestamp(column.type) and column.type.tz is None:
            raise pa.ArrowInvalid("column 'ts': timestamps without a time zone")
        return column.cast(_TS)
    if name == "votes":
        return column.cast(pa.int8())
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column.cast(pa.string()).fill_null("")


def _ballots(
    path: Path, parts: Iterator[Any], batch_rows: int, checked: bool
) -> Iterator[BallotBatch]:
    carry: Any = None
    first_entry = first_row = 0
    pending: list[Any] = []
    pending_rows = 0
    for part in parts:
        if not part.num_rows:
            continue
        pending.append(part)
        pending_rows += part.num_rows
        if pending_rows < batch_rows:
            continue
        table = pa.concat_tables(([carry] if carry is not None else []) + pending)
        pending, pending_rows = [], 0
        batch, carry = _split(path, table, first_entry, first_row, last=False, check=not checked)
        if batch is not None:
            first_entry += batch.entries
            first_row += batch.table.num_rows
            yield batch
    rest = ([carry] if carry is not None else []) + pending
    if rest:
        batch, _ = _split(
            path, pa.concat_tables(rest), first_entry, first_row, last=True, check=not checked
        )
        if batch is not None:
            yield batch


def _split(
    path: Path, table: Any, first_entry: int, first_row: int, *, last: bool, check: bool
) -> tuple[BallotBatch | None, Any]:
    """The whole ballots of ``table`` as a checked batch, and the rows of the ballot that may
    go on in the next part (none when ``last``)."""
    ids = table.column("ballot_id").combine_chunks()
    n = len(ids)
    change = np.empty(n, dtype=bool)
    change[0] = True
    if n > 1:
        change[1:] = pc.not_equal(ids.slice(0, n - 1), ids.slice(1)).to_numpy(False)
    starts = np.flatnonzero(change).astype(np.int64)
    if last:
        end = n
        carry = None
    else:
        end = int(starts[-1])
        starts = starts[:-1]
        carry = table.slice(end)
    if not len(starts):
        return None, carry
    batch = BallotBatch(first_entry, first_row, table.slice(0, end), np.append(starts, end))
    if check:
        _check(path, batch)
    return batch, carry


def _check(path: Path, batch: BallotBatch) -> None:
    """Every per-row and per-ballot rule of the interchange format (see the top)."""

    def bad(row: int, name: str, problem: str) -> MalformedDocument:
        return MalformedDocument(
            f"{path}: row {batch.first_row + row + 1}: column {name!r}: {problem}", field=name
        )

    def first(mask: Any) -> int | None:
        found = np.flatnonzero(np.asarray(mask, dtype=bool))
        return int(found[0]) if len(found) else None

    table = batch.table
    problems: list[tuple[int, str, str]] = []
    for name in BALLOT_COLUMNS:
        column = batch.column(name)
        if column.null_count:
            where = first(column.is_null().to_numpy(zero_copy_only=False))
            problems.append((where or 0, name, "is empty"))
        if name in _TEXT:
            blank = pc.equal(pc.utf8_trim_whitespace(column), "").to_numpy(zero_copy_only=False)
            where = first(blank)
            if where is not None:
                problems.append((where, name, "is empty"))
    if problems:
        raise bad(*min(problems))
    channel = batch.column("channel")
    where = first(pc.invert(pc.is_in(channel, pa.array(CHANNELS))).to_numpy(False))
    if where is not None:
        raise bad(where, "channel", f"{channel[where].as_py()!r} is not web or sms")
    votes = np.asarray(batch.column("votes").to_numpy(zero_copy_only=False))
    where = first((votes < WITHDRAWN_VOTES) | (votes > MAX_VOTES))
    if where is not None:
        raise bad(where, "votes", f"{int(votes[where])} is not a whole number from 0 to 10")
    # 0 votes is a web ballot's withdrawal: a text is always one vote or more.
    texts = pc.equal(channel, "sms").to_numpy(zero_copy_only=False)
    where = first((votes < MIN_VOTES) & texts)
    if where is not None:
        raise bad(where, "votes", "0 is not a whole number from 1 to 10 (a text is one vote)")
    row_first = pa.array(np.repeat(batch.starts[:-1], np.diff(batch.starts)))
    for name in _PER_BALLOT:
        column = table.column(name).combine_chunks()
        differs = pc.not_equal(column, column.take(row_first)).to_numpy(zero_copy_only=False)
        where = first(differs)
        if where is not None:
            ballot = batch.column("ballot_id")[where].as_py()
            raise MalformedDocument(
                f"{path}: row {batch.first_row + where + 1}: ballot {ballot!r} has two different"
                f" {name}s",
                field=name,
            )
    ordered = batch.sorted_by_couple()
    couple = ordered.column("couple")
    if len(couple) > 1:
        same_ballot = np.diff(ordered.row_ballot()) == 0
        twice = pc.equal(couple.slice(0, len(couple) - 1), couple.slice(1)).to_numpy(False)
        where = first(np.asarray(twice) & same_ballot)
        if where is not None:
            raise _named_twice(path, batch, int(ordered.row_ballot()[where]))


def _named_twice(path: Path, batch: BallotBatch, ballot: int) -> MalformedDocument:
    """The error for a ballot that names a couple twice, at its second row of that couple."""
    begin, end = int(batch.starts[ballot]), int(batch.starts[ballot + 1])
    rows = batch.table.slice(begin, end - begin)
    seen: set[str] = set()
    ballot_id = rows.column("ballot_id")[0].as_py()
    for offset, couple in enumerate(rows.column("couple").to_pylist()):
        if couple in seen:
            return MalformedDocument(
                f"{path}: row {batch.first_row + begin + offset + 1}: ballot {ballot_id!r}"
                f" names {couple!r} twice",
                field="couple",
            )
        seen.add(couple)
    return MalformedDocument(f"{path}: ballot {ballot_id!r} names a couple twice", field="couple")

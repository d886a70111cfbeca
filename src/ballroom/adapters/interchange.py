"""The vote-log interchange format of docs/interfaces.md §2: CSV or Parquet, one row per couple.

Two readers share one set of rules:

- ``read_vote_rows`` streams validated ``VoteRow`` objects (imports, small files, tests);
- ``read_vote_table`` reads the whole file column by column through pyarrow into compact numpy
  arrays with categorical codes (the integrity analysis, millions of rows). Its checks are
  vectorised; when pyarrow itself rejects a value (a bad timestamp, a ragged row) it re-reads
  the file with the row reader so that the error still names the first bad row and column.

Parquet written here (``write_vote_rows``, ``write_vote_arrow``, ``ballroom simulate``) keeps
every string column but the ballot ids dictionary-encoded in one row group, so the columnar
reader takes the codes from the file's dictionary pages a row group at a time (Arrow still
hashes each distinct value once), in two threads. Ballot ids are written plain; written as a
prefix and a counter (``b1``, ``b2``, ...) they are coded by their number and never hashed (see
``Categorical``). Other Parquet files and CSV are dictionary-encoded on reading (slower, same
result).

Rows are numbered from 1, not counting the header; CSV errors also give the line.
"""

from __future__ import annotations

import csv
import io
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ballroom.adapters.dictionary_unify import unify_dictionaries
from ballroom.errors import InvalidInput, MalformedDocument

COLUMNS = (
    "ballot_id", "ts", "window", "voter", "channel", "couple", "votes",
    "email", "phone", "ip", "device",
)  # fmt: skip
REQUIRED = ("ballot_id", "ts", "window", "voter", "channel", "couple", "votes")
OPTIONAL = ("email", "phone", "ip", "device")
CHANNELS = ("web", "sms")
MIN_VOTES = 1
MAX_VOTES = 10
WITHDRAWN_VOTES = 0
"""A web row of 0 votes: a ballot whose rows are all 0 withdraws the voter's web votes."""

_CATEGORICAL = (
    "ballot_id",
    "window",
    "voter",
    "channel",
    "couple",
    "email",
    "phone",
    "ip",
    "device",
)
IntArray = npt.NDArray[np.int64]
_IDENTITY = ("email", "phone", "ip", "device")  # kept per voter (see VoteTable)
_DICT = pa.dictionary(pa.int32(), pa.string())
_TS = pa.timestamp("us", tz="UTC")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DICT_PAGE_LIMIT = 1 << 30  # Parquet pages stop at 2 GiB; past this a column falls back to plain
# Written with dictionary pages: repeated strings. Ballot ids are nearly all distinct: plain, so
# that they stream batch by batch (a dictionary page of every id is decoded whole first).
_DICTIONARY_PAGES = tuple(name for name in _CATEGORICAL if name != "ballot_id")


@dataclass(frozen=True)
class VoteRow:
    """One couple's votes in one ballot, as the interchange file holds it."""

    ballot_id: str
    ts: datetime
    window: str
    voter: str
    channel: str
    couple: str
    votes: int
    email: str = ""
    phone: str = ""
    ip: str = ""
    device: str = ""


@dataclass(frozen=True)
class Categorical:
    """A string column as integer codes into its distinct values (a pyarrow string array).

    Ids written as one prefix and a number (``b1``, ``b2``, ...) are *numbered* instead: the
    code is the number minus ``first``, no string is kept or hashed, ``values`` is None and
    ``size`` is the range of codes (some may not occur).
    """

    codes: npt.NDArray[np.signedinteger[Any]]  # int8 for a handful of values, else int32
    values: Any  # pyarrow.StringArray: kept in Arrow so string work stays vectorised
    prefix: str | None = None  # numbered ids only
    first: int = 0
    size: int = 0

    def __len__(self) -> int:
        return self.size if self.values is None else len(self.values)

    def labels(self) -> list[str]:
        """The distinct values as Python strings, indexed by code."""
        if self.values is None:
            return self.labels_of(np.arange(self.size))
        return [str(value) for value in self.values.to_pylist()]

    def label(self, code: int) -> str:
        if self.values is None:
            return f"{self.prefix}{int(code) + self.first}"
        return str(self.values[int(code)].as_py())

    def labels_of(self, codes: Any) -> list[str]:
        """The values of ``codes`` as Python strings (for a few codes out of millions)."""
        if self.values is None:
            return [f"{self.prefix}{int(code) + self.first}" for code in np.asarray(codes)]
        picked = self.values.take(pa.array(np.asarray(codes, dtype=np.int64)))
        return [str(value) for value in picked.to_pylist()]


@dataclass(frozen=True)
class VoteTable:
    """A whole vote log in columns: codes for identities, numbers for the rest.

    The analysis reads a voter's e-mail, phone, address and device on their first row only,
    and a web ballot's address on its first row. A log of one window read from a file keeps
    just those (``per_voter``): ``email.codes`` etc. are indexed by voter code, with one more
    slot for the last row (where a voter without rows is looked up), and ``ballot_ip`` by
    ballot code (-1: no web row). Otherwise (several windows) the codes are per row.
    """

    ballot: Categorical
    ts_us: npt.NDArray[np.int64]  # microseconds since 1970-01-01 UTC
    window: Categorical
    voter: Categorical
    sms: npt.NDArray[np.bool_]  # True for sms rows, False for web rows
    couple: Categorical
    votes: npt.NDArray[np.int8]
    email: Categorical
    phone: Categorical | None  # None: not read (``read_vote_table(..., phones=False)``)
    ip: Categorical
    device: Categorical
    per_voter: bool = False
    ballot_ip: npt.NDArray[np.int32] | None = None
    voter_first_row: npt.NDArray[Any] | None = None  # per voter (len: none), when per_voter
    ballot_first_web: npt.NDArray[Any] | None = None  # per ballot (len: none), when per_voter

    def __len__(self) -> int:
        return len(self.ts_us)

    def voter_codes(
        self, column: Categorical, first_row: npt.NDArray[Any]
    ) -> npt.NDArray[np.signedinteger[Any]]:
        """``column``'s code on each voter's first row (``first_row``: len(self) if none),
        in the codes' own type (int32: 4 bytes a voter).

        A voter with no row gets the last row's code, as indexing the clamped row would.
        """
        if not self.per_voter:
            rows = np.minimum(first_row, max(len(self) - 1, 0))
            picked: npt.NDArray[np.signedinteger[Any]] = column.codes[rows]
            return picked
        slots = len(first_row) + 1
        index = np.int32 if slots < np.iinfo(np.int32).max else np.int64
        slot = np.arange(len(first_row), dtype=index)
        slot[first_row >= len(self)] = len(first_row)
        per_voter: npt.NDArray[np.signedinteger[Any]] = column.codes[slot]
        return per_voter

    def ip_of_ballots(self, first_web_rows: npt.NDArray[Any]) -> npt.NDArray[np.signedinteger[Any]]:
        """The address code of the ballots whose first web rows are ``first_web_rows`` (in the
        codes' own type)."""
        codes: npt.NDArray[np.signedinteger[Any]] = (
            self.ip.codes[first_web_rows]
            if self.ballot_ip is None
            else self.ballot_ip[self.ballot.codes[first_web_rows]]
        )
        return codes


# --------------------------------------------------------------------------- row reader


def read_vote_rows(path: str | Path) -> Iterator[VoteRow]:
    """Yield every row of a CSV or Parquet vote log, validated; raise ``MalformedDocument``."""
    path = Path(path)
    if _is_parquet(path):
        yield from _parquet_rows(path)
    else:
        yield from _csv_rows(path)


def _csv_rows(path: Path) -> Iterator[VoteRow]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise MalformedDocument(f"{path}: empty file, expected a header row")
            header = [name.strip() for name in header]
            check_columns(path, header)
            position = {name: header.index(name) for name in COLUMNS}
            number = 0
            for fields in reader:
                if not fields:
                    continue  # blank lines carry nothing (pyarrow skips them too)
                number += 1
                where = f"{path}: row {number} (line {reader.line_num})"
                if len(fields) != len(header):
                    raise MalformedDocument(
                        f"{where}: {len(fields)} fields, expected {len(header)}"
                    )
                yield _row({name: fields[index] for name, index in position.items()}, where)
        except UnicodeDecodeError as error:
            raise MalformedDocument(f"{path}: not UTF-8 text ({error.reason})") from error
        except csv.Error as error:
            raise MalformedDocument(f"{path}: line {reader.line_num}: {error}") from error


def _parquet_rows(path: Path) -> Iterator[VoteRow]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise MalformedDocument(f"{path}: not a readable Parquet file ({error})") from error
    check_columns(path, list(parquet.schema_arrow.names))
    number = 0
    for batch in parquet.iter_batches(columns=list(COLUMNS)):
        for record in batch.to_pylist():
            number += 1
            yield _row(record, f"{path}: row {number}")


def check_columns(path: Path, header: list[str]) -> None:
    """Raise ``MalformedDocument`` naming the interchange columns ``header`` lacks."""
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise MalformedDocument(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
            f" (expected {', '.join(COLUMNS)})",
            field=missing[0],
        )


def _row(raw: Mapping[str, Any], where: str) -> VoteRow:
    values: dict[str, str] = {}
    for name in COLUMNS:
        value = raw.get(name)
        if name in ("ts", "votes"):
            continue
        text = "" if value is None else str(value)
        if not text.strip() and name in REQUIRED:
            raise MalformedDocument(f"{where}: column {name!r} is empty", field=name)
        values[name] = text
    if values["channel"] not in CHANNELS:
        raise MalformedDocument(
            f"{where}: column 'channel': {values['channel']!r} is not web or sms", field="channel"
        )
    votes = _parse_votes(raw.get("votes"), where, web=values["channel"] == "web")
    return VoteRow(ts=_parse_ts(raw.get("ts"), where), votes=votes, **values)


def _parse_ts(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise MalformedDocument(f"{where}: column 'ts': timestamp has no time zone", field="ts")
        return value
    text = "" if value is None else str(value)
    if not text.strip():
        raise MalformedDocument(f"{where}: column 'ts' is empty", field="ts")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise MalformedDocument(
            f"{where}: column 'ts': {text!r} is not an ISO 8601 timestamp", field="ts"
        ) from error
    if parsed.tzinfo is None:
        raise MalformedDocument(
            f"{where}: column 'ts': {text!r} has no offset (write Z or +HH:MM)", field="ts"
        )
    return parsed


def _parse_votes(value: Any, where: str, *, web: bool) -> int:
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    else:
        text = "" if value is None else str(value).strip()
        if not text:
            raise MalformedDocument(f"{where}: column 'votes' is empty", field="votes")
        number = int(text) if text.isdigit() else None
    lowest = WITHDRAWN_VOTES if web else MIN_VOTES
    if number is None or not lowest <= number <= MAX_VOTES:
        raise MalformedDocument(
            f"{where}: column 'votes': {value!r} is not a whole number from {lowest} to 10",
            field="votes",
        )
    return number


# --------------------------------------------------------------------------- writers


def format_ts(ts: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as the export writes it."""
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def write_vote_rows(path: str | Path, rows: Iterable[VoteRow]) -> int:
    """Write rows as CSV, or Parquet when the name ends in ``.parquet``; return the count."""
    path = Path(path)
    if _is_parquet(path):
        columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        for row in rows:
            for name in COLUMNS:
                columns[name].append(getattr(row, name))
        table = pa.table(
            {name: pa.array(columns[name], type=_arrow_type(name)) for name in COLUMNS}
        )
        return _write_parquet(table, path)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([
                row.ballot_id, format_ts(row.ts), row.window, row.voter, row.channel, row.couple,
                row.votes, row.email, row.phone, row.ip, row.device,
            ])  # fmt: skip
            count += 1
    return count


def write_vote_arrow(path: str | Path, table: Any) -> int:
    """Write a pyarrow table with the interchange columns (ts as UTC timestamps) in one go.

    The fast path for generated logs of millions of rows; CSV gets ``...Z`` timestamps.
    """
    path = Path(path)
    table = table.select(list(COLUMNS))
    if _is_parquet(path):
        return _write_parquet(table, path)
    ts = table.column("ts")
    if pa.types.is_timestamp(ts.type):
        text = pc.strftime(ts.cast(_TS), format="%Y-%m-%dT%H:%M:%SZ")
        table = table.set_column(table.schema.get_field_index("ts"), "ts", text)
    pa_csv.write_csv(table, path, write_options=pa_csv.WriteOptions(quoting_style="needed"))
    return int(table.num_rows)


def _write_parquet(table: Any, path: Path, *, store_schema: bool = True) -> int:
    """One row group with unbounded dictionary pages: the reader's fast path (see top)."""
    pq.write_table(
        table,
        path,
        store_schema=store_schema,
        row_group_size=max(1, int(table.num_rows)),
        use_dictionary=list(_DICTIONARY_PAGES),
        dictionary_pagesize_limit=_DICT_PAGE_LIMIT,
    )
    return int(table.num_rows)


def write_vote_parts(path: str | Path, parts: Iterable[Any], *, one_row_group: bool = False) -> int:
    """Write pyarrow tables one after another to one Parquet file: nights too big for memory.

    By default each part is a row group and only one part is held at a time
    (``electorate.generate_shards`` makes them); the reader unifies the row groups'
    dictionaries. ``one_row_group`` writes the layout of ``write_vote_arrow`` instead (the
    reader's fast path): the parts are held dictionary-encoded (4 bytes a row and column, the
    distinct strings once) until the single row group is written.
    """
    path = Path(path)
    if not _is_parquet(path):
        raise InvalidInput(f"{path}: parts are written as Parquet only", field="path")
    schema = pa.schema([(name, _arrow_type(name)) for name in COLUMNS])
    if one_row_group:
        compact = [_compact(part.select(list(COLUMNS))) for part in parts]
        if not compact:
            return _write_parquet(schema.empty_table(), path)
        table = pa.concat_tables(compact).unify_dictionaries().combine_chunks()
        return _write_parquet(table, path, store_schema=False)  # strings, as write_vote_arrow
    rows = 0
    with pq.ParquetWriter(path, schema, use_dictionary=list(_DICTIONARY_PAGES),
                          dictionary_pagesize_limit=_DICT_PAGE_LIMIT) as writer:  # fmt: skip
        for part in parts:
            table = part.select(list(COLUMNS)).cast(schema)
            writer.write_table(table, row_group_size=max(1, int(table.num_rows)))
            rows += int(table.num_rows)
    return rows


def _compact(table: Any) -> Any:
    """Repeated strings as dictionaries (numbered ids stay strings: nearly all distinct)."""
    columns = {}
    for name in COLUMNS:
        column = table.column(name)
        if name in _CATEGORICAL and name not in _NUMBERED:
            column = column if column.type == _DICT else _cast_column(column, name)
        elif pa.types.is_dictionary(column.type) or name not in _CATEGORICAL:
            column = column.cast(_arrow_type(name))
        columns[name] = column
    return pa.table(columns)


def _arrow_type(name: str) -> Any:
    if name == "ts":
        return _TS
    if name == "votes":
        return pa.int8()
    return pa.string()


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


# --------------------------------------------------------------------------- columnar reader


def read_vote_table(path: str | Path, *, phones: bool = True) -> VoteTable:
    """Read a whole vote log into columns, validating every row; errors name the first bad row.

    ``phones=False``: the phone column is not read (``VoteTable.phone`` is None). The integrity
    analysis uses no phone number, and on a big night decoding its millions of distinct values
    costs seconds and memory; its values were never checked (the column is optional).
    """
    path = Path(path)
    skip = () if phones else ("phone",)
    try:
        if _is_parquet(path):
            return _read_parquet(path, skip)
        return _to_vote_table(_read_csv(path), path, skip=skip)
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as error:
        # pyarrow does not say which row it choked on: the row reader does.
        for _ in read_vote_rows(path):
            pass
        raise MalformedDocument(f"{path}: {error}") from error


def _read_parquet(path: Path, skip: tuple[str, ...] = ()) -> VoteTable:
    """Column by column, so that only a column or two is ever held in Arrow form."""
    try:
        parquet = pq.ParquetFile(path, read_dictionary=list(_CATEGORICAL))
    except (pa.ArrowInvalid, OSError) as error:
        raise MalformedDocument(f"{path}: not a readable Parquet file ({error})") from error
    check_columns(path, list(parquet.schema_arrow.names))

    def column(name: str) -> Any:
        if name in _NUMBERED:
            numbered = _numbered_batches(path, name)
            if numbered is not None:
                return numbered
            # As plain strings: decoding a dictionary of millions of ids into Arrow hashes
            # every one of them (slow, and a memory peak); numbered ids need no dictionary.
            plain = pq.ParquetFile(path).read(columns=[name], use_threads=False).column(0)
            return plain if plain.type == pa.string() else _cast_column(plain, name)
        if name in _ROW_CODED:
            coded = _row_codes(row_groups(name), parquet.metadata.num_rows, name in _NARROW)
            if coded is not None:
                return coded
        # A reader per call: a ParquetFile is not safe to read from two threads at once.
        reader = pq.ParquetFile(path, read_dictionary=list(_CATEGORICAL))
        return _cast_column(reader.read(columns=[name], use_threads=False).column(0), name)

    def row_groups(name: str) -> Iterator[Any]:
        """The column's chunks in row order, one row group at a time (none held after)."""
        reader = pq.ParquetFile(path, read_dictionary=list(_CATEGORICAL))
        for group in range(reader.num_row_groups):
            chunks = reader.read_row_group(group, columns=[name], use_threads=False).column(0)
            yield from chunks.chunks

    return _to_vote_table(column, path, row_groups, skip=skip)


def check_csv_header(path: Path) -> None:
    """Raise ``MalformedDocument`` unless ``path`` starts with a header naming every column."""
    with path.open("rb") as handle:
        header_line = handle.readline()
    try:
        header = next(csv.reader(io.StringIO(header_line.decode("utf-8"))), [])
    except UnicodeDecodeError as error:
        raise MalformedDocument(f"{path}: not UTF-8 text ({error.reason})") from error
    if not header:
        raise MalformedDocument(f"{path}: empty file, expected a header row")
    check_columns(path, [name.strip() for name in header])


def _read_csv(path: Path) -> Any:
    check_csv_header(path)
    types = dict.fromkeys(_CATEGORICAL, _DICT) | {"ts": _TS, "votes": pa.int8()}
    table = pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(block_size=16 << 20),
        convert_options=pa_csv.ConvertOptions(
            column_types=types,
            include_columns=list(COLUMNS),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table.unify_dictionaries().column


def _cast_column(column: Any, name: str) -> Any:
    """Parquet files from other tools may store strings, integers or naive timestamps."""
    if name in _CATEGORICAL:
        if column.type == _DICT and not column.null_count:
            return column  # already codes (Parquet dictionary pages, CSV dictionary columns)
        if pa.types.is_dictionary(column.type):
            column = column.cast(pa.string())
        return pc.dictionary_encode(column.cast(pa.string()).fill_null(""))
    if name == "ts":
        if pa.types.is_timestamp(column.type) and column.type.tz is None:
            raise ValueError("ts has no time zone")
        return column.cast(_TS)
    return column.cast(pa.int8())


def vote_table_from_arrow(table: Any, source: str = "<memory>") -> VoteTable:
    """A ``VoteTable`` from an in-memory pyarrow table with the interchange columns."""
    check_columns(Path(source), list(table.column_names))
    try:
        columns = {name: _cast_column(table.column(name), name) for name in COLUMNS}
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as error:
        raise MalformedDocument(f"{source}: {error}") from error
    return _to_vote_table(pa.table(columns).column, Path(source))


# Threads reading columns; 1 lowers the peak memory (docs/integrity.md, Scale). Not a number: 2.
_THREADS_SETTING = os.environ.get("BALLROOM_READ_THREADS", "2").strip()
_READ_THREADS = max(1, int(_THREADS_SETTING)) if _THREADS_SETTING.isdigit() else 2
_NUMBERED = ("ballot_id",)  # ids that are usually a prefix and a counter
# Columns of millions of distinct strings (numbered ballot ids stream and hash nothing).
_BIG_STRINGS = ("voter", *_IDENTITY)
_ONE_BIG = os.environ.get("BALLROOM_READ_ONE_BIG", "1") != "0"


_MAX_DIGITS = 17  # the number fits an int64 with room to subtract
_MAX_BYTES = 1 << 30  # "to the end" for binary_slice (an open end fails on some arrays)


def _numbers_of(strings: Any, prefix: str) -> Any:
    """``strings`` as the numbers after ``prefix``, or None where one is not written so.

    Written so means: the prefix, then decimal digits with no leading zero, so that the
    number and the string determine each other.
    """
    if strings.null_count or not pc.all(pc.starts_with(strings, prefix)).as_py():
        return None
    # Every string starts with the ASCII prefix, so cutting its bytes cuts whole characters
    # (a byte slice is cheaper than the UTF-8 one, which counts code points).
    if pa.types.is_large_string(strings.type):
        rest = pc.utf8_slice_codeunits(strings, len(prefix))
    else:
        rest = pc.binary_slice(strings.view(pa.binary()), len(prefix), _MAX_BYTES).view(pa.string())
    lengths = pc.binary_length(rest)
    canonical = pc.and_(
        pc.ascii_is_decimal(rest),
        pc.and_(
            pc.less_equal(lengths, _MAX_DIGITS),
            pc.invert(pc.and_(pc.starts_with(rest, "0"), pc.greater(lengths, 1))),
        ),
    )
    if not pc.all(canonical).as_py():
        return None
    return _numbers(pc.cast(rest, pa.int64()), np.int64)


def _prefix_of(strings: Any) -> str | None:
    if not len(strings):
        return None
    sample = strings[0].as_py()
    prefix = None if sample is None else sample.rstrip("0123456789")
    return prefix if prefix is not None and prefix.isascii() and prefix != sample else None


def _numbered(numbers: Any, prefix: str) -> Categorical | None:
    """Codes ``number - min`` when the numbers are dense enough to index arrays by."""
    return _numbered_parts([numbers], prefix)


def _numbered_parts(parts: list[Any], prefix: str) -> Categorical | None:
    """``_numbered`` of the parts' numbers end to end, filled part by part (no concatenation)."""
    parts = [part for part in parts if len(part)]
    if not parts:
        return None
    low, high = min(int(p.min()) for p in parts), max(int(p.max()) for p in parts)
    size = high - low + 1
    total = sum(len(part) for part in parts)
    if size > 2 * total + 1024 or size >= np.iinfo(np.int32).max:
        return None  # sparse ids: codes through a dictionary instead
    codes = np.empty(total, dtype=np.int32)
    start = 0
    for part in parts:
        codes[start : start + len(part)] = part - low
        start += len(part)
    return Categorical(codes=codes, values=None, prefix=prefix, first=low, size=size)


_BATCH_ROWS = 1 << 22  # numbered ids are read this many at a time


def _numbered_batches(path: Path, name: str) -> Categorical | None:
    """Numbered ids read a batch at a time, or None (not numbered, or not plain strings).

    Never the whole column as strings: for 100 M rows those and their slices were gigabytes.
    The numbers go straight into the codes array (no list of parts to join: that held the
    column twice); ids past the int32 range take the slower path of int64 parts.
    """
    reader = pq.ParquetFile(path)
    if reader.schema_arrow.field(name).type != pa.string():
        return None
    codes = np.empty(reader.metadata.num_rows, dtype=np.int32)
    filled, low, high = 0, np.iinfo(np.int64).max, -1
    prefix = None
    for batch in reader.iter_batches(batch_size=_BATCH_ROWS, columns=[name], use_threads=False):
        strings = batch.column(0)
        prefix = prefix or _prefix_of(strings)
        numbers = None if prefix is None else _numbers_of(strings, prefix)
        if prefix is None or numbers is None:
            return None
        if not len(numbers):
            continue
        low, high = min(low, int(numbers.min())), max(high, int(numbers.max()))
        if high > np.iinfo(np.int32).max or filled + len(numbers) > len(codes):
            return _numbered_wide(reader, name, prefix)
        codes[filled : filled + len(numbers)] = numbers
        filled += len(numbers)
    if prefix is None or filled != len(codes):
        return None
    size = high - low + 1
    if size > 2 * filled + 1024 or size >= np.iinfo(np.int32).max:
        return None  # sparse ids: codes through a dictionary instead (as _numbered_parts)
    codes -= np.int32(low)
    return Categorical(codes=codes, values=None, prefix=prefix, first=low, size=size)


def _numbered_wide(reader: Any, name: str, prefix: str) -> Categorical | None:
    """``_numbered_batches`` for ids whose numbers pass the int32 range: int64 parts."""
    parts: list[Any] = []
    for batch in reader.iter_batches(batch_size=_BATCH_ROWS, columns=[name], use_threads=False):
        numbers = _numbers_of(batch.column(0), prefix)
        if numbers is None:
            return None
        parts.append(numbers)
    return _numbered_parts(parts, prefix)


def _numbered_column(column: Any) -> Categorical | None:
    """A numbered ``Categorical`` from a string or dictionary column, if its ids allow one."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if not chunks:
        return None
    if pa.types.is_dictionary(chunks[0].type):
        values = chunks[0].dictionary
        if any(c.null_count or not c.dictionary.equals(values) for c in chunks):
            return None
        prefix = _prefix_of(values)
        numbers = None if prefix is None else _numbers_of(values, prefix)
        if prefix is None or numbers is None:
            return None
        indices = _numbers(pa.chunked_array([c.indices for c in chunks]), np.int64)
        return _numbered(numbers[indices], prefix)
    first = next((c for c in chunks if len(c)), None)
    prefix = None if first is None else _prefix_of(first)
    if prefix is None:
        return None
    parts = []
    for chunk in chunks:
        numbers = _numbers_of(chunk, prefix)
        if numbers is None:
            return None
        parts.append(numbers)
    return _numbered(np.concatenate(parts), prefix)


_NARROW = ("window", "channel", "couple")  # a handful of values: int8 codes when they fit


def _categorical(column: Any, name: str = "") -> Categorical:
    if name in _NUMBERED:
        numbered = _numbered_column(column)
        if numbered is not None:
            return numbered
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column.cast(pa.string()).fill_null(""))
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    first = chunks[0].dictionary if chunks else None
    if first is not None and all(
        not c.null_count and (c.dictionary is first or c.dictionary.equals(first)) for c in chunks
    ):
        # One dictionary for the whole column (Parquet written here): take the codes as they are.
        codes = _numbers(pa.chunked_array([c.indices for c in chunks]), np.int32)
        values = first
    else:
        combined = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        if combined.null_count:
            combined = combined.fill_null("")  # only possible from Parquet; checked below
        codes = combined.indices.to_numpy(zero_copy_only=False)
        values = combined.dictionary
    small = name in _NARROW and len(values) <= np.iinfo(np.int8).max
    return Categorical(
        codes=codes.astype(np.int8 if small else np.int32, copy=False), values=values
    )


_ROW_CODED = ("window", "voter", "channel", "couple")  # read a row group at a time


def _row_codes(chunks: Iterator[Any], n_rows: int, narrow: bool) -> Categorical | None:
    """A dictionary column's codes, filled a row group at a time into one array; None: not
    dictionary-encoded without nulls, or too many values for int8 codes (read it whole).

    Reading the column whole held its int32 codes per row group and then the combined ones
    (and, for the narrow columns, an int32 copy before the int8 one). Several row groups'
    dictionaries are unified at the end, as ``combine_chunks`` would (values in order of first
    appearance), and each group's codes rewritten in place.
    """
    small = np.iinfo(np.int8).max
    codes: npt.NDArray[np.signedinteger[Any]] = np.empty(
        n_rows, dtype=np.int8 if narrow else np.int32
    )
    dictionaries: list[Any] = []
    spans: list[tuple[int, int, int]] = []  # rows begin, end; offset of the group's dictionary
    begin = offset = 0
    for chunk in chunks:
        end = begin + len(chunk)
        if chunk.type != _DICT or chunk.null_count or end > n_rows:
            return None
        if narrow and len(chunk.dictionary) > small:
            return None
        codes[begin:end] = chunk.indices.to_numpy(zero_copy_only=False)
        dictionaries.append(chunk.dictionary)
        spans.append((begin, end, offset))
        offset += len(chunk.dictionary)
        begin = end
    if begin != n_rows or not dictionaries:
        return None
    if len(dictionaries) == 1:
        return Categorical(codes=codes, values=dictionaries[0])
    values, remap = unify_dictionaries(dictionaries)
    if narrow and len(values) > small:
        return None
    remap = remap.astype(codes.dtype)
    for first, last, base in spans:
        if first < last:
            codes[first:last] = remap[base + codes[first:last].astype(np.int64)]
    return Categorical(codes=codes, values=values)


def _numbers(column: Any, dtype: type[np.generic]) -> Any:
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if not chunks:
        return np.zeros(0, dtype)
    if len(chunks) == 1:  # no copy: the array keeps Arrow's buffer
        return chunks[0].to_numpy(zero_copy_only=False).astype(dtype, copy=False)
    return np.concatenate([c.to_numpy(zero_copy_only=False) for c in chunks]).astype(
        dtype, copy=False
    )


def _to_vote_table(
    column: Callable[[str], Any],
    path: Path,
    row_groups: Callable[[str], Iterator[Any]] | None = None,
    *,
    skip: tuple[str, ...] = (),
) -> VoteTable:
    """Convert and check the columns (``column(name)`` gives one in Arrow form); the optional
    columns in ``skip`` are not read (None in the table).

    Two threads read and convert (pyarrow decodes without the GIL), so at most two columns are
    in Arrow form at once; the checks then run in column order, so that the error reported for
    a file with several problems does not depend on which read finished first. With
    ``row_groups`` (Parquet) an identity column is read a row group at a time and only its
    values on the key rows are kept (see ``_per_voter``).
    """

    def bad(index: int, name: str, problem: str) -> MalformedDocument:
        return MalformedDocument(f"{path}: row {index + 1}: column {name!r}: {problem}", field=name)

    lock = threading.Lock()
    # One column of millions of distinct strings decoding whole at a time (the read's memory
    # peak: its Arrow form and the hash table that codes it); the other thread meanwhile
    # reads the numbers and the columns of a handful of values. An identity column read a row
    # group at a time (``_per_voter``) holds a row group's codes and the dictionaries (no
    # hash table: ``unify_dictionaries``), so two of those run side by side.
    one_big: AbstractContextManager[Any] = threading.Lock() if _ONE_BIG else nullcontext()
    keys: list[_KeyRows | None] = []
    ballot_ip: list[npt.NDArray[np.int32]] = []

    def key_rows() -> _KeyRows | None:
        with lock:  # the first identity column to get here finds them; the others wait
            if not keys:
                keys.append(_key_rows(futures))
            return keys[0]

    def convert(name: str) -> Any:
        if name in _IDENTITY:
            return convert_identity(name)
        if name in _BIG_STRINGS:
            with one_big:
                return convert_plain(name)
        return convert_plain(name)

    def convert_plain(name: str) -> Any:
        arrow = column(name)
        if isinstance(arrow, Categorical):
            return arrow  # numbered ids, converted while reading
        if name in _CATEGORICAL:
            return _categorical(arrow, name)
        if arrow.null_count:  # ts or votes: the first empty row, reported in order below
            return int(np.argmax(_numbers(arrow.is_null(), np.bool_)))
        if name == "ts":
            return _numbers(arrow.cast(pa.int64()), np.int64)
        return _numbers(arrow, np.int8)

    def convert_identity(name: str) -> Categorical:
        if row_groups is not None:
            # The key rows first (they wait for the voter and ballot columns), so that each
            # row group's codes are cut down to them as it is read.
            found = key_rows()  # waited for outside the lock: what it waits for takes it
            kept = None if found is None else _per_voter(row_groups(name), found, name == "ip")
            if kept is not None:
                cat, of_ballots = kept
                if of_ballots is not None:
                    ballot_ip.append(of_ballots)
                return cat
        with one_big:
            arrow = column(name)
            cat = _categorical(arrow, name)
            del arrow
        found = key_rows()
        if found is None:
            return cat
        if name == "ip":
            ballot_ip.append(found.of_ballots(cat.codes))
        return replace(cat, codes=found.of_voters(cat.codes))

    # The calling thread reads too: the voter column and the biggest identity columns, whose
    # buffers are the largest (memory this thread frees is reused, see
    # analysis.retained_memory); the worker reads the ballot ids first (the next longest),
    # then the rest. Columns that wait for the key rows come after what they wait for.
    pool = ThreadPoolExecutor(max_workers=max(1, _READ_THREADS - 1))
    try:
        futures: dict[str, Future[Any]] = {}
        own = ("voter", "email", "device") if _READ_THREADS > 1 else ()
        plain = [name for name in _CATEGORICAL if name not in _IDENTITY and name not in own]
        for name in (*plain, "ts", "votes", *(n for n in _IDENTITY if n not in own)):
            if name not in skip:
                futures[name] = pool.submit(convert, name)
        for name in own:
            done: Future[Any] = Future()
            futures[name] = done
            try:
                done.set_result(convert(name))
            except Exception as error:  # reported in column order below, as the others
                done.set_exception(error)
        cats: dict[str, Categorical] = {}
        for name in _CATEGORICAL:
            if name in skip:
                continue
            cats[name] = cat = futures[name].result()
            if name in REQUIRED and cat.values is not None:
                blank = pc.equal(pc.utf8_trim_whitespace(cat.values), "")
                empty_codes = np.flatnonzero(blank.to_numpy(zero_copy_only=False))
                if empty_codes.size:
                    mask = np.isin(cat.codes, empty_codes)
                    if mask.any():
                        raise bad(int(np.argmax(mask)), name, "is empty")
        ts_us = futures["ts"].result()
        if isinstance(ts_us, int):
            raise bad(ts_us, "ts", "is empty")
        votes = futures["votes"].result()
        if isinstance(votes, int):
            raise bad(votes, "votes", "is empty")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    out_of_range = (votes < WITHDRAWN_VOTES) | (votes > MAX_VOTES)
    if out_of_range.any():
        first = int(np.argmax(out_of_range))
        raise bad(first, "votes", f"{int(votes[first])} is not a whole number from 0 to 10")
    del out_of_range
    channel = cats.pop("channel")
    labels = channel.labels()
    unknown = [code for code, label in enumerate(labels) if label not in CHANNELS]
    if unknown:
        mask = np.isin(channel.codes, unknown)
        if mask.any():
            first = int(np.argmax(mask))
            raise bad(first, "channel", f"{labels[channel.codes[first]]!r} is not web or sms")
    sms_code = labels.index("sms") if "sms" in labels else -1
    empty_texts = (votes == WITHDRAWN_VOTES) & (channel.codes == sms_code)
    if empty_texts.any():
        first = int(np.argmax(empty_texts))
        raise bad(first, "votes", "0 is not a whole number from 1 to 10 (a text is one vote)")
    window = cats["window"]
    if keys and keys[0] is not None and len(window.codes):
        # One window (the key rows were found): its code repeated, not a byte per row held.
        window = replace(window, codes=np.broadcast_to(window.codes[:1], window.codes.shape))
    return VoteTable(
        ballot=cats["ballot_id"],
        ts_us=ts_us,
        window=window,
        voter=cats["voter"],
        sms=channel.codes == sms_code,
        couple=cats["couple"],
        votes=votes,
        email=cats["email"],
        phone=cats.get("phone"),
        ip=cats["ip"],
        device=cats["device"],
        per_voter=bool(keys and keys[0] is not None),
        ballot_ip=ballot_ip[0] if ballot_ip else None,
        voter_first_row=keys[0].voter_first if keys and keys[0] is not None else None,
        ballot_first_web=keys[0].ballot_first_web if keys and keys[0] is not None else None,
    )


@dataclass(frozen=True)
class _KeyRows:
    """Each voter's first row and each ballot's first web row (``n``: none), one window."""

    n: int
    voter_first: npt.NDArray[np.signedinteger[Any]]
    ballot_first_web: npt.NDArray[np.signedinteger[Any]]

    def of_voters(self, codes: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Codes per voter, then the last row's code (see ``VoteTable``)."""
        out = np.empty(len(self.voter_first) + 1, dtype=codes.dtype)
        out[:-1] = codes[np.minimum(self.voter_first, self.n - 1)]
        out[-1] = codes[self.n - 1]
        return out

    def of_ballots(self, codes: npt.NDArray[Any]) -> npt.NDArray[np.int32]:
        first = self.ballot_first_web
        picked = codes[np.minimum(first, self.n - 1)].astype(np.int32)
        return np.where(first < self.n, picked, np.int32(-1))


def _per_voter(
    chunks: Iterator[Any], found: _KeyRows, of_ballots: bool
) -> tuple[Categorical, npt.NDArray[np.int32] | None] | None:
    """An identity column's codes on the key rows, read chunk by chunk; None: not
    dictionary-encoded without nulls (read it whole instead).

    As ``_KeyRows.of_voters`` and ``of_ballots`` give, without the column's codes for every
    row ever being held: each chunk gives the codes of the key rows it holds, as positions in
    the chunks' dictionaries laid end to end; these are unified once at the end (as
    ``combine_chunks`` would: values in order of first appearance).
    """
    n = found.n
    voter_first, ballot_first = found.voter_first, found.ballot_first_web
    # Positions in the dictionaries laid end to end, 4 bytes each (a big night has tens of
    # millions of web ballots: 8-byte ones and their temporaries were the read's peak).
    voters = np.zeros(len(voter_first) + 1, dtype=np.int32)  # + the last row's (see VoteTable)
    ballots = np.full(len(ballot_first), -1, dtype=np.int32) if of_ballots else None
    voters_in, ballots_in = _rows_in(voter_first), _rows_in(ballot_first)
    dictionaries: list[Any] = []
    begin = offset = 0
    for chunk in chunks:
        if chunk.type != _DICT or chunk.null_count:
            return None
        if offset + len(chunk.dictionary) > np.iinfo(np.int32).max:
            return None  # positions past int32 (not from a file of < 2 G rows): read it whole
        end = begin + len(chunk)
        codes = chunk.indices.to_numpy(zero_copy_only=False)
        if len(chunk):
            here = voters_in(begin, end)
            voters[here] = codes[voter_first[here] - begin] + offset
            if end == n:
                voters[-1] = int(codes[-1]) + offset
            if ballots is not None:
                here = ballots_in(begin, end)
                ballots[here] = codes[ballot_first[here] - begin] + offset
        dictionaries.append(chunk.dictionary)
        offset += len(chunk.dictionary)
        begin = end
    if begin != n or not dictionaries:
        return None
    voters[:-1][voter_first >= n] = voters[-1]  # no row: the last row's, as of_voters
    if len(dictionaries) == 1:
        values = dictionaries[0]
        voter_codes = voters
        ballot_codes = ballots
    else:
        values, remap = unify_dictionaries(dictionaries)
        voter_codes = remap[voters]
        ballot_codes = ballots
        if ballots is not None:  # rewritten in place, a slice at a time (-1: no web row)
            for begin in range(0, len(ballots), _BATCH_ROWS):
                part = ballots[begin : begin + _BATCH_ROWS]
                part[:] = np.where(part >= 0, remap[np.maximum(part, 0)], np.int32(-1))
    return Categorical(codes=voter_codes, values=values), ballot_codes


def _rows_in(first: npt.NDArray[Any]) -> Callable[[int, int], npt.NDArray[Any]]:
    """The positions of ``first`` whose rows lie in [begin, end), per row group.

    Codes are numbered in order of first appearance, so the first rows usually ascend: then
    two binary searches, not a pass over every voter or ballot per row group.
    """
    ascending = bool(np.all(first[1:] >= first[:-1])) if len(first) > 1 else True

    def rows_in(begin: int, end: int) -> npt.NDArray[Any]:
        if ascending:
            low, high = np.searchsorted(first, [begin, end])
            return np.arange(low, high)
        return np.flatnonzero((first >= begin) & (first < end))

    return rows_in


def first_rows(
    codes: npt.NDArray[Any], rows: npt.NDArray[Any], size: int, n_rows: int
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """The first of ``rows`` (ascending) for each code in [0, size), ``n_rows`` where none;
    and those first rows in ascending order.

    A ballot's rows are written together: when every code's rows form one run, the run
    starts are the first rows, and no scattered minimum over every row (slow) is needed.
    """
    first = np.full(size, n_rows, dtype=rows.dtype)
    if not len(codes):
        return first, rows[:0]
    start = np.empty(len(codes), dtype=bool)
    start[0] = True
    np.not_equal(codes[1:], codes[:-1], out=start[1:])
    run_codes, run_rows = codes[start], rows[start]
    first[run_codes] = run_rows  # several runs of one code: caught by the count below
    if int(np.count_nonzero(first < n_rows)) == len(run_codes):
        return first, run_rows
    first.fill(n_rows)
    np.minimum.at(first, codes, rows)
    return first, np.sort(first[first < n_rows])


def _key_rows(futures: Mapping[str, Future[Any]]) -> _KeyRows | None:
    """The rows the analysis reads identities from, or None: several windows (or none)."""
    window: Categorical = futures["window"].result()
    if not len(window.codes) or not (window.codes == window.codes[0]).all():
        return None
    voter: Categorical = futures["voter"].result()
    ballot: Categorical = futures["ballot_id"].result()
    channel: Categorical = futures["channel"].result()
    n = len(voter.codes)
    index: type[np.signedinteger[Any]] = np.int32 if n < np.iinfo(np.int32).max else np.int64
    labels = channel.labels()
    sms = labels.index("sms") if "sms" in labels else -1
    voter_first = np.full(len(voter), n, dtype=index)
    ballot_first = np.full(len(ballot), n, dtype=index)
    # A slice of rows at a time: the temporaries stay small however long the night.
    for begin in range(0, n, _BATCH_ROWS):
        end = min(n, begin + _BATCH_ROWS)
        rows = np.arange(begin, end, dtype=index)
        np.minimum.at(voter_first, voter.codes[begin:end], rows)
        # As the table's sms column will say: a row is web unless its channel is "sms".
        web = channel.codes[begin:end] != sms
        np.minimum.at(ballot_first, ballot.codes[begin:end][web], rows[web])
    return _KeyRows(n=n, voter_first=voter_first, ballot_first_web=ballot_first)


def ts_to_datetime(ts_us: int) -> datetime:
    """A column timestamp back to an aware datetime (for reports)."""
    return _EPOCH + timedelta(microseconds=int(ts_us))

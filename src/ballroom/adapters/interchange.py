"""The vote-log interchange format of CONTRACTS.md section 2: CSV or Parquet, one row per couple.

Two readers share one set of rules:

- ``read_vote_rows`` streams validated ``VoteRow`` objects (imports, small files, tests);
- ``read_vote_table`` reads the whole file column by column through pyarrow into numpy arrays
  with categorical codes (the integrity analysis, millions of rows). Its checks are vectorised;
  when pyarrow itself rejects a value (a bad timestamp, a ragged row) it re-reads the file with
  the row reader so that the error still names the first bad row and column.

Rows are numbered from 1, not counting the header; CSV errors also give the line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ballroom.errors import MalformedDocument

COLUMNS = (
    "ballot_id", "ts", "window", "voter", "channel", "couple", "votes",
    "email", "phone", "ip", "device",
)  # fmt: skip
REQUIRED = ("ballot_id", "ts", "window", "voter", "channel", "couple", "votes")
OPTIONAL = ("email", "phone", "ip", "device")
CHANNELS = ("web", "sms")
MIN_VOTES = 1
MAX_VOTES = 10

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
_DICT = pa.dictionary(pa.int32(), pa.string())
_TS = pa.timestamp("us", tz="UTC")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    """A string column as integer codes into its distinct values (a pyarrow string array)."""

    codes: npt.NDArray[np.int32]
    values: Any  # pyarrow.StringArray: kept in Arrow so string work stays vectorised

    def __len__(self) -> int:
        return len(self.values)

    def labels(self) -> list[str]:
        """The distinct values as Python strings, indexed by code."""
        return [str(value) for value in self.values.to_pylist()]

    def label(self, code: int) -> str:
        return str(self.values[int(code)].as_py())


@dataclass(frozen=True)
class VoteTable:
    """A whole vote log in columns: codes for identities, numbers for the rest."""

    ballot: Categorical
    ts_us: npt.NDArray[np.int64]  # microseconds since 1970-01-01 UTC
    window: Categorical
    voter: Categorical
    sms: npt.NDArray[np.bool_]  # True for sms rows, False for web rows
    couple: Categorical
    votes: npt.NDArray[np.int8]
    email: Categorical
    phone: Categorical
    ip: Categorical
    device: Categorical

    def __len__(self) -> int:
        return len(self.ts_us)


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
            _check_columns(path, header)
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
    _check_columns(path, list(parquet.schema_arrow.names))
    number = 0
    for batch in parquet.iter_batches(columns=list(COLUMNS)):
        for record in batch.to_pylist():
            number += 1
            yield _row(record, f"{path}: row {number}")


def _check_columns(path: Path, header: list[str]) -> None:
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
    return VoteRow(
        ts=_parse_ts(raw.get("ts"), where), votes=_parse_votes(raw.get("votes"), where), **values
    )


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


def _parse_votes(value: Any, where: str) -> int:
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    else:
        text = "" if value is None else str(value).strip()
        if not text:
            raise MalformedDocument(f"{where}: column 'votes' is empty", field="votes")
        number = int(text) if text.isdigit() else None
    if number is None or not MIN_VOTES <= number <= MAX_VOTES:
        raise MalformedDocument(
            f"{where}: column 'votes': {value!r} is not a whole number from 1 to 10", field="votes"
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
        pq.write_table(table, path)
        return int(table.num_rows)
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
        pq.write_table(table, path)
        return int(table.num_rows)
    ts = table.column("ts")
    if pa.types.is_timestamp(ts.type):
        text = pc.strftime(ts.cast(_TS), format="%Y-%m-%dT%H:%M:%SZ")
        table = table.set_column(table.schema.get_field_index("ts"), "ts", text)
    pa_csv.write_csv(table, path, write_options=pa_csv.WriteOptions(quoting_style="needed"))
    return int(table.num_rows)


def _arrow_type(name: str) -> Any:
    if name == "ts":
        return _TS
    if name == "votes":
        return pa.int8()
    return pa.string()


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


# --------------------------------------------------------------------------- columnar reader


def read_vote_table(path: str | Path) -> VoteTable:
    """Read a whole vote log into columns, validating every row; errors name the first bad row."""
    path = Path(path)
    try:
        table = _read_arrow(path)
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as error:
        # pyarrow does not say which row it choked on: the row reader does.
        for _ in read_vote_rows(path):
            pass
        raise MalformedDocument(f"{path}: {error}") from error
    return _to_vote_table(table, path)


def _read_arrow(path: Path) -> Any:
    if _is_parquet(path):
        try:
            schema = pq.read_schema(path)
        except (pa.ArrowInvalid, OSError) as error:
            raise MalformedDocument(f"{path}: not a readable Parquet file ({error})") from error
        _check_columns(path, list(schema.names))
        table = pq.read_table(path, columns=list(COLUMNS), read_dictionary=list(_CATEGORICAL))
        columns = {name: _cast_column(table.column(name), name) for name in COLUMNS}
        return pa.table(columns).unify_dictionaries()
    with path.open("rb") as handle:
        header_line = handle.readline()
    try:
        header = next(csv.reader(io.StringIO(header_line.decode("utf-8"))), [])
    except UnicodeDecodeError as error:
        raise MalformedDocument(f"{path}: not UTF-8 text ({error.reason})") from error
    if not header:
        raise MalformedDocument(f"{path}: empty file, expected a header row")
    _check_columns(path, [name.strip() for name in header])
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
    return table.unify_dictionaries()


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
    _check_columns(Path(source), list(table.column_names))
    try:
        columns = {name: _cast_column(table.column(name), name) for name in COLUMNS}
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as error:
        raise MalformedDocument(f"{source}: {error}") from error
    return _to_vote_table(pa.table(columns), Path(source))


def _categorical(column: Any) -> Categorical:
    combined = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if combined.null_count:
        combined = combined.fill_null("")  # only possible from Parquet; checked below
    codes = combined.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    return Categorical(codes=codes, values=combined.dictionary)


def _to_vote_table(table: Any, path: Path) -> VoteTable:
    cats = {name: _categorical(table.column(name)) for name in _CATEGORICAL}
    ts_col = table.column("ts").combine_chunks()
    votes_col = table.column("votes").combine_chunks()
    n = table.num_rows

    def bad(index: int, name: str, problem: str) -> MalformedDocument:
        return MalformedDocument(f"{path}: row {index + 1}: column {name!r}: {problem}", field=name)

    for name in REQUIRED:
        if name in cats:
            blank = pc.equal(pc.utf8_trim_whitespace(cats[name].values), "")
            empty_codes = np.flatnonzero(blank.to_numpy(zero_copy_only=False))
            if empty_codes.size:
                mask = np.isin(cats[name].codes, empty_codes)
                if mask.any():
                    raise bad(int(np.argmax(mask)), name, "is empty")
    if ts_col.null_count:
        first = int(np.argmax(ts_col.is_null().to_numpy(zero_copy_only=False)))
        raise bad(first, "ts", "is empty")
    if votes_col.null_count:
        first = int(np.argmax(votes_col.is_null().to_numpy(zero_copy_only=False)))
        raise bad(first, "votes", "is empty")
    votes = votes_col.to_numpy(zero_copy_only=False).astype(np.int8, copy=False)
    out_of_range = (votes < MIN_VOTES) | (votes > MAX_VOTES)
    if out_of_range.any():
        first = int(np.argmax(out_of_range))
        raise bad(first, "votes", f"{int(votes[first])} is not a whole number from 1 to 10")
    channel = cats["channel"]
    labels = channel.labels()
    unknown = [code for code, label in enumerate(labels) if label not in CHANNELS]
    if unknown:
        mask = np.isin(channel.codes, unknown)
        if mask.any():
            first = int(np.argmax(mask))
            raise bad(first, "channel", f"{labels[channel.codes[first]]!r} is not web or sms")
    sms_code = labels.index("sms") if "sms" in labels else -1
    ts_us = ts_col.cast(pa.int64()).to_numpy(zero_copy_only=False) if n else np.zeros(0, np.int64)
    return VoteTable(
        ballot=cats["ballot_id"],
        ts_us=ts_us.astype(np.int64, copy=False),
        window=cats["window"],
        voter=cats["voter"],
        sms=channel.codes == sms_code,
        couple=cats["couple"],
        votes=votes,
        email=cats["email"],
        phone=cats["phone"],
        ip=cats["ip"],
        device=cats["device"],
    )


def ts_to_datetime(ts_us: int) -> datetime:
    """A column timestamp back to an aware datetime (for reports)."""
    return _EPOCH + timedelta(microseconds=int(ts_us))

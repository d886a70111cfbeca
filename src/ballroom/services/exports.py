"""A night's verifiable export (docs/interfaces.md §2 and §4), written as the log is read.

An export folder holds ``votes.csv`` or ``votes.parquet`` (the interchange rows, same columns
either way), ``receipts.csv`` (seq, ballot id, entry hash: what a voter's receipt is checked
against), ``chain.json`` (the manifest: window, chain algorithm, genesis, entry count, root,
and when the log may be published) and ``results.json`` (the recount's tallies).
``services.verification`` checks one from the votes file alone.

The log is read in one ordered statement, ``FETCH_BALLOTS`` ballots at a time (a server-side
cursor on PostgreSQL, SQLite's own stepping); each chunk becomes Arrow columns (an allocation's
stored JSON parsed once per distinct text), is appended to the files and added to the recount
(``ColumnarRecount``), then dropped. Memory is a chunk's, whatever the night's size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import sqlalchemy as sa

from ballroom.adapters.db import schema as db
from ballroom.adapters.db.schema_accounts import nights
from ballroom.adapters.interchange import COLUMNS
from ballroom.domain.voting import GENESIS_HASH, interchange_pairs
from ballroom.services.columnar_recount import ColumnarRecount
from ballroom.services.log_rows import window_couples
from ballroom.services.verification import CHAIN_ALGORITHM, MANIFEST_VERSION

FORMATS = ("csv", "parquet")
FETCH_BALLOTS = 100_000
_SHAPES_KEPT = 1 << 18  # distinct allocation texts remembered (emptied when full)
_READ = ("seq", "ballot_id", "voter", "channel", "allocation", "ts_us", "hash",
         "email", "phone", "ip", "device")  # fmt: skip
_TS = pa.timestamp("us", tz="UTC")
_SCHEMA = pa.schema(
    [(name, _TS if name == "ts" else pa.int8() if name == "votes" else pa.string())
     for name in COLUMNS]
)  # fmt: skip
_RECEIPTS = pa.schema([("seq", pa.int64()), ("ballot_id", pa.string()), ("hash", pa.string())])
_REPEATED = ["window", "voter", "channel", "couple", "email", "phone", "ip", "device"]


def export_window(
    engine: sa.Engine,
    window: str,
    out: Path,
    *,
    fmt: str = "csv",
    fetch_ballots: int = FETCH_BALLOTS,
    now: datetime | None = None,
) -> dict[str, object]:
    """Write a window's log, receipts, manifest and recount into ``out``; return the manifest.

    ``NotFound`` for a window the store does not hold.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {FORMATS}")
    query = (
        sa.select(*(db.vote_log.c[name] for name in _READ))
        .where(db.vote_log.c.window_id == window)
        .order_by(db.vote_log.c.seq)
    )
    with engine.connect() as connection:
        couples = window_couples(connection, window)
        revealed = connection.execute(
            sa.select(nights.c.revealed_at).where(nights.c.window == window)
        ).scalar()
        out.mkdir(parents=True, exist_ok=True)
        writer = _Writer(out, window, fmt, couples)
        try:
            for rows in _chunks(connection, query, fetch_ballots):
                writer.add(rows)
        finally:
            writer.close()
    manifest: dict[str, object] = {
        "version": MANIFEST_VERSION,
        "window": window,
        "algorithm": CHAIN_ALGORITHM,
        "genesis": GENESIS_HASH,
        "entries": writer.entries,
        "root": writer.root,
        "votes": writer.votes_name,
        "opens_at": _iso(revealed) if revealed is not None else None,
        "exported_at": (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
    }
    (out / "chain.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (out / "results.json").write_text(
        json.dumps(writer.recount.as_dict(), indent=2) + "\n", encoding="utf-8"
    )
    return manifest


def _chunks(
    connection: sa.Connection, query: sa.Select[Any], size: int
) -> Iterator[Sequence[Sequence[Any]]]:
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


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat().replace("+00:00", "Z")


class _Writer:
    """The export's votes and receipts files, appended a chunk of stored ballots at a time."""

    def __init__(self, out: Path, window: str, fmt: str, couples: list[str]) -> None:
        self.window = window
        self.votes_name = f"votes.{fmt}"
        self.entries = 0
        self.root = GENESIS_HASH
        self.recount = ColumnarRecount(window, couples)
        self.couples = couples
        self._shapes: dict[str, tuple[list[str], list[int]]] = {}
        path = out / self.votes_name
        self._votes: Any = (
            pq.ParquetWriter(path, _SCHEMA, use_dictionary=_REPEATED)
            if fmt == "parquet"
            else pa_csv.CSVWriter(path, _csv_schema(), write_options=_CSV_OPTIONS)
        )
        self._csv = fmt == "csv"
        self._receipts = pa_csv.CSVWriter(
            out / "receipts.csv", _RECEIPTS, write_options=_CSV_OPTIONS
        )

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        column = dict(zip(_READ, zip(*rows, strict=True), strict=True))
        seq = np.asarray(column["seq"], dtype=np.int64)
        ts_us = np.asarray(column["ts_us"], dtype=np.int64)
        texts = pc.dictionary_encode(pa.array(column["allocation"], pa.string()))
        shapes = [self._shape(text) for text in texts.dictionary.to_pylist()]
        shape = np.asarray(texts.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        lengths = np.array([len(couples) for couples, _ in shapes], dtype=np.int64)
        counts = lengths[shape]
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        row_ballot = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
        # Row r of ballot b is pair (r - b's first row) of b's shape, in the shapes' pairs laid
        # end to end (the allocation's stored JSON is sorted by couple: the hashed order).
        shape_first = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        pair = np.repeat(shape_first[shape] - starts[:-1], counts) + np.arange(len(row_ballot))
        flat_couples = pa.array([c for couples, _ in shapes for c in couples], pa.string())
        flat_votes = np.array([v for _, votes in shapes for v in votes], dtype=np.int8)
        take = pa.array(row_ballot)
        per_ballot = {
            name: pa.array(column[name], pa.string())
            for name in ("ballot_id", "voter", "channel", "email", "phone", "ip", "device")
        }
        couple = flat_couples.take(pa.array(pair))
        votes = flat_votes[pair]
        table = pa.table(
            {
                "ballot_id": per_ballot["ballot_id"].take(take),
                "ts": pa.array(ts_us[row_ballot]).cast(_TS),
                "window": pa.array([self.window] * len(row_ballot), pa.string()),
                "voter": per_ballot["voter"].take(take),
                "channel": per_ballot["channel"].take(take),
                "couple": couple,
                "votes": pa.array(votes, pa.int8()),
                **{
                    name: per_ballot[name].take(take) for name in ("email", "phone", "ip", "device")
                },
            }
        )
        if self._csv:
            ts = pc.strftime(table.column("ts"), format="%Y-%m-%dT%H:%M:%SZ")
            table = table.set_column(1, "ts", ts)
        self._votes.write_table(table)
        self._receipts.write_table(
            pa.table(
                {
                    "seq": pa.array(seq),
                    "ballot_id": per_ballot["ballot_id"],
                    "hash": pa.array(column["hash"], pa.string()),
                }
            )
        )
        self.recount.add(
            int(seq[0]),
            sms=pc.equal(per_ballot["channel"], "sms").to_numpy(zero_copy_only=False),
            voters=per_ballot["voter"],
            ts_us=ts_us,
            starts=starts,
            couples=couple,
            votes=votes,
        )
        self.entries += len(rows)
        self.root = str(column["hash"][-1])

    def _shape(self, text: str) -> tuple[list[str], list[int]]:
        found = self._shapes.get(text)
        if found is None:
            # The stored JSON is sorted by couple (``votelog.allocation_json``), the order the
            # chain hashes; sorted again only if some other writer did not.
            stored = tuple(sorted((str(c), int(v)) for c, v in orjson.loads(text).items()))
            allocation = interchange_pairs(stored, self.couples)
            found = ([couple for couple, _ in allocation], [votes for _, votes in allocation])
            if len(self._shapes) >= _SHAPES_KEPT:
                self._shapes.clear()
            self._shapes[text] = found
        return found

    def close(self) -> None:
        self._votes.close()
        self._receipts.close()


_CSV_OPTIONS = pa_csv.WriteOptions(quoting_style="needed")


def _csv_schema() -> Any:
    return pa.schema([(name, pa.int8() if name == "votes" else pa.string()) for name in COLUMNS])

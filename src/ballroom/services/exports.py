"""A night's verifiable export (docs/interfaces.md §2 and §4), written as the log is read.

An export folder holds ``votes.csv`` or ``votes.parquet`` (the interchange rows, same columns
either way), ``receipts.csv`` (seq, ballot id, entry hash: what a voter's receipt is checked
against), ``chain.json`` (the manifest: window, chain algorithm, genesis, entry count, root,
and when the log may be published) and ``results.json`` (the recount's tallies).
``services.verification`` checks one from the votes file alone.

The log comes from the store (the ``StoredLog`` port) in one ordered statement, as Arrow
batches of ``FETCH_BALLOTS`` ballots, read a batch or two ahead on a thread of their own
(``read_ahead``: the driver fills them without the GIL, on the second core). Each batch
becomes the interchange rows by Arrow takes (an allocation's stored JSON parsed once per
distinct text), is appended to the files and added to the recount (``ColumnarRecount``), then
dropped. Memory is a few batches', whatever the night's size.
"""

from __future__ import annotations

import json
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ballroom.adapters.interchange import COLUMNS
from ballroom.domain.voting import GENESIS_HASH, interchange_pairs
from ballroom.services.columnar_recount import ColumnarRecount
from ballroom.services.ports import StoredLog
from ballroom.services.read_ahead import read_ahead
from ballroom.services.verification import CHAIN_ALGORITHM, MANIFEST_VERSION

FORMATS = ("csv", "parquet")
FETCH_BALLOTS = 100_000
_SHAPES_KEPT = 1 << 18  # distinct allocation texts remembered (emptied when full)
_READ = ("seq", "ballot_id", "voter", "channel", "allocation", "ts_us", "hash",
         "email", "phone", "ip", "device")  # fmt: skip
_US = 1_000_000
_TS = pa.timestamp("us", tz="UTC")
_SCHEMA = pa.schema(
    [(name, _TS if name == "ts" else pa.int8() if name == "votes" else pa.string())
     for name in COLUMNS]
)  # fmt: skip
_RECEIPTS = pa.schema([("seq", pa.int64()), ("ballot_id", pa.string()), ("hash", pa.string())])
_REPEATED = ["window", "voter", "channel", "couple", "email", "phone", "ip", "device"]


def export_window(
    log: StoredLog,
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
    couples = log.couples(window)
    revealed = log.revealed_at(window)
    out.mkdir(parents=True, exist_ok=True)
    writer = _Writer(out, window, fmt, couples)
    try:
        with closing(read_ahead(log.batches(window, _READ, fetch_ballots))) as batches:
            for batch in batches:
                writer.add(batch)
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


def csv_times(ts_us: Any) -> Any:
    """Microsecond timestamps as the CSV writes them (``2025-10-07T20:00:00.000000Z``), the
    text ``pyarrow.compute.strftime`` gives: each distinct second formatted once, the
    microseconds appended (strftime on every row was most of a CSV export's time)."""
    seconds = np.floor_divide(ts_us, _US)
    distinct, which = np.unique(seconds, return_inverse=True)
    whole = pc.strftime(pa.array(distinct, pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%S")
    micros = pc.utf8_slice_codeunits(pa.array(ts_us - seconds * _US + _US).cast(pa.string()), 1)
    return pc.binary_join_element_wise(whole.take(pa.array(which.ravel())), ".", micros, "Z", "")


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

    def add(self, batch: Any) -> None:
        """Append a batch of stored ballots (the ``_READ`` columns, in log order)."""
        n = batch.num_rows
        if not n:
            return
        column = dict(zip(batch.schema.names, batch.columns, strict=True))
        seq = np.asarray(column["seq"].to_numpy(zero_copy_only=False), dtype=np.int64)
        # A copy: the recount keeps it, and a view would keep the whole batch the driver
        # allocated (an imported batch is freed only when the last of its buffers is).
        ts_us = np.array(column["ts_us"].to_numpy(zero_copy_only=False), dtype=np.int64)
        texts = pc.dictionary_encode(column["allocation"])
        shapes = [self._shape(text) for text in texts.dictionary.to_pylist()]
        shape = np.asarray(texts.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        lengths = np.array([len(couples) for couples, _ in shapes], dtype=np.int64)
        counts = lengths[shape]
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        row_ballot = np.repeat(np.arange(n, dtype=np.int64), counts)
        # Row r of ballot b is pair (r - b's first row) of b's shape, in the shapes' pairs laid
        # end to end (the allocation's stored JSON is sorted by couple: the hashed order).
        shape_first = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        pair = np.repeat(shape_first[shape] - starts[:-1], counts) + np.arange(len(row_ballot))
        flat_couples = pa.array([c for couples, _ in shapes for c in couples], pa.string())
        flat_votes = np.array([v for _, votes in shapes for v in votes], dtype=np.int8)
        take = pa.array(row_ballot)
        couple = flat_couples.take(pa.array(pair))
        votes = flat_votes[pair]
        ts = csv_times(ts_us) if self._csv else pa.array(ts_us).cast(_TS)
        self._votes.write_table(
            pa.table(
                {
                    "ballot_id": column["ballot_id"].take(take),
                    "ts": ts.take(take),
                    "window": pa.repeat(self.window, len(row_ballot)).cast(pa.string()),
                    "voter": column["voter"].take(take),
                    "channel": column["channel"].take(take),
                    "couple": couple,
                    "votes": pa.array(votes, pa.int8()),
                    **{
                        name: column[name].take(take) for name in ("email", "phone", "ip", "device")
                    },
                }
            )
        )
        self._receipts.write_table(
            pa.table(
                {"seq": column["seq"], "ballot_id": column["ballot_id"], "hash": column["hash"]}
            )
        )
        self.recount.add(
            int(seq[0]),
            sms=pc.equal(column["channel"], "sms").to_numpy(zero_copy_only=False),
            voters=column["voter"],
            ts_us=ts_us,
            starts=starts,
            couples=couple,
            votes=votes,
        )
        self.entries += n
        self.root = str(column["hash"][-1].as_py())

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

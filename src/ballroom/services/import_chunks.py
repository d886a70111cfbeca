"""An interchange file's ballots as :class:`~ballroom.services.ports.ImportChunk` columns.

The reading side of the bulk import (``services/importing.py``): each ballot's stored
allocation text and the canonical text of its log entry after the seq are built on whole
columns (one join per row and one per ballot, as ``services/verification.py`` builds the
entries it checks), so the writer's only per-ballot encoding work is the chain's sha256.
Both are over the ballot's non-zero rows in couple order, the order of an accepted
allocation; a ballot with a row of 0 votes is flagged and left to the per-ballot path.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ballroom.adapters.ballot_batches import BallotBatch
from ballroom.adapters.interchange import OPTIONAL
from ballroom.domain.voting import json_string
from ballroom.services.column_json import json_inner
from ballroom.services.ports import ImportChunk


def import_chunks(batch: BallotBatch, size: int) -> Iterator[ImportChunk]:
    """``batch``'s ballots in chunks of ``size`` ballots at most, in file order. The batch is
    encoded as a whole in columns; Python values are made one chunk at a time (only the
    chunks in flight hold them)."""
    per_ballot = [
        batch.per_ballot(name) for name in ("ballot_id", "window", "voter", "channel", *OPTIONAL)
    ]
    ts_us = batch.ts_us()
    couples = batch.column("couple")
    votes = batch.column("votes")
    starts = batch.starts
    row_zero = np.asarray(pc.equal(votes, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    zeros = np.add.reduceat(row_zero, starts[:-1]) > 0
    # Only the rows' couples and votes are put in couple order (not a copy of every column).
    rows = BallotBatch(
        batch.first_entry, batch.first_row, batch.table.select(["couple", "votes"]), starts
    )
    stored, entries = _encoded(batch, rows.sorted_by_couple())
    for first in range(0, batch.entries, size):
        last = min(first + size, batch.entries)
        begin, end = int(starts[first]), int(starts[last])
        count = last - first
        ids, windows, voters, channels, emails, phones, ips, devices = (
            column.slice(first, count).to_pylist() for column in per_ballot
        )
        yield ImportChunk(
            ids,
            windows,
            voters,
            channels,
            ts_us[first:last].tolist(),
            emails,
            phones,
            ips,
            devices,
            (starts[first : last + 1] - begin).tolist(),
            couples.slice(begin, end - begin).to_pylist(),
            votes.slice(begin, end - begin).to_pylist(),
            stored.slice(first, count).to_pylist(),
            entries.slice(first, count).to_pylist(),
            zeros[first:last].tolist(),
        )


def release_columns() -> None:
    """Hand the memory of freed columns back to the system: pyarrow's allocator keeps it
    otherwise (measured: 318 MB of a 600k-row file's batch still held after the import)."""
    pa.default_memory_pool().release_unused()


def select(chunk: ImportChunk, indices: Sequence[int]) -> ImportChunk:
    """The ballots ``indices`` of ``chunk``, in that order, as a chunk of their own."""
    starts = chunk.starts
    rows = [row for i in indices for row in range(starts[i], starts[i + 1])]
    lengths = [starts[i + 1] - starts[i] for i in indices]

    def each(column: list[Any]) -> list[Any]:
        return [column[i] for i in indices]

    return ImportChunk(
        ids=each(chunk.ids),
        windows=each(chunk.windows),
        voters=each(chunk.voters),
        channels=each(chunk.channels),
        ts_us=each(chunk.ts_us),
        emails=each(chunk.emails),
        phones=each(chunk.phones),
        ips=each(chunk.ips),
        devices=each(chunk.devices),
        starts=[0, *itertools.accumulate(lengths)],
        couples=[chunk.couples[row] for row in rows],
        votes=[chunk.votes[row] for row in rows],
        stored=each(chunk.stored),
        entries=each(chunk.entries),
        zeros=each(chunk.zeros),
    )


def _encoded(batch: BallotBatch, ordered: BallotBatch) -> tuple[Any, Any]:
    """Per ballot of ``batch``: the stored allocation text (``vote_codec.allocation_json``)
    and the canonical entry text after ``[seq,`` (``domain.voting.canonical_text``), from the
    rows of ``ordered`` (the batch's couples and votes, each ballot's rows in couple order)."""
    votes = ordered.column("votes")
    counted = pc.not_equal(votes, 0)
    kept_per_ballot = np.add.reduceat(
        np.asarray(counted.to_numpy(zero_copy_only=False), dtype=np.int64), ordered.starts[:-1]
    )
    offsets = pa.array(np.concatenate([[0], np.cumsum(kept_per_ballot)]), pa.int64())
    couple = pc.dictionary_encode(pc.filter(ordered.column("couple"), counted))
    named = couple.dictionary.to_pylist()
    # A handful of couples: each quoted once, by the very encoders of the two texts.
    canonical_couple = pa.array([json_string(c) for c in named], pa.string()).take(couple.indices)
    stored_couple = pa.array([_orjson_string(c) for c in named], pa.string()).take(couple.indices)
    counts = pc.filter(votes, counted).cast(pa.string())
    stored = pc.binary_join_element_wise(
        "{", _joined(offsets, pc.binary_join_element_wise(stored_couple, counts, ":")), "}", ""
    )
    pairs = pc.binary_join_element_wise("[", canonical_couple, ",", counts, "]", "")
    window, ballot, voter, channel = (
        json_inner(batch.per_ballot(name)) for name in ("window", "ballot_id", "voter", "channel")
    )
    ts = pa.array(batch.ts_us()).cast(pa.string())
    entries = pc.binary_join_element_wise(
        '"', window, '","', ballot, '","', voter, '","', channel, '",', ts, ",[",
        _joined(offsets, pairs), "]]", "",
    )  # fmt: skip
    return stored, entries


def _joined(offsets: Any, parts: Any) -> Any:
    """Each ballot's ``parts`` (rows ``offsets[i]:offsets[i + 1]``) joined with commas."""
    return pc.binary_join(pa.LargeListArray.from_arrays(offsets, parts), ",")


def _orjson_string(text: str) -> str:
    return orjson.dumps(text).decode()

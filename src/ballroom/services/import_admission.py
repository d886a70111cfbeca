"""The bulk admission of an import: a whole chunk of an interchange file decided in one call.

The pipeline's writer thread calls :func:`admit_chunk` once per chunk (it owns the windows,
the cap books and the chain heads, so a live vote and an import never race). A ballot takes
the bulk path when it is the common case: not stored before, its window known and the ballot
dated inside it, a named voter, every row of its allocation for an active couple with 1..cap
votes, and for a text one couple whose text cap has room. Its chain entry is then the only
per-ballot work: one sha256 over the prev hash, the seq and the entry's canonical text, which
the reading side encoded from the file's columns (``services/import_chunks.py``). Any other
ballot (a duplicate, a withdrawal or any row of 0 votes, every refusal) is decided by the
per-ballot path (``one_by_one``: ``VoteRules.imported`` through the pipeline), in its place,
against the same state, so its outcome and error are that path's own.

This re-expresses, for the accepted case only, the checks of
``ballroom.domain.admission.admit_web``/``admit_texts`` and ``require_dated_inside``, the
``record`` step and the pipeline's ``_record`` (rows, tally changes, undo, receipt). The
property test ``tests/integration/test_import_bulk.py`` imports random files both ways and
requires the same outcomes and the same stored log: it is what keeps the two equal.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ballroom.domain.admission import WindowState
from ballroom.domain.voting import BUCKET_SECONDS, Allocation, Channel, Receipt, VoteBook
from ballroom.services.ports import ChunkOutcome, ImportBatch, ImportChunk, ImportOutcome

_ALLOCATIONS: dict[str, Allocation] = {}
"""Stored allocation text -> the allocation (a night repeats a few thousand), kept across
chunks and imports: the text of the non-zero rows in couple order determines it."""
_ALLOCATIONS_KEPT = 1 << 16  # emptied when full: a miss only costs building one tuple

IMPORT_KEY = "import:"
"""The stored key of an imported ballot: ``import:<ballot id>``."""

# Undo records of the bulk path: (book, window, voter, replaced, replaced seq) for a web
# ballot, (book, (window, voter, couple), votes) for a text.
_Undo = tuple[Any, ...]


def admit_chunk(  # noqa: PLR0917 - one tight loop
    chunk: ImportChunk,
    windows: Mapping[str, WindowState],
    books: Sequence[VoteBook],
    batch: ImportBatch,
    known: Mapping[str, Any],
    one_by_one: Callable[[int], ImportOutcome],
    cap: int,
) -> ChunkOutcome:
    """Decide every ballot of ``chunk`` in file order (see the module's docstring): the
    accepted ones' rows, tally changes, undo records and receipts go into ``batch``."""
    receipts: list[Receipt] = []
    others: dict[int, ImportOutcome] = {}
    undo: list[_Undo] = []
    rows = batch.rows
    tally_ops = batch.tally_ops
    heads = batch.heads
    keys = batch.keys
    parts = len(books)
    crc32 = zlib.crc32
    sha256 = hashlib.sha256
    new_tuple = tuple.__new__  # what Receipt._make does, without its Python-level call
    web, sms = Channel.WEB, Channel.SMS
    ids, window_ids, voters, channels, times = (
        chunk.ids,
        chunk.windows,
        chunk.voters,
        chunk.channels,
        chunk.ts_us,
    )
    emails, phones, ips, devices = chunk.emails, chunk.phones, chunk.ips, chunk.devices
    stored, entries, zeros, starts = chunk.stored, chunk.entries, chunk.zeros, chunk.starts
    # Per chunk: each window's period, and whether each stored allocation is valid there
    # (ballots repeat a few thousand allocations).
    periods: dict[str, tuple[WindowState, int | None, int | None] | None] = {}
    allocations = _ALLOCATIONS
    if len(allocations) >= _ALLOCATIONS_KEPT:
        allocations.clear()
    valid: dict[tuple[str, str], bool] = {}
    # The tally changes of the accepted ballots, summed per (window, channel, minute bucket,
    # allocation): one change per sum, not one per ballot (the same sums, see _publish).
    counted: dict[tuple[str, Channel, int, Allocation], list[Any]] = {}
    per_bucket = BUCKET_SECONDS * 1_000_000

    def flush() -> None:
        # Before the per-ballot path runs, and at the end: the undo stack keeps its order.
        if undo:
            batch.undo.append(_undoer(list(undo)))
            undo.clear()

    try:
        for index in range(len(ids)):
            key = IMPORT_KEY + ids[index]
            window_id = window_ids[index]
            if window_id not in periods:
                periods[window_id] = _period(windows.get(window_id))
            period = periods[window_id]
            if period is None or zeros[index] or key in keys or key in known:
                flush()
                others[index] = one_by_one(index)
                continue
            window, start, end = period
            ts_us = times[index]
            voter = voters[index]
            if (start is not None and ts_us < start) or (end is not None and ts_us >= end):
                flush()
                others[index] = one_by_one(index)
                continue
            text = stored[index]
            allocation = allocations.get(text)
            if allocation is None:
                begin, stop = starts[index], starts[index + 1]
                allocation = allocations[text] = tuple(
                    sorted(zip(chunk.couples[begin:stop], chunk.votes[begin:stop], strict=True))
                )
            ok = valid.get((window_id, text))
            if ok is None:
                active = window.couples
                ok = valid[window_id, text] = all(
                    couple in active and 1 <= votes <= cap for couple, votes in allocation
                )
            is_web = channels[index] == "web"
            if not ok or not voter or not voter.strip() or (not is_web and len(allocation) != 1):
                flush()
                others[index] = one_by_one(index)
                continue
            book = books[crc32(voter.encode()) % parts]
            if is_web:
                channel = web
            else:
                channel = sms
                ((couple, votes),) = allocation
                cap_key = (window_id, voter, couple)
                if not book.take_sms(cap_key, votes):  # the one text cap (VoteBook)
                    flush()
                    others[index] = one_by_one(index)
                    continue
            if window_id not in heads:
                heads[window_id] = (window.next_seq, window.head_hash)
            seq = window.next_seq
            prev = window.head_hash
            digest = sha256(f"{prev}[{seq},{entries[index]}".encode()).hexdigest()
            window.next_seq = seq + 1
            window.head_hash = digest
            if is_web:
                replaced, replaced_seq = book.replace_web(window_id, voter, allocation, seq)
                undo.append((book, window_id, voter, replaced, replaced_seq))
                if replaced is not None:
                    tally_ops.append((window, web, replaced, ts_us, -1, seq, 0))
            else:
                undo.append((book, cap_key, votes))
            bucket = (window_id, channel, ts_us // per_bucket, allocation)
            summed = counted.get(bucket)
            if summed is None:
                counted[bucket] = [window, ts_us, 1, seq]
            else:
                summed[2] += 1
                summed[3] = seq
            ballot_id = ids[index]
            rows.append(
                (
                    window_id,
                    seq,
                    ballot_id,
                    voter,
                    channels[index],
                    text,
                    ts_us,
                    digest,
                    prev,
                    key,
                    emails[index],
                    phones[index],
                    ips[index],
                    devices[index],
                )
            )
            receipt = new_tuple(
                Receipt, (ballot_id, seq, window_id, voter, channel, allocation, ts_us, digest)
            )
            keys[key] = receipt
            receipts.append(receipt)
    finally:
        flush()
        for (_, channel, _, allocation), (window, ts_us, ballots, seq) in counted.items():
            times_counted = tuple((couple, votes * ballots) for couple, votes in allocation)
            tally_ops.append((window, channel, times_counted, ts_us, 1, seq, ballots))
    return ChunkOutcome(len(ids), receipts, others)


def _period(window: WindowState | None) -> tuple[WindowState, int | None, int | None] | None:
    """A window and the period an imported ballot must be dated inside
    (``WindowState.accepts_at``), or ``None`` for a window the writer does not know."""
    if window is None:
        return None
    start = window.opens_at_us if window.opens_at_us is not None else window.scheduled_open_us
    end = window.closes_at_us if window.closes_at_us is not None else window.scheduled_close_us
    return window, start, end


def _undoer(records: list[_Undo]) -> Callable[[], None]:
    """One undo record for a run of bulk-accepted ballots: each undone, newest first."""

    def undo() -> None:
        for record in reversed(records):
            if len(record) == 5:
                book, window_id, voter, replaced, replaced_seq = record
                book.undo_web(window_id, voter, replaced, replaced_seq)
            else:
                book, (window_id, voter, couple), votes = record
                book.undo_sms(window_id, voter, couple, votes)

    return undo

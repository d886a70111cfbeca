"""The bulk admission of an import: a whole chunk of an interchange file decided in one call.

The pipeline's writer thread calls :func:`admit_chunk` once per chunk (it owns the windows,
the cap books and the chain heads, so a live vote and an import never race). A ballot takes
the bulk path when it is the common case: not stored before, its window known and the ballot
dated inside it, a named voter, every row of its allocation for an active couple with 1..cap
votes, and for a text one couple whose text cap has room. Its chain entry is then the only
per-ballot work: one sha256 over the prev hash, the seq and the entry's canonical text, which
the reading side encoded from the file's columns (``services/import_chunks.py``). Any other
ballot (a duplicate or an id refused by an earlier import, whose key ``known`` holds too; a
withdrawal or any row of 0 votes; every refusal) is decided by the per-ballot path
(``one_by_one``: ``VoteRules.imported`` through the pipeline), in its place, against the same
state, so its outcome and error are that path's own, and it stores the refusals.

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

import numpy as np

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
    accepted: list[int] = []  # the ballots accepted in bulk, tallied after the loop
    rows = batch.rows
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
    periods: dict[str, tuple[WindowState, int | None, int | None] | None] = {}
    allocations = _ALLOCATIONS
    if len(allocations) >= _ALLOCATIONS_KEPT:
        allocations.clear()
    # Whether each stored allocation is valid in a window: asked only when some row of the
    # chunk is not for an active couple of its one window with 1..cap votes.
    valid: dict[tuple[str, str], bool] | None = None if _rows_valid(chunk, windows, cap) else {}

    def flush() -> None:
        # Before the per-ballot path runs, and at the end: the undo stack keeps its order.
        if undo:
            batch.undo.append(_undoer(list(undo)))
            undo.clear()

    try:
        for index in range(len(ids)):
            key = IMPORT_KEY + ids[index]
            window_id = window_ids[index]
            period = periods.get(window_id)
            if period is None and window_id not in periods:
                period = periods[window_id] = _period(windows.get(window_id))
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
            ok = True
            if valid is not None:
                checked = valid.get((window_id, text))
                if checked is None:
                    active = window.couples
                    checked = valid[window_id, text] = all(
                        couple in active and 1 <= votes <= cap for couple, votes in allocation
                    )
                ok = checked
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
                    batch.tally_ops.append((window, web, replaced, ts_us, -1, seq, 0))
            else:
                undo.append((book, cap_key, votes))
            accepted.append(index)
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
        if accepted:
            batch.tally_ops.extend(_tallied(chunk, accepted, windows))
    return ChunkOutcome(len(ids), receipts, others)


def _rows_valid(chunk: ImportChunk, windows: Mapping[str, WindowState], cap: int) -> bool:
    """Whether every row of ``chunk`` is for an active couple of its ballot's window with
    0..``cap`` votes (a ballot with a row of 0 votes is the per-ballot path's anyway):
    checked once per chunk of one window, not per ballot."""
    window_ids = set(chunk.windows)
    if len(window_ids) != 1 or not chunk.votes:
        return False
    window = windows.get(window_ids.pop())
    return (
        window is not None
        and max(chunk.votes) <= cap
        and min(chunk.votes) >= 0
        and all(couple in window.couples for couple in set(chunk.couples))
    )


def _tallied(
    chunk: ImportChunk, accepted: list[int], windows: Mapping[str, WindowState]
) -> list[tuple[WindowState, Channel, Allocation, int, int, int, int]]:
    """The tally changes of the ballots accepted in bulk: their votes summed per window,
    channel and minute bucket on whole columns, one change per sum (the pipeline's
    ``_publish`` sums per bucket anyway); each carries its window's last seq."""
    per_bucket = BUCKET_SECONDS * 1_000_000
    groups: dict[tuple[str, str], list[int]]
    if len(set(chunk.windows)) == 1 and len(set(chunk.channels)) == 1:
        groups = {(chunk.windows[0], chunk.channels[0]): accepted}
    else:
        groups = {}
        for index in accepted:
            groups.setdefault((chunk.windows[index], chunk.channels[index]), []).append(index)
    names = list(dict.fromkeys(chunk.couples))
    code_of = {name: code for code, name in enumerate(names)}
    codes = np.fromiter(map(code_of.__getitem__, chunk.couples), np.int64, len(chunk.couples))
    votes = np.asarray(chunk.votes, dtype=np.int64)
    starts = np.asarray(chunk.starts, dtype=np.int64)
    row_ballot = np.repeat(np.arange(len(chunk), dtype=np.int64), np.diff(starts))
    buckets = np.asarray(chunk.ts_us, dtype=np.int64) // per_bucket
    ops: list[tuple[WindowState, Channel, Allocation, int, int, int, int]] = []
    for (window_id, channel), indices in groups.items():
        window = windows[window_id]
        chosen = np.zeros(len(chunk), dtype=bool)
        chosen[indices] = True
        in_rows = chosen[row_ballot]
        bucket_of_row = buckets[row_ballot[in_rows]]
        found, position = np.unique(bucket_of_row, return_inverse=True)
        sums = np.bincount(
            position * len(names) + codes[in_rows],
            weights=votes[in_rows],
            minlength=len(found) * len(names),
        ).reshape(len(found), len(names))
        ballots = np.bincount(np.searchsorted(found, buckets[indices]), minlength=len(found))
        for place, bucket in enumerate(found.tolist()):
            allocation = tuple(
                (names[code], int(total)) for code, total in enumerate(sums[place]) if total
            )
            ops.append(
                (
                    window,
                    Channel(channel),
                    allocation,
                    bucket * per_bucket,
                    1,
                    window.next_seq - 1,
                    int(ballots[place]),
                )
            )
    return ops


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

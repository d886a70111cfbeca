"""The columnar reading of a window's log against the row reading, on generated logs.

``window_columns`` is given the stored rows a batch at a time, as the ``StoredLog`` port hands
them over; ``WindowLog.vote_table`` builds the same table from one ``LogEntry`` per ballot. The
two must agree on every column of the ``VoteTable``: codes, distinct values, their order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from ballroom.domain.voting import Allocation, Channel, LogEntry, VoteMeta
from ballroom.services.log_rows import STORED_COLUMNS, WindowLog, window_columns
from vote_tables import assert_same_table, stored_row

WINDOW = "s34w04"
COUPLES = ["alix", "andy", "danielle", "elaine", "hilaria", "jen", "robert", "whitney"]
EMAILS = ("", "zoë@exämple.org", "jo+1@gmail.com", "名前@例え.jp", "Ann@Example.ORG")
DEVICES = ("", "d-1", "Mozilla/5.0 (iPhone; ü)")


def _log(rng: np.random.Generator, ballots: int, *, numbered: bool) -> WindowLog:
    """A log with web revisions, texts, several couples a ballot and sparse identities."""
    voters = [f"v{n}" if n % 3 else f"fan-ü{n}" for n in rng.permutation(max(1, ballots // 3))]
    entries: list[LogEntry] = []
    meta: list[VoteMeta] = []
    for seq in range(1, ballots + 1):
        voter = voters[int(rng.integers(len(voters)))]
        channel = Channel.SMS if rng.random() < 0.4 else Channel.WEB
        if channel is Channel.SMS:
            allocation: Allocation = ((COUPLES[int(rng.integers(len(COUPLES)))], 1),)
        else:
            # Couples late in the list turn up late in the log: their codes come last.
            reach = min(len(COUPLES), 2 + seq * len(COUPLES) // (ballots + 1))
            picked = rng.choice(reach, size=int(rng.integers(1, reach + 1)), replace=False)
            allocation = tuple(sorted((COUPLES[int(i)], int(rng.integers(1, 11))) for i in picked))
        entries.append(
            LogEntry(
                seq=seq * 2,  # seqs need not be dense
                window=WINDOW,
                ballot_id=f"b{seq + 7}" if numbered else f"{WINDOW}-{rng.integers(10**9)}-{seq}",
                voter=voter,
                channel=channel,
                ts_us=1_759_881_600_000_000 + seq * 1_000_003,
                allocation=allocation,
                prev_hash=f"{seq - 1:064x}",
                hash=f"{seq:064x}",
            )
        )
        meta.append(
            VoteMeta(
                email=EMAILS[int(rng.integers(len(EMAILS)))],
                phone="" if rng.random() < 0.5 else f"+1202555{int(rng.integers(10**4)):04d}",
                ip="" if channel is Channel.SMS else f"198.51.100.{int(rng.integers(256))}",
                device=DEVICES[int(rng.integers(len(DEVICES)))],
            )
        )
    return WindowLog(window=WINDOW, couples=COUPLES, entries=entries, meta=meta)


def _stored(log: WindowLog) -> list[tuple[Any, ...]]:
    """The ``vote_log`` rows of ``log`` as the store hands them over (``STORED_COLUMNS``)."""
    rows = []
    for entry, meta in zip(log.entries, log.meta, strict=True):
        stored = stored_row(entry, meta)
        rows.append(tuple(stored[name] for name in STORED_COLUMNS))
    return rows


def _batch(rows: list[tuple[Any, ...]]) -> Any:
    """Rows as the ``StoredLog`` port hands them over: an Arrow record batch."""
    return pa.RecordBatch.from_arrays(
        [
            pa.array(
                [row[index] for row in rows],
                pa.int64() if name in ("seq", "ts_us") else pa.string(),
            )
            for index, name in enumerate(STORED_COLUMNS)
        ],
        names=list(STORED_COLUMNS),
    )


def _chunks(rows: list[tuple[Any, ...]], sizes: list[int]) -> Iterator[Any]:
    start = 0
    for size in sizes:
        yield _batch(rows[start : start + size])
        start += size
    yield _batch(rows[start:])


@pytest.mark.parametrize("seed", range(12))
def test_columns_equal_the_row_built_table(seed: int) -> None:
    rng = np.random.default_rng(seed)
    log = _log(rng, int(rng.integers(1, 400)), numbered=bool(seed % 2))
    rows = _stored(log)
    sizes = [int(n) for n in rng.integers(0, 60, size=8)]  # empty chunks too
    columns = window_columns(WINDOW, COUPLES, _chunks(rows, sizes))
    assert_same_table(log.vote_table(), columns.table)
    assert columns.couples == COUPLES
    assert columns.ballot_seq.tolist() == [entry.seq for entry in log.entries]
    assert set(columns.voters.values.to_pylist()) == log.voters()
    assert len(columns.voters) == len(log.voters())


def test_an_empty_log_gives_the_empty_table() -> None:
    empty = WindowLog(window=WINDOW, couples=COUPLES, entries=[], meta=[])
    columns = window_columns(WINDOW, COUPLES, iter([]))
    assert_same_table(empty.vote_table(), columns.table)
    assert len(columns.table) == 0
    assert columns.seqs_of(["v1"]) == []
    assert "v1" not in columns.voters


def test_a_ballot_without_votes_has_no_row_in_either_reading() -> None:
    log = _log(np.random.default_rng(3), 40, numbered=True)
    emptied = dataclasses.replace(log.entries[0], allocation=())
    log = dataclasses.replace(log, entries=[emptied, *log.entries[1:]])
    rows = _stored(log)
    assert rows[0][STORED_COLUMNS.index("allocation")] == "{}"
    columns = window_columns(WINDOW, COUPLES, _chunks(rows, [5, 5]))
    assert_same_table(log.vote_table(), columns.table)


def test_voters_ballots_are_found_by_their_place_in_the_log() -> None:
    log = _log(np.random.default_rng(8), 300, numbered=False)
    columns = window_columns(WINDOW, COUPLES, _chunks(_stored(log), [100, 100]))
    some = sorted(log.voters())[:5]
    assert columns.seqs_of([*some, "nobody"]) == [e.seq for e in log.entries if e.voter in some]
    assert columns.seqs_of([]) == []
    assert all(voter in columns.voters for voter in some)
    assert "nobody" not in columns.voters
    assert 7 not in columns.voters


def test_an_unknown_channel_is_refused_as_the_row_reading_refuses_it() -> None:
    log = _log(np.random.default_rng(1), 10, numbered=True)
    rows = _stored(log)
    channel = STORED_COLUMNS.index("channel")
    rows[4] = (*rows[4][:channel], "fax", *rows[4][channel + 1 :])
    with pytest.raises(ValueError, match="fax"):
        window_columns(WINDOW, COUPLES, iter([_batch(rows)]))

"""``export_window`` over an in-memory ``StoredLog`` (no database): the files verify and hold
the log's rows and the domain's recount; and the CSV times, the text
``pyarrow.compute.strftime`` gives every row, made once per distinct second."""

from __future__ import annotations

import json
from collections.abc import Collection, Generator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballroom.adapters.interchange import read_vote_rows
from ballroom.domain.voting import (
    GENESIS_HASH,
    Allocation,
    Channel,
    LogEntry,
    VoteMeta,
    entry_hash,
    recount,
)
from ballroom.errors import NotFound
from ballroom.services.exports import csv_times, export_window
from ballroom.services.log_rows import WindowLog
from ballroom.services.verification import verify_export
from vote_tables import stored_row

WINDOW = "s34w04"
COUPLES = ["alix,jr", "hilaria", 'rob"ert\\', "zoë"]
START_US = 1_759_867_200_000_000  # 2025-10-07T20:00:00Z

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# 1900 to 2200, both sides of the epoch, microseconds anywhere in a second.
_TS = st.integers(min_value=-2_208_988_800_000_000, max_value=7_258_118_400_000_000)


@given(st.lists(_TS, max_size=50), st.integers(min_value=0, max_value=3))
def test_csv_times_are_strftimes_text(values: list[int], repeats: int) -> None:
    ts_us = np.array(values * (repeats + 1), dtype=np.int64)
    expected = pc.strftime(pa.array(ts_us, pa.timestamp("us", tz="UTC")), format=_FORMAT)
    assert csv_times(ts_us).to_pylist() == expected.to_pylist()


def test_times_in_one_second_share_its_text_and_keep_their_microseconds() -> None:
    base = 1_759_881_600_000_000
    ts_us = np.array([base + 999_999, base, base + 1, base - 1], dtype=np.int64)
    assert csv_times(ts_us).to_pylist() == [
        "2025-10-08T00:00:00.999999Z",
        "2025-10-08T00:00:00.000000Z",
        "2025-10-08T00:00:00.000001Z",
        "2025-10-07T23:59:59.999999Z",
    ]


class LogInMemory:
    """The ``StoredLog`` port over a window's entries held in a list."""

    def __init__(self, log: WindowLog, revealed_at: float | None = None) -> None:
        self.log = log
        self.revealed = revealed_at

    def couples(self, window: str) -> list[str]:
        if window != self.log.window:
            raise NotFound(f"no voting window {window!r}", field="window")
        return sorted(self.log.couples)

    def revealed_at(self, window: str) -> float | None:
        return self.revealed

    def batches(self, window: str, columns: Sequence[str], rows: int) -> Generator[Any, None, None]:
        pairs = list(zip(self.log.entries, self.log.meta, strict=True)) if window == WINDOW else []
        for start in range(0, len(pairs), rows):
            chunk = pairs[start : start + rows]
            stored = [stored_row(entry, meta) for entry, meta in chunk]
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(
                        [row[name] for row in stored],
                        pa.int64() if name in ("seq", "ts_us") else pa.string(),
                    )
                    for name in columns
                ],
                names=list(columns),
            )

    def entries(
        self,
        window: str,
        *,
        voters: Collection[str] | None = None,
        seqs: Collection[int] | None = None,
    ) -> list[tuple[LogEntry, VoteMeta]]:
        return [
            (entry, meta)
            for entry, meta in zip(self.log.entries, self.log.meta, strict=True)
            if (voters is None or entry.voter in voters) and (seqs is None or entry.seq in seqs)
        ]


def _night(ballots: int) -> WindowLog:
    """Web ballots revised and one withdrawn, texts, names that need quoting, chained."""
    entries, meta = [], []
    prev = GENESIS_HASH
    for seq in range(1, ballots + 1):
        sms = seq % 3 == 0
        allocation: Allocation = (
            ((COUPLES[seq % 4], 1),)
            if sms
            else ()
            if seq == ballots
            else tuple(sorted({COUPLES[seq % 4]: seq % 10 + 1, "zoë": 2}.items()))
        )
        entry = LogEntry(
            seq=seq,
            window=WINDOW,
            ballot_id=f"b{seq}",
            voter=f"+1212555{seq:04d}" if sms else ['fan"1', "fan,2", "fan\n3"][seq % 3],
            channel=Channel.SMS if sms else Channel.WEB,
            ts_us=START_US + seq * 1_234_567,
            allocation=allocation,
            prev_hash=prev,
        )
        prev = entry_hash(entry, prev)
        entries.append(LogEntry(**{**entry.__dict__, "hash": prev}))
        meta.append(VoteMeta(email="" if sms or seq < 5 else "fan@example.com", phone=""))
    return WindowLog(window=WINDOW, couples=COUPLES, entries=entries, meta=meta)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("fetch_ballots", [1, 4, 100])
def test_an_export_from_the_port_verifies_and_holds_the_log(
    tmp_path: Path, fmt: str, fetch_ballots: int
) -> None:
    log = _night(14)  # the last web ballot a withdrawal: one row of 0 votes
    revealed = datetime(2025, 10, 7, 21, 30, tzinfo=UTC).timestamp()
    manifest = export_window(
        LogInMemory(log, revealed), WINDOW, tmp_path, fmt=fmt, fetch_ballots=fetch_ballots
    )
    assert manifest["entries"] == 14
    assert manifest["root"] == log.entries[-1].hash
    assert manifest["opens_at"] == "2025-10-07T21:30:00Z"
    assert verify_export(tmp_path)["root"] == log.entries[-1].hash
    assert list(read_vote_rows(tmp_path / f"votes.{fmt}")) == list(log.vote_rows())
    results = json.loads((tmp_path / "results.json").read_text())
    assert results == json.loads(json.dumps(recount(WINDOW, log.entries, COUPLES).as_dict()))


def test_an_unknown_window_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        export_window(LogInMemory(_night(3)), "s34w99", tmp_path / "out")
    assert not (tmp_path / "out").exists()

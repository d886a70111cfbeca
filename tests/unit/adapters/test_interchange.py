"""The vote-log interchange format: round trips, and errors that name the row and column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bad_vote_rows import BAD_VALUES
from ballroom.adapters.interchange import (
    COLUMNS,
    VoteRow,
    first_rows,
    read_vote_rows,
    read_vote_table,
    write_vote_arrow,
    write_vote_rows,
)
from ballroom.errors import MalformedDocument

T0 = datetime(2025, 10, 8, 0, 0, tzinfo=UTC)
ROWS = [
    VoteRow("b1", T0, "s34w04", "v1", "web", "robert", 10, "a@x.com", "", "1.2.3.4", "d1"),
    VoteRow("b1", T0, "s34w04", "v1", "web", "alix", 3, "a@x.com", "", "1.2.3.4", "d1"),
    VoteRow("b2", T0 + timedelta(seconds=5), "s34w04", "v2", "sms", "hilaria", 1, phone="+1555"),
]
HEADER = ",".join(COLUMNS)
GOOD = "b1,2025-10-08T00:00:00Z,s34w04,v1,web,robert,10,a@x.com,,1.2.3.4,d1"


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_round_trip_rows_and_table(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"votes.{suffix}"
    assert write_vote_rows(path, ROWS) == 3
    assert list(read_vote_rows(path)) == ROWS
    table = read_vote_table(path)
    assert len(table) == 3
    assert table.voter.labels() == ["v1", "v2"]
    assert table.sms.tolist() == [False, False, True]
    assert table.votes.tolist() == [10, 3, 1]
    assert table.ts_us[2] - table.ts_us[0] == 5_000_000
    assert [table.couple.label(c) for c in table.couple.codes] == ["robert", "alix", "hilaria"]


def test_offsets_are_converted_to_utc(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(f"{HEADER}\nb1,2025-10-07T20:00:00-04:00,w,v1,web,robert,10,,,,\n")
    row = next(read_vote_rows(path))
    assert row.ts == datetime(2025, 10, 8, tzinfo=timezone.utc)  # noqa: UP017 - explicit
    assert read_vote_table(path).ts_us[0] == int(row.ts.timestamp() * 1_000_000)


def _bad(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n{GOOD}\n{line}\n{GOOD}\n")
    return path


@pytest.mark.parametrize(("line", "column", "says"), BAD_VALUES)
def test_both_readers_name_the_bad_row_and_column(
    tmp_path: Path, line: str, column: str, says: str
) -> None:
    path = _bad(tmp_path, line)
    for read in (lambda p: list(read_vote_rows(p)), read_vote_table):
        with pytest.raises(MalformedDocument) as caught:
            read(path)
        assert "row 3" in caught.value.message
        assert repr(column) in caught.value.message
        assert says in caught.value.message
        assert caught.value.field == column


def test_ragged_row_is_named(tmp_path: Path) -> None:
    path = _bad(tmp_path, "b3,2025-10-08T00:00:00Z,s34w04,v1,web")
    with pytest.raises(MalformedDocument, match=r"row 3 \(line 4\): 5 fields, expected 11"):
        read_vote_table(path)


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("ballot_id,ts,window,voter,channel,couple\n")
    for read in (lambda p: list(read_vote_rows(p)), read_vote_table):
        with pytest.raises(MalformedDocument, match="missing columns votes, email") as caught:
            read(path)
        assert caught.value.field == "votes"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("")
    with pytest.raises(MalformedDocument, match="empty file"):
        read_vote_table(path)


def test_columnar_codes_match_rows(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    rows = [
        VoteRow(
            f"b{i}",
            T0 + timedelta(seconds=i),
            "w",
            f"v{i % 7}",
            "web" if i % 3 else "sms",
            ["robert", "alix", "andy"][i % 3],
            1 + i % 10,
            f"e{i % 5}@x.com",
        )
        for i in range(200)
    ]
    write_vote_rows(path, rows)
    table = read_vote_table(path)
    voters = table.voter.labels()
    assert [voters[c] for c in table.voter.codes] == [r.voter for r in rows]
    assert np.array_equal(table.sms, np.array([r.channel == "sms" for r in rows]))


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize(
    ("ids", "numbered"),
    [
        (["b1", "b2", "b2", "b7"], True),  # a prefix and a counter: codes are the numbers
        (["17", "18", "17", "20"], True),  # digits alone
        (["b1", "b01", "b1", "b2"], False),  # a leading zero: b01 is not b1
        (["b1", "c2", "b1", "b3"], False),  # two prefixes
        (["b1", "b2", "b2", "b99999999"], False),  # too sparse to index arrays by
        (["x", "y", "x", "z"], False),
    ],
)
def test_ballot_ids_coded_by_number_or_by_dictionary(
    tmp_path: Path, suffix: str, ids: list[str], numbered: bool
) -> None:
    path = tmp_path / f"votes.{suffix}"
    rows = [VoteRow(ballot, T0, "w", f"v{i}", "web", "robert", 10) for i, ballot in enumerate(ids)]
    write_vote_rows(path, rows)
    ballot = read_vote_table(path).ballot
    assert (ballot.values is None) is numbered
    assert ballot.labels_of(ballot.codes) == ids
    codes = ballot.codes.tolist()
    assert [codes.index(c) for c in codes] == [ids.index(b) for b in ids]  # same grouping


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=40), st.booleans())
def test_first_rows_are_the_smallest_row_of_each_code(codes: list[int], grouped: bool) -> None:
    # Grouped: each code's rows together (as ballots are written), the run-start path.
    values = np.asarray(sorted(codes) if grouped else codes, dtype=np.int32)
    rows = np.arange(len(values), dtype=np.int64) * 2 + 1  # some rows, as web rows are
    n_rows = 2 * len(values) + 1
    expected = np.full(7, n_rows, dtype=np.int64)
    for row, code in zip(rows, values, strict=True):
        expected[code] = min(expected[code], row)
    first, ordered = first_rows(values, rows, 7, n_rows)
    assert first.tolist() == expected.tolist()
    assert ordered.tolist() == sorted(r for r in expected.tolist() if r < n_rows)


def test_one_window_log_keeps_its_window_code_once(tmp_path: Path) -> None:
    """Read as one window (identities per voter), the window column is one code repeated."""
    path = tmp_path / "night.parquet"
    table = pa.table(
        {
            "ballot_id": ["b1", "b1", "b2"],
            "ts": pa.array([0, 1, 2], type=pa.timestamp("us", tz="UTC")),
            "window": ["final", "final", "final"],
            "voter": ["v1", "v1", "v2"],
            "channel": ["web", "web", "sms"],
            "couple": ["c1", "c2", "c1"],
            "votes": pa.array([3, 2, 1], type=pa.int8()),
            "email": ["a@x.org", "a@x.org", "b@x.org"],
            "phone": ["", "", "+15550100"],
            "ip": ["1.2.3.4", "1.2.3.4", ""],
            "device": ["d1", "d1", ""],
        }
    )
    write_vote_arrow(path, table)
    read = read_vote_table(path)
    assert read.per_voter
    assert read.window.codes.tolist() == [0, 0, 0]
    assert read.window.codes.strides == (0,)

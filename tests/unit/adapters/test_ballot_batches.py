"""Whole ballots read in column batches: the same ballots and the same errors as the row reader."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_vote_rows import BAD_VALUES
from ballroom.adapters import ballot_batches
from ballroom.adapters.ballot_batches import BallotIds, id_hashes, read_ballot_batches
from ballroom.adapters.interchange import (
    COLUMNS,
    OPTIONAL,
    VoteRow,
    read_vote_rows,
    write_vote_rows,
)
from ballroom.errors import MalformedDocument
from ballroom.services.importing import ballots_from_rows, check_file, read_ballots

T0 = datetime(2025, 10, 8, 0, 0, tzinfo=UTC)
HEADER = ",".join(COLUMNS)
GOOD = "b1,2025-10-08T00:00:00Z,s34w04,v1,web,robert,10,a@x.com,,1.2.3.4,d1"


def _night(ballots: list[tuple[str, list[tuple[str, int]]]]) -> list[VoteRow]:
    rows = []
    for n, (channel, pairs) in enumerate(ballots):
        for couple, votes in pairs:
            rows.append(
                VoteRow(
                    f"b{n}",
                    T0 + timedelta(microseconds=n * 1_234_567),
                    "s34w04",
                    f"v{n % 7}",
                    channel,
                    couple,
                    votes,
                    email=f"v{n % 7}@x.com",
                    ip="10.0.0.1" if channel == "web" else "",
                    phone="" if channel == "web" else f"+1212555000{n % 7}",
                )
            )
    return rows


_BALLOTS = st.lists(
    st.one_of(
        st.tuples(
            st.just("web"),
            st.lists(
                st.tuples(st.sampled_from(["robert", "alix", "jen", "dylan"]), st.integers(1, 10)),
                min_size=1,
                max_size=4,
                unique_by=lambda pair: pair[0],
            ),
        ),
        st.tuples(
            st.just("sms"),
            st.tuples(st.sampled_from(["robert", "alix"]), st.just(1)).map(lambda pair: [pair]),
        ),
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ballots=_BALLOTS, batch_rows=st.integers(1, 9), suffix=st.sampled_from(["csv", "parquet"]))
def test_the_same_ballots_as_the_row_reader_whatever_the_batch_size(
    tmp_path: Path, ballots: list[tuple[str, list[tuple[str, int]]]], batch_rows: int, suffix: str
) -> None:
    path = tmp_path / f"votes.{suffix}"
    rows = _night(ballots)
    write_vote_rows(path, rows)
    expected = list(ballots_from_rows(rows))
    batches = list(read_ballot_batches(path, optional=OPTIONAL, batch_rows=batch_rows))
    assert sum(batch.entries for batch in batches) == len(expected)
    assert [b.first_entry for b in batches] == [
        sum(x.entries for x in batches[:i]) for i in range(len(batches))
    ]
    assert list(read_ballots(path)) == expected
    assert check_file(path) == len(expected)
    ids = BallotIds(path)
    for batch in batches:
        ids.add(batch)
    assert ids.all_distinct()


def _file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "votes.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


@pytest.mark.parametrize(("line", "column", "says"), BAD_VALUES)
def test_a_bad_value_is_named_by_row_and_column(
    tmp_path: Path, line: str, column: str, says: str
) -> None:
    path = _file(tmp_path, GOOD, GOOD.replace("b1", "b2"), line, GOOD.replace("b1", "b4"))
    with pytest.raises(MalformedDocument) as caught:
        check_file(path)
    assert "row 3" in caught.value.message
    assert repr(column) in caught.value.message
    assert says in caught.value.message


@pytest.mark.parametrize(
    ("second", "says", "field"),
    [
        ("b1,2025-10-08T00:00:01Z,s34w04,v1,web,alix,1,,,,", "two different tss", "ts"),
        ("b1,2025-10-08T00:00:00Z,s34w04,v2,web,alix,1,,,,", "two different voters", "voter"),
        ("b1,2025-10-08T00:00:00Z,s34w04,v1,sms,alix,1,,,,", "two different channels", "channel"),
        ("b1,2025-10-08T00:00:00Z,s34w04,v1,web,robert,1,,,,", "names 'robert' twice", "couple"),
    ],
)
def test_a_ballots_rows_must_agree(tmp_path: Path, second: str, says: str, field: str) -> None:
    path = _file(tmp_path, GOOD, second)
    for batch_rows in (1, 100):
        with pytest.raises(MalformedDocument) as caught:
            list(read_ballot_batches(path, batch_rows=batch_rows))
        assert "row 2" in caught.value.message
        assert says in caught.value.message
        assert caught.value.field == field


def test_a_ballot_id_that_comes_back_is_named_at_its_row(tmp_path: Path) -> None:
    path = _file(tmp_path, GOOD, GOOD.replace("b1", "b2"), GOOD.replace("robert", "alix"))
    with pytest.raises(MalformedDocument, match=r"row 3: ballot 'b1' appears again"):
        check_file(path)


def test_more_than_six_decimals_are_truncated_as_python_reads_them(tmp_path: Path) -> None:
    path = _file(tmp_path, GOOD.replace("00:00:00Z", "00:00:00.123456789+02:00"))
    (ballot,) = read_ballots(path)
    (row,) = ballots_from_rows(read_vote_rows(path))
    assert ballot.ts_us == row.ts_us


@pytest.mark.parametrize(
    "second", ["sam", "alix"], ids=["rows already in couple order", "rows to sort"]
)
def test_a_batch_is_freed_as_soon_as_it_is_dropped(tmp_path: Path, second: str) -> None:
    # A stream of millions of rows relies on each batch going when the next comes: one kept
    # alive by a reference cycle waits for the cyclic collector and a night's batches pile up.
    path = _file(tmp_path, GOOD, GOOD.replace("robert", second), GOOD.replace("b1", "b2"))
    (batch,) = read_ballot_batches(path)
    ordered = batch.sorted_by_couple()
    assert ordered.column("couple").to_pylist()[:2] == sorted(["robert", second])
    gone = [weakref.ref(batch), weakref.ref(ordered)]
    gc.disable()
    try:
        del batch, ordered
        assert [ref() for ref in gone] == [None, None]
    finally:
        gc.enable()


def _ids_file(tmp_path: Path, ids: list[str]) -> Path:
    lines = [GOOD.replace("b1,", f"{ballot_id},", 1) for ballot_id in ids]
    return _file(tmp_path, *lines)


def _distinct(path: Path) -> bool:
    ids = BallotIds(path)
    for batch in read_ballot_batches(path, batch_rows=3):
        ids.add(batch)
    return ids.all_distinct()


_IDS = st.lists(
    st.text(st.characters(codec="utf-8", exclude_characters=',"\r\n'), min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ids=_IDS)
def test_ballot_ids_are_distinct_exactly_when_no_two_are_the_same_text(
    tmp_path: Path, ids: list[str]
) -> None:
    # Consecutive equal ids would be one ballot's rows: one row per ballot here.
    ballots = [ballot_id for n, ballot_id in enumerate(ids) if n == 0 or ids[n - 1] != ballot_id]
    assert _distinct(_ids_file(tmp_path, ballots)) == (len(set(ballots)) == len(ballots))


def test_equal_hashes_are_checked_on_the_ids_themselves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every id given the same hash: only the exact comparison can tell them apart.
    monkeypatch.setattr(
        ballot_batches, "id_hashes", lambda ids: np.zeros(len(ids), dtype=np.uint64)
    )
    assert _distinct(_ids_file(tmp_path, ["b1", "b2", "b3", "b4"]))
    assert not _distinct(_ids_file(tmp_path, ["b1", "b2", "b3", "b2"]))


def test_an_id_hash_depends_on_every_byte_and_the_length() -> None:
    ids = ["b1", "b2", "1b", "b1 ", "", "\x00", "\x00\x00", "é", "b" * 300, "b" * 299 + "c"]
    hashes = id_hashes(pa.array(ids).slice(0))
    assert len(set(hashes.tolist())) == len(ids)
    assert id_hashes(pa.array(ids[3:]).slice(0)).tolist() == hashes[3:].tolist()
    assert id_hashes(pa.array(ids).slice(3)).tolist() == hashes[3:].tolist()

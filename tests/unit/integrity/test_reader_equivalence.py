"""Every way into a ``VoteTable`` gives the same analysis, to the last field of the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ballroom.adapters import interchange
from ballroom.adapters.interchange import (
    VoteTable,
    read_vote_table,
    vote_table_from_arrow,
    write_vote_arrow,
    write_vote_parts,
)
from ballroom.errors import InvalidInput, WrongType
from ballroom.integrity.analysis import analyze
from ballroom.integrity.electorate import Campaign, Scenario, generate, generate_shards
from ballroom.integrity.tally import _subset, allocations, single_window


def test_fast_parquet_csv_foreign_parquet_and_memory_agree(tmp_path: Path) -> None:
    electorate = generate(
        Scenario(voters=3000, farms=4, bots=1, seed=7, campaigns=(Campaign("hilaria", 0.05),))
    )
    ours, text, foreign = tmp_path / "a.parquet", tmp_path / "a.csv", tmp_path / "b.parquet"
    write_vote_arrow(ours, electorate.table)
    write_vote_arrow(text, electorate.table)
    # Another tool's layout: small row groups, plain strings (the reader's slow path).
    pq.write_table(electorate.table, foreign, row_group_size=1000, use_dictionary=False)
    assert pq.ParquetFile(ours).metadata.num_row_groups == 1

    def report(table: VoteTable) -> dict[str, object]:
        result = analyze(table, draws=0)
        return result.as_dict() | {"timeline": result.timeline}

    expected = report(vote_table_from_arrow(electorate.table))
    assert expected["flagged_voters"]
    assert expected["campaigns"]
    for path in (ours, text, foreign):
        assert report(read_vote_table(path)) == expected, path.name


def _report(table: VoteTable, window: str | None = None) -> dict[str, object]:
    result = analyze(table, window=window, draws=0)
    return result.as_dict() | {"timeline": result.timeline}


def test_identities_kept_per_voter_give_the_per_row_report() -> None:
    electorate = generate(Scenario(voters=2000, farms=6, bots=2, camouflage=0.5, seed=11))
    one = vote_table_from_arrow(electorate.table)
    assert one.per_voter
    assert one.ballot_ip is not None
    assert len(one.email.codes) == len(one.voter) + 1  # a slot per voter and the last row's
    # The same rows with a second window appended: identities stay per row, the window is cut.
    other = electorate.table.slice(0, 500)
    other = other.set_column(
        other.schema.get_field_index("window"), "window", pa.array(["s34w05"] * 500)
    )
    # In the other window the same voters use other addresses: they must not leak in.
    for name in ("email", "ip", "device"):
        other = other.set_column(
            other.schema.get_field_index(name), name, pa.array([f"x{i}" for i in range(500)])
        )
    both = vote_table_from_arrow(pa.concat_tables([other, electorate.table]))
    assert not both.per_voter
    assert both.ballot_ip is None
    assert _report(both, "s34w04") == _report(one) == _report(one, "s34w04")


def test_per_voter_and_per_row_identities_agree_for_voters_with_and_without_rows() -> None:
    electorate = generate(Scenario(voters=300, farms=1, bots=1, seed=3))
    one = vote_table_from_arrow(electorate.table)
    # One row of another window in front: identities per row, then cut back to this window.
    extra = electorate.table.slice(0, 1)
    extra = extra.set_column(extra.schema.get_field_index("window"), "window", pa.array(["zz"]))
    rows = single_window(
        vote_table_from_arrow(pa.concat_tables([extra, electorate.table])), "s34w04"
    )
    assert one.per_voter
    assert not rows.per_voter
    assert len(rows) == len(one)
    first = allocations(one).first_row
    assert np.array_equal(first, allocations(rows).first_row)
    first[::7] = len(one)  # these voters have no row: both read the last row's identity
    for name in ("email", "phone", "ip", "device"):
        per_voter = getattr(one, name).labels_of(one.voter_codes(getattr(one, name), first))
        per_row = getattr(rows, name).labels_of(rows.voter_codes(getattr(rows, name), first))
        assert per_voter == per_row, name
    last = electorate.table.column("email")[len(one) - 1].as_py()
    assert per_voter_email(one, first)[0] == last


def per_voter_email(table: VoteTable, first: npt.NDArray[np.int64]) -> list[str]:
    return table.email.labels_of(table.voter_codes(table.email, first))


def test_a_one_window_table_refuses_a_partial_cut() -> None:
    table = vote_table_from_arrow(generate(Scenario(voters=200, farms=1, bots=1, seed=5)).table)
    mask = np.ones(len(table), dtype=bool)
    mask[0] = False
    with pytest.raises(InvalidInput):
        _subset(table, mask)
    assert _subset(table, np.ones(len(table), dtype=bool)) is table


def test_sharded_night_is_one_log_of_distinct_ballots_and_voters(tmp_path: Path) -> None:
    scenario = Scenario(voters=3000, farms=6, bots=3, seed=9)
    path = tmp_path / "parts.parquet"
    rows = write_vote_parts(path, generate_shards(scenario, 3))
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    table = pq.read_table(path)
    assert rows == table.num_rows
    parts = list(generate_shards(scenario, 3))
    voters = [set(part.column("voter").to_pylist()) for part in parts]
    assert not voters[0] & voters[1]
    assert not voters[1] & voters[2]
    ballots = table.column("ballot_id").unique().to_pylist()
    numbers = sorted(int(b[1:]) for b in ballots)
    assert numbers == list(range(1, len(numbers) + 1))  # counting on across the parts
    # The row groups' dictionaries are unified on reading: the same report as from memory.
    assert _report(read_vote_table(path)) == _report(vote_table_from_arrow(table))
    # Or as one row group, the layout write_vote_arrow gives: the same rows and report.
    one = tmp_path / "one.parquet"
    assert write_vote_parts(one, parts, one_row_group=True) == rows
    assert pq.ParquetFile(one).metadata.num_row_groups == 1
    assert pq.read_table(one).equals(table)
    assert _report(read_vote_table(one)) == _report(vote_table_from_arrow(table))
    single = next(generate_shards(scenario, 1))
    assert single.equals(generate(scenario).table)
    with pytest.raises(WrongType):
        next(generate_shards(scenario, 0))
    with pytest.raises(InvalidInput):
        write_vote_parts(tmp_path / "parts.csv", parts)


def test_numbered_ids_read_in_batches_and_fall_back_when_one_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interchange, "_BATCH_ROWS", 700)
    table = generate(Scenario(voters=1500, farms=3, bots=1, seed=4)).table
    expected = _report(vote_table_from_arrow(table))
    numbered, mixed = tmp_path / "n.parquet", tmp_path / "m.parquet"
    write_vote_arrow(numbered, table)
    read = read_vote_table(numbered)
    assert read.ballot.values is None  # numbered, batch by batch
    assert _report(read) == expected
    # One id late in the log is not written as a number: the whole column takes the dictionary.
    ids = table.column("ballot_id").to_pylist()
    ids = [i if i != ids[-1] else "late-" + i for i in ids]
    index = table.schema.get_field_index("ballot_id")
    write_vote_arrow(mixed, table.set_column(index, "ballot_id", pa.array(ids)))
    read = read_vote_table(mixed)
    assert read.ballot.values is not None
    assert _report(read) == expected

"""The paths that make big nights fast give the plain path's results, and put things back."""

from __future__ import annotations

import ctypes
import platform
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballroom.adapters.interchange import read_vote_table, vote_table_from_arrow, write_vote_arrow
from ballroom.errors import UnknownCouple
from ballroom.integrity import detectors
from ballroom.integrity.analysis import analyze, groundwork, retained_memory
from ballroom.integrity.detectors import _commonest_ballot, detect
from ballroom.integrity.electorate import Scenario, generate
from ballroom.integrity.tally import allocations


def test_identities_beside_the_allocations_and_texters_give_the_same_findings() -> None:
    table = vote_table_from_arrow(
        generate(Scenario(voters=3000, farms=6, bots=2, camouflage=0.4, sim_banks=2, seed=21)).table
    )
    prepared = groundwork(table)
    alloc = prepared.alloc
    plain = allocations(table)
    assert np.array_equal(alloc.web, plain.web)
    assert np.array_equal(alloc.sms, plain.sms)
    assert np.array_equal(alloc.kept, plain.kept)
    together = detect(table, alloc, identities=prepared.identities, texting=prepared.texting)
    alone = detect(table, plain)
    assert together.flagged.any()
    assert together.reasons["sms_machine"].any()  # the texters' signals came through
    assert np.array_equal(together.flagged, alone.flagged)
    assert [c.as_dict() for c in together.clusters] == [c.as_dict() for c in alone.clusters]
    assert [c.as_dict() for c in together.campaigns] == [c.as_dict() for c in alone.campaigns]


def test_an_unknown_couple_still_fails_with_identities_in_flight() -> None:
    table = vote_table_from_arrow(generate(Scenario(voters=300, farms=1, bots=1, seed=2)).table)
    with pytest.raises(UnknownCouple, match="is not dancing"):
        groundwork(table, ["robert", "alix", "whitney"])


def _glibc() -> bool:
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def test_retained_memory_switches_arrow_to_glibc_and_back() -> None:
    before = pa.default_memory_pool().backend_name
    with retained_memory():
        inside = pa.default_memory_pool().backend_name
        with retained_memory():  # nested (or a second analysis in a thread): no change
            assert pa.default_memory_pool().backend_name == inside
        assert pa.default_memory_pool().backend_name == inside
        # Memory freed in here is reused: a big block allocated twice stays in the process.
        block = np.ones(64 << 20, dtype=np.uint8)
        del block
        assert int(np.ones(64 << 20, dtype=np.uint8).sum()) == 64 << 20
    assert pa.default_memory_pool().backend_name == before
    if _glibc():
        assert inside == "system"
        ctypes.CDLL(None).malloc_trim(0)  # the settings are back: trimming works as usual
    else:
        assert inside == before


def test_retained_memory_restores_after_an_error() -> None:
    before = pa.default_memory_pool().backend_name
    with pytest.raises(ZeroDivisionError), retained_memory():
        _ = 1 / 0
    assert pa.default_memory_pool().backend_name == before


def test_written_parquet_keeps_ballot_ids_plain_and_the_rest_as_dictionaries(
    tmp_path: Path,
) -> None:
    electorate = generate(Scenario(voters=1500, farms=2, bots=1, seed=8))
    path = tmp_path / "night.parquet"
    write_vote_arrow(path, electorate.table)
    column = pq.ParquetFile(path).metadata.row_group(0)
    encodings = {
        column.column(i).path_in_schema: set(column.column(i).encodings)
        for i in range(column.num_columns)
    }
    assert not any("DICTIONARY" in e for e in encodings["ballot_id"])
    for name in ("voter", "email", "phone", "ip", "device", "window", "channel", "couple"):
        assert any("DICTIONARY" in e for e in encodings[name]), name
    expected = analyze(vote_table_from_arrow(electorate.table), draws=0)
    got = analyze(read_vote_table(path), draws=0)
    assert got.as_dict() == expected.as_dict()
    assert got.timeline == expected.timeline


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda width: st.lists(
            st.lists(st.integers(0, 10), min_size=width, max_size=width), min_size=1, max_size=30
        )
    )
)
def test_commonest_ballot_is_what_unique_rows_give(rows: list[list[int]]) -> None:
    web = np.asarray(rows, dtype=np.int8)
    unique, counts = np.unique(web, axis=0, return_counts=True)
    top = int(counts.argmax())
    count, ballot = _commonest_ballot(web)
    assert count == int(counts[top])
    assert np.array_equal(ballot, unique[top])


def test_commonest_ballot_of_wide_or_odd_rows_falls_back_to_unique_rows() -> None:
    wide = np.tile(np.arange(20, dtype=np.int8) % 11, (3, 1))
    wide[0, 0] = 3
    assert _commonest_ballot(wide)[0] == 2
    odd = np.asarray([[12, 0, 1], [12, 0, 1], [0, 0, 1]], dtype=np.int8)
    count, ballot = _commonest_ballot(odd)
    assert count == 2
    assert ballot.tolist() == [12, 0, 1]


def test_addresses_normalised_in_slices_give_the_same_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = vote_table_from_arrow(
        generate(Scenario(voters=2500, farms=8, bots=1, camouflage=0.3, seed=17)).table
    )
    alloc = allocations(table)
    whole = detect(table, alloc)
    monkeypatch.setattr(detectors, "_EMAIL_SLICE", 300)
    sliced = detect(table, alloc)
    assert whole.flagged.any()
    assert np.array_equal(sliced.flagged, whole.flagged)
    assert [c.as_dict() for c in sliced.clusters] == [c.as_dict() for c in whole.clusters]


def test_row_groups_with_nulls_or_plain_strings_read_as_a_whole_column(tmp_path: Path) -> None:
    table = generate(Scenario(voters=1500, farms=3, bots=1, seed=12)).table
    emails = table.column("email").to_pylist()
    emails[5] = None  # a null address: the row-group path steps aside
    with_null = table.set_column(table.schema.get_field_index("email"), "email", pa.array(emails))
    expected = analyze(vote_table_from_arrow(with_null), draws=0)
    grouped, plain = tmp_path / "grouped.parquet", tmp_path / "plain.parquet"
    pq.write_table(with_null, grouped, row_group_size=2000)
    # Plain strings in several row groups: no dictionaries to take codes from.
    pq.write_table(table, plain, row_group_size=3000, use_dictionary=False)
    assert pq.ParquetFile(grouped).metadata.num_row_groups > 2
    got = analyze(read_vote_table(grouped), draws=0)
    assert got.as_dict() == expected.as_dict()
    assert got.timeline == expected.timeline
    memory = analyze(vote_table_from_arrow(table), draws=0)
    assert analyze(read_vote_table(plain), draws=0).as_dict() == memory.as_dict()

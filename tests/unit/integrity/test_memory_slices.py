"""The slice-at-a-time paths that bound a big night's memory give the whole-array results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballroom.adapters.interchange import read_vote_table, vote_table_from_arrow, write_vote_arrow
from ballroom.integrity import detectors
from ballroom.integrity.analysis import analyze
from ballroom.integrity.detectors import detect, identity_values
from ballroom.integrity.electorate import Scenario, generate
from ballroom.integrity.tally import CAP, allocations


def _night() -> pa.Table:
    return generate(Scenario(voters=3000, farms=6, bots=3, camouflage=0.4, seed=21)).table


def test_detectors_in_small_slices_find_exactly_what_they_find_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = vote_table_from_arrow(_night())
    alloc = allocations(table)
    whole = detect(table, alloc, identities=identity_values(table))
    assert whole.reasons["machine_timing"].any()
    assert whole.reasons["sequential"].any()
    # Many e-mail and address slices, many parts of the ballots' blocks, many row slices.
    monkeypatch.setattr(detectors, "_EMAIL_SLICE", 97)
    monkeypatch.setattr(detectors, "_BALLOTS_PER_PART", 211)
    monkeypatch.setattr(detectors, "_ROW_SLICE", 64)
    values = identity_values(table)
    sliced = detect(table, alloc, identities=values)
    assert np.array_equal(values.ip_block[0], identity_values(table).ip_block[0])
    assert np.array_equal(sliced.flagged, whole.flagged)
    for name, mask in whole.reasons.items():
        assert np.array_equal(sliced.reasons[name], mask), name
    assert [c.as_dict() for c in sliced.clusters] == [c.as_dict() for c in whole.clusters]
    assert [c.as_dict() for c in sliced.campaigns] == [c.as_dict() for c in whole.campaigns]


def test_texts_are_summed_per_voter_and_couple_then_capped() -> None:
    night = _night()
    texts = night.filter(pc.equal(night.column("channel"), "sms"))
    table = vote_table_from_arrow(pa.concat_tables([night, texts]))  # every text sent twice
    alloc = allocations(table)
    # The plain sum over every (voter, couple), as the compact rows of sums must give.
    labels = table.couple.labels()
    column = np.asarray([alloc.couples.index(name) for name in labels])
    sums = np.zeros((alloc.n_voters, len(alloc.couples)), dtype=np.int64)
    sms = table.sms
    np.add.at(sums, (table.voter.codes[sms], column[table.couple.codes[sms]]), table.votes[sms])
    assert (sums > CAP).any()  # some voters texted past the cap
    assert np.array_equal(alloc.sms, np.minimum(sums, CAP))


def test_a_table_read_without_phones_has_no_sms_evidence(tmp_path: Path) -> None:
    # The SMS detector reads the numbers; a table read without them gets no SMS signal and
    # otherwise the same findings.
    path = tmp_path / "night.parquet"
    write_vote_arrow(path, _night())
    without = analyze(read_vote_table(path, phones=False), draws=0)
    with_phones = analyze(read_vote_table(path), draws=0)
    assert without.findings.evidence is not None
    assert with_phones.findings.evidence is not None
    assert not any(name.startswith("sms") for name in without.findings.evidence.names)
    assert any(name.startswith("sms") for name in with_phones.findings.evidence.names)
    assert without.as_dict()["campaigns"] == with_phones.as_dict()["campaigns"]


@given(
    keys=st.lists(
        st.lists(st.integers(min_value=-1, max_value=6), min_size=40, max_size=40),
        min_size=1,
        max_size=3,
    ),
    members=st.lists(st.booleans(), min_size=40, max_size=40),
)
def test_linked_groups_among_the_keyed_voters_are_the_whole_nights_components(
    keys: list[list[int]], members: list[bool]
) -> None:
    # Components found among the voters with a key only, as over every voter of the night.
    arrays = [np.asarray(key, dtype=np.int32) for key in keys]
    keyed = np.zeros(40, dtype=bool)
    for key in arrays:
        keyed |= key >= 0
    mask = np.asarray(members) & keyed  # members always have a key (they are linked)
    got = detectors._linked_groups(mask, arrays)
    want = detectors._groups(detectors._components(40, arrays), mask)
    assert [group.tolist() for group in got] == [group.tolist() for group in want]

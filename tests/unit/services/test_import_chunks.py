"""``services.import_chunks``: the texts encoded on whole columns are the domain's own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ballroom.adapters.ballot_batches import read_ballot_batches
from ballroom.adapters.interchange import OPTIONAL, VoteRow, write_vote_rows
from ballroom.adapters.vote_codec import allocation_json
from ballroom.domain.voting import Channel, canonical_bytes
from ballroom.services.import_chunks import import_chunks, select
from ballroom.services.ports import ImportChunk

START = datetime(2025, 10, 8, 20, 0, tzinfo=UTC)


def _row(ballot: str, couple: str, votes: int, voter: str = "fan", channel: str = "web") -> VoteRow:
    return VoteRow(ballot, START, "w1", voter, channel, couple, votes, phone="", email="e")


ROWS = [
    _row("b1", "zed", 3),
    _row("b1", "amy", 10),
    _row("b2", 'say "hi"', 1, voter="back\\slash"),  # texts JSON escapes
    _row("b3", "zoë", 2, voter="ünï"),  # not escaped: written as is
    _row("b4", "amy", 0),  # a withdrawal's row
    _row("b5", "amy", 0),
    _row("b5", "zed", 4),  # a ballot with a row of 0 votes
    _row("b6", "amy", 1, voter="+12025550143", channel="sms"),
]


@pytest.mark.parametrize("name", ["votes.csv", "votes.parquet"])
@pytest.mark.parametrize("size", [1, 2, 100])
def test_stored_and_entry_texts_are_the_domains(tmp_path: Path, name: str, size: int) -> None:
    path = tmp_path / name
    write_vote_rows(path, ROWS)
    chunks = [
        chunk
        for batch in read_ballot_batches(path, optional=OPTIONAL)
        for chunk in import_chunks(batch, size)
    ]
    assert all(len(chunk) <= size for chunk in chunks)
    ballots = [(chunk, index) for chunk in chunks for index in range(len(chunk))]
    assert [chunk.ids[index] for chunk, index in ballots] == ["b1", "b2", "b3", "b4", "b5", "b6"]
    for chunk, index in ballots:
        ballot = chunk.ballot(index)
        allocation = tuple(sorted((c, v) for c, v in ballot.allocation.items() if v))
        assert chunk.stored[index] == allocation_json(allocation)
        expected = canonical_bytes(
            7, "w1", ballot.ballot_id, ballot.voter, ballot.channel, ballot.ts_us, allocation
        )
        assert f"[7,{chunk.entries[index]}".encode() == expected
        assert chunk.zeros[index] == (0 in ballot.allocation.values())
    by_id = {chunk.ids[i]: chunk.ballot(i) for chunk, i in ballots}
    assert by_id["b1"].allocation == {"zed": 3, "amy": 10}  # file order, for the per-ballot path
    assert by_id["b6"].channel is Channel.SMS
    assert by_id["b1"].meta.email == "e"


def test_select_keeps_the_chosen_ballots_and_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    write_vote_rows(path, ROWS)
    (batch,) = read_ballot_batches(path, optional=OPTIONAL)
    (chunk,) = import_chunks(batch, 100)
    chosen = select(chunk, [4, 0])
    assert isinstance(chosen, ImportChunk)
    assert chosen.ids == ["b5", "b1"]
    assert [chosen.ballot(i).allocation for i in range(2)] == [
        {"amy": 0, "zed": 4},
        {"zed": 3, "amy": 10},
    ]
    assert chosen.entries == [chunk.entries[4], chunk.entries[0]]

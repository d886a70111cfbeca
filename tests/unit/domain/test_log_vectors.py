"""The one entry encoding and the hash chain against fixed vectors (tests/vectors/log_entries.json).

The vectors were computed once from the definition (Python's ``json.dumps`` with compact
separators and ``ensure_ascii=False``, then sha256) and frozen; the verifier's and the vote
log's tests check the same file, so writer and verifier cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballroom.domain.voting import (
    GENESIS_HASH,
    Channel,
    LogEntry,
    canonical_bytes,
    canonical_head,
    canonical_tail,
    canonical_text,
    chain_hash,
    entry_hash,
    json_string,
    verify_chain,
)

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "vectors" / "log_entries.json").read_text("utf-8")
)


def _allocation(raw: list[list[Any]]) -> tuple[tuple[str, int], ...]:
    return tuple((str(couple), int(votes)) for couple, votes in raw)


def _encode(vector: dict[str, Any], window: str) -> bytes:
    return canonical_bytes(
        vector["seq"],
        window,
        vector["ballot_id"],
        vector["voter"],
        Channel(vector["channel"]),
        vector["ts_us"],
        _allocation(vector["allocation"]),
    )


@pytest.mark.parametrize("vector", VECTORS["encodings"], ids=lambda v: v["name"])
def test_edge_characters_encode_as_the_vectors(vector: dict[str, Any]) -> None:
    encoded = _encode(vector, vector["window"])
    assert encoded == vector["canonical"].encode()
    assert chain_hash(vector["prev_hash"], encoded) == vector["hash"]


def test_the_chain_vectors_encode_link_and_verify() -> None:
    window = VECTORS["window"]
    entries = []
    prev = VECTORS["genesis"]
    assert prev == GENESIS_HASH
    for vector in VECTORS["chain"]:
        encoded = _encode(vector, window)
        assert encoded == vector["canonical"].encode()
        assert vector["prev_hash"] == prev
        assert chain_hash(prev, encoded) == vector["hash"]
        entry = LogEntry(
            vector["seq"],
            window,
            vector["ballot_id"],
            vector["voter"],
            Channel(vector["channel"]),
            vector["ts_us"],
            _allocation(vector["allocation"]),
            prev,
            vector["hash"],
        )
        assert entry_hash(entry, prev) == vector["hash"]
        entries.append(entry)
        prev = vector["hash"]
    assert verify_chain(entries) is None


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)  # no lone surrogates


@given(
    seq=st.integers(1, 2**62),
    window=_TEXT,
    ballot_id=_TEXT,
    voter=_TEXT,
    channel=st.sampled_from(list(Channel)),
    ts_us=st.integers(-(2**62), 2**62),
    allocation=st.dictionaries(_TEXT, st.integers(1, 10), max_size=8),
)
def test_the_encoding_is_the_definition_and_its_two_halves(
    seq: int,
    window: str,
    ballot_id: str,
    voter: str,
    channel: Channel,
    ts_us: int,
    allocation: dict[str, int],
) -> None:
    """The bulk path joins a per-vote head to a per-batch tail: the same bytes as the whole."""
    pairs = tuple(sorted(allocation.items()))
    definition = json.dumps(
        [seq, window, ballot_id, voter, str(channel), ts_us, [list(p) for p in pairs]],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    assert canonical_bytes(seq, window, ballot_id, voter, channel, ts_us, pairs) == definition
    tail = canonical_tail(channel, ts_us, pairs)
    halves = canonical_head(seq, window, ballot_id, voter) + tail
    assert halves.encode() == definition
    # The SMS path's form: the previous hash in front, the window and voter quoted beforehand.
    chained = canonical_text(
        GENESIS_HASH, seq, json_string(window), ballot_id, json_string(voter), tail
    )
    assert chained.encode() == GENESIS_HASH.encode() + definition

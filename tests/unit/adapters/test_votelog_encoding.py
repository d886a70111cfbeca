"""The vote writer's fast encoders give exactly the bytes the domain and the store define."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from ballroom.adapters.votelog import allocation_json, canonical_json
from ballroom.domain.voting import Channel, canonical_bytes

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)  # no lone surrogates
_ALLOCATION = st.dictionaries(_TEXT, st.integers(0, 10), max_size=16).map(
    lambda votes: tuple(sorted(votes.items()))
)


@given(
    seq=st.integers(1, 2**62),
    window=_TEXT,
    ballot_id=_TEXT,
    voter=_TEXT,
    channel=st.sampled_from(list(Channel)),
    ts_us=st.integers(-(2**62), 2**62),
    allocation=_ALLOCATION,
)
def test_canonical_json_is_the_domains_canonical_bytes(
    seq: int,
    window: str,
    ballot_id: str,
    voter: str,
    channel: Channel,
    ts_us: int,
    allocation: tuple[tuple[str, int], ...],
) -> None:
    assert canonical_json(seq, window, ballot_id, voter, channel, ts_us, allocation) == (
        canonical_bytes(seq, window, ballot_id, voter, channel, ts_us, allocation)
    )


@given(allocation=_ALLOCATION)
def test_allocation_json_is_the_stdlib_sorted_compact_form(
    allocation: tuple[tuple[str, int], ...],
) -> None:
    expected = json.dumps(
        dict(allocation), ensure_ascii=False, separators=(",", ":"), sort_keys=True
    )
    assert allocation_json(allocation) == expected

"""The API's receipt body is exactly the domain's ``Receipt.as_dict``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ballroom.api.voting_bridge import receipt_dict
from ballroom.domain.voting import Channel, Receipt

_US = st.integers(min_value=-(10**15), max_value=4 * 10**15)  # ~1938 to ~2096


@given(
    ts_us=st.one_of(_US, _US.map(lambda us: us - us % 1_000_000)),
    channel=st.sampled_from(list(Channel)),
    votes=st.dictionaries(st.sampled_from(["alix", "robert", "hilaria"]), st.integers(1, 10)),
)
def test_receipt_dict_matches_the_domain_form(
    ts_us: int, channel: Channel, votes: dict[str, int]
) -> None:
    receipt = Receipt(
        "b-1",
        7,
        "s34w01",
        "ann@example.com",
        channel,
        tuple(sorted(votes.items())),
        ts_us,
        "ab" * 32,
    )
    assert receipt_dict(receipt) == receipt.as_dict()

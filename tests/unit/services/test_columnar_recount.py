"""The columnar recount equals the domain's ``recount``, tallies and per-minute buckets alike,
whatever the ballots and however they are split into batches."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ballroom.domain.voting import Channel, LogEntry, recount
from ballroom.services import columnar_recount
from ballroom.services.columnar_recount import ColumnarRecount

COUPLES = ["alix", "dylan", "jen", "robert"]
T0 = 1_759_881_600_000_000  # 2025-10-08T00:00:00Z

_ENTRY = st.tuples(
    st.sampled_from([Channel.WEB, Channel.SMS]),
    st.integers(0, 5),  # voter
    st.integers(0, 200_000_000),  # microseconds after the previous ballot
    st.lists(
        st.tuples(st.sampled_from(COUPLES), st.integers(1, 10)),
        min_size=1,
        max_size=4,
        unique_by=lambda pair: pair[0],
    ),
)


def _log(drawn: list[tuple[Channel, int, int, list[tuple[str, int]]]]) -> list[LogEntry]:
    entries, ts = [], T0
    for seq, (channel, voter, step, pairs) in enumerate(drawn, start=1):
        ts += step
        allocation = tuple(sorted(pairs)) if channel is Channel.WEB else ((pairs[0][0], 1),)
        entries.append(LogEntry(seq, "w", f"b{seq}", f"v{voter}", channel, ts, allocation))
    return entries


def _columnar(entries: list[LogEntry], batch: int) -> dict[str, object]:
    counted = ColumnarRecount("w", [*COUPLES, "whitney"])
    for begin in range(0, len(entries), batch):
        part = entries[begin : begin + batch]
        counted.add(
            part[0].seq,
            sms=np.array([e.channel is Channel.SMS for e in part]),
            voters=pa.array([e.voter for e in part]),
            ts_us=np.array([e.ts_us for e in part], dtype=np.int64),
            starts=np.cumsum([0] + [len(e.allocation) for e in part]),
            couples=pa.array([c for e in part for c, _ in e.allocation]),
            votes=np.array([v for e in part for _, v in e.allocation]),
        )
    return counted.as_dict()


@settings(max_examples=150, deadline=None)
@given(drawn=st.lists(_ENTRY, max_size=60), batch=st.integers(1, 25))
def test_equals_the_domain_recount(
    drawn: list[tuple[Channel, int, int, list[tuple[str, int]]]], batch: int
) -> None:
    entries = _log(drawn)
    expected = recount("w", entries, [*COUPLES, "whitney"]).as_dict()
    assert _columnar(entries, batch) == expected


def test_a_revised_ballot_subtracts_at_the_minute_of_its_replacement() -> None:
    first = LogEntry(1, "w", "b1", "v", Channel.WEB, T0, (("robert", 10),))
    later = LogEntry(2, "w", "b2", "v", Channel.WEB, T0 + 90_000_000, (("alix", 4),))
    result = _columnar([first, later], 1)
    assert result["buckets"] == [
        {"start": "2025-10-08T00:00:00Z", "votes": {"robert": 10}},
        {"start": "2025-10-08T00:01:00Z", "votes": {"alix": 4, "robert": -10}},
    ]
    couples = result["couples"]
    assert isinstance(couples, dict)
    assert couples["robert"] == {"web": 0, "sms": 0, "total": 0}


@settings(max_examples=30, deadline=None)
@given(drawn=st.lists(_ENTRY, min_size=1, max_size=30))
def test_a_night_too_long_for_one_array_sums_the_same(
    drawn: list[tuple[Channel, int, int, list[tuple[str, int]]]],
) -> None:
    entries = _log(drawn)
    expected = recount("w", entries, [*COUPLES, "whitney"]).as_dict()
    dense = columnar_recount._DENSE_CELLS
    columnar_recount._DENSE_CELLS = 0  # every sum in the dict of sums
    try:
        assert _columnar(entries, 7) == expected
    finally:
        columnar_recount._DENSE_CELLS = dense

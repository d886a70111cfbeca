"""Cap-applied allocations equal a plain recount: last saved web ballot, SMS added, cap 10."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st

from ballroom.adapters.interchange import VoteRow, read_vote_table, write_vote_rows
from ballroom.integrity.tally import allocations

COUPLES = ["robert", "alix", "hilaria"]
T0 = datetime(2025, 10, 8, tzinfo=UTC)

ballot = st.tuples(
    st.sampled_from(["v1", "v2", "v3"]),
    st.sampled_from(["web", "sms"]),
    st.dictionaries(st.sampled_from(COUPLES), st.integers(1, 10), min_size=1),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(ballot, min_size=1, max_size=30))
def test_allocations_match_a_recount(ballots: list[tuple[str, str, dict[str, int]]]) -> None:
    rows = [
        VoteRow(f"b{i}", T0 + timedelta(seconds=i), "w", voter, channel, couple, votes)
        for i, (voter, channel, alloc) in enumerate(ballots)
        for couple, votes in alloc.items()
    ]
    expected: dict[str, int] = defaultdict(int)
    last_web: dict[str, dict[str, int]] = {}
    sms: dict[tuple[str, str], int] = defaultdict(int)
    for voter, channel, alloc in ballots:
        if channel == "web":
            last_web[voter] = alloc
        else:
            for couple, votes in alloc.items():
                sms[voter, couple] += votes
    for alloc in last_web.values():
        for couple, votes in alloc.items():
            expected[couple] += votes
    for (_, couple), votes in sms.items():
        expected[couple] += min(votes, 10)
    with TemporaryDirectory() as folder:
        path = Path(folder) / "v.csv"
        write_vote_rows(path, rows)
        result = allocations(read_vote_table(path), COUPLES)
    assert result.tallies() == {c: expected.get(c, 0) for c in COUPLES}
    assert int(result.web.max(initial=0)) <= 10
    assert int(result.sms.max(initial=0)) <= 10

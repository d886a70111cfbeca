"""The admission's invariants (``ballroom.domain.admission``), on the pure rules alone.

- No sequence of ballots and texts takes a voter past the cap, per couple and method.
- The tally kept from the decisions equals a recount of the log they make, whose chain holds.
- Order: a text is one final vote that counts while there is room, so the counts of any
  permutation of the same texts are the same (an imported ballot of several texts is all or
  nothing, so its order can matter); a web ballot replaces the voter's last, so only
  each voter's own order matters, never how voters interleave.
- Partitions: how many partitions share the voters changes no decision and no hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ballroom.domain.admission import (
    Admitted,
    WindowState,
    admit_texts,
    admit_web,
    partition_of,
    record,
)
from ballroom.domain.voting import (
    Channel,
    LogEntry,
    Tally,
    VoteBook,
    recount,
    verify_chain,
)
from ballroom.errors import BallroomError

CAP = 3
COUPLES = ("alix", "hilaria", "robert")
VOTERS = ("ana@example.com", "+12125550100", "zoë@example.org", "+17875550123")

web_ballot = st.tuples(
    st.just("web"),
    st.sampled_from(VOTERS),
    st.dictionaries(st.sampled_from((*COUPLES, "nobody")), st.integers(0, CAP + 1), min_size=1),
)
texts = st.tuples(
    st.just("sms"),
    st.sampled_from(VOTERS),
    st.dictionaries(st.sampled_from(COUPLES), st.integers(1, CAP), min_size=1, max_size=1),
)
# A live text is one vote; an imported text ballot may carry several, all or nothing.
one_text = st.tuples(
    st.just("sms"), st.sampled_from(VOTERS), st.sampled_from(COUPLES).map(lambda c: {c: 1})
)
ballots = st.lists(st.one_of(web_ballot, texts, one_text), max_size=30)


def _window() -> WindowState:
    return WindowState("w", "", "", "open", None, None, None, None, {c: c for c in COUPLES})


def _admit_all(
    sequence: Sequence[tuple[str, str, dict[str, int]]], partitions: int = 4
) -> tuple[WindowState, list[VoteBook], list[Admitted | None], list[LogEntry]]:
    """Admit each ballot in order as the vote log does: decide, record, log (or refuse)."""
    window = _window()
    books = [VoteBook(CAP) for _ in range(partitions)]
    decisions: list[Admitted | None] = []
    entries: list[LogEntry] = []
    for index, (channel, voter, allocation) in enumerate(sequence):
        book = books[partition_of(voter, partitions)]
        ts_us = 1_000_000 * (index + 1)
        ballot_id = f"b{index}"
        try:
            if channel == "web":
                admitted = admit_web(
                    window,
                    book,
                    voter,
                    allocation,
                    ballot_id=lambda b=ballot_id: b,
                    ts_us=ts_us,
                    cap=CAP,
                )
            else:
                admitted = admit_texts(
                    window, book, voter, allocation, ballot_id=ballot_id, ts_us=ts_us, cap=CAP
                )
        except BallroomError:
            decisions.append(None)
            continue
        record(window, book, admitted)
        if admitted.replaced is not None:
            window.tally.add(Channel.WEB, admitted.replaced, ts_us, sign=-1)
        window.tally.add(admitted.channel, admitted.allocation, ts_us)
        window.tally.ballots += 1
        window.tally.version = admitted.seq
        decisions.append(admitted)
        entries.append(
            LogEntry(
                admitted.seq,
                window.id,
                admitted.ballot_id,
                admitted.voter,
                admitted.channel,
                ts_us,
                admitted.allocation,
                admitted.prev_hash,
                admitted.hash,
            )
        )
    return window, books, decisions, entries


def _totals(tally: Tally) -> dict[str, tuple[int, int]]:
    return {c: (n.web, n.sms) for c, n in tally.couples.items()}


@given(ballots)
def test_no_voter_passes_a_cap(sequence: list[Any]) -> None:
    _, books, _, entries = _admit_all(sequence)
    texts_per: dict[tuple[str, str], int] = {}
    for entry in entries:
        for couple, votes in entry.allocation:
            assert 1 <= votes <= CAP
            if entry.channel is Channel.SMS:
                texts_per[(entry.voter, couple)] = texts_per.get((entry.voter, couple), 0) + votes
    assert all(count <= CAP for count in texts_per.values())
    for book in books:
        assert all(count <= CAP for count in book.sms.values())
        assert all(v <= CAP for allocation in book.web.values() for _, v in allocation)


@given(ballots)
def test_the_live_tally_is_a_recount_of_the_log(sequence: list[Any]) -> None:
    window, _, _, entries = _admit_all(sequence)
    assert verify_chain(entries) is None
    assert recount("w", entries, COUPLES) == window.tally.snapshot()


@given(st.lists(one_text, max_size=40), st.randoms(use_true_random=False))
def test_texts_count_the_same_in_any_order(sequence: list[Any], rng: Any) -> None:
    shuffled = list(sequence)
    rng.shuffle(shuffled)
    first, _, _, _ = _admit_all(sequence)
    second, _, _, _ = _admit_all(shuffled)
    assert _totals(first.tally.snapshot()) == _totals(second.tally.snapshot())


@given(st.lists(web_ballot, max_size=30), st.randoms(use_true_random=False))
def test_web_ballots_of_different_voters_interleave_freely(sequence: list[Any], rng: Any) -> None:
    # Another interleaving that keeps each voter's own order: deal the voters' queues randomly.
    queues = {voter: [b for b in sequence if b[1] == voter] for voter in VOTERS}
    dealt = []
    while any(queues.values()):
        voter = rng.choice([v for v, queue in queues.items() if queue])
        dealt.append(queues[voter].pop(0))
    first, _, _, _ = _admit_all(sequence)
    second, _, _, _ = _admit_all(dealt)
    assert _totals(first.tally.snapshot()) == _totals(second.tally.snapshot())


@given(ballots, st.integers(1, 9))
def test_partitions_change_no_decision(sequence: list[Any], partitions: int) -> None:
    _, _, one, _ = _admit_all(sequence, partitions=1)
    _, _, many, _ = _admit_all(sequence, partitions=partitions)
    assert one == many

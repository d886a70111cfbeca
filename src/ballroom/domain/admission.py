"""Whether a ballot counts: the admission of the public vote, per voter partition.

Pure: plain inputs in, a decision out, no I/O and no clock (the caller passes the moment).
The inputs are a window as the vote holds it (:class:`WindowState`: its phase, couples and
keywords, and the head of its hash chain), the :class:`~ballroom.domain.voting.VoteBook` of
the voter's partition, and the ballot. The vote log's writer applies a decision and writes
the entry; a recount of the log it writes gives the tally the decisions gave.

Partitions: a voter's cap state lives in exactly one book, ``partition_of(voter, P)``
(``crc32`` of the voter's identity, stable across processes and restarts). Rules only ever
look at one voter's book, so partitions can be checked in any order, or elsewhere.

The rules (the show's voting terms, docs/rules.md):

- **window phase**: live votes count only while the window is open by the server's clock;
  an imported ballot must be dated inside the window's known period.
- **web ballot**: a whole allocation over the window's active couples, each 0..cap; it
  replaces the voter's previous web ballot in that window. All zeros withdraws the voter's
  saved web votes (a ballot of the log like any other); with none saved it is refused.
- **text**: one vote for the couple its keyword names, from a sender in the SMS regions
  (:func:`~ballroom.domain.eligibility.sms_eligible`); the ``cap``-th text per couple is the
  last counted (:meth:`~ballroom.domain.voting.VoteBook.take_sms`, the one SMS cap).
- **chain entry**: entry ``n`` of a window follows the window's head:
  ``hash = sha256(prev_hash || canonical_bytes(entry))``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ballroom.domain.voting import (
    GENESIS_HASH,
    Allocation,
    Channel,
    TallyCounter,
    VoteBook,
    WindowPhase,
    canonical_bytes,
    chain_hash,
    check_web_allocation,
    keyword_key,
    window_phase,
)
from ballroom.errors import CapExceeded, InvalidInput, WindowClosed


def partition_of(voter: str, partitions: int) -> int:
    """The partition that owns a voter's cap state (stable across processes)."""
    return zlib.crc32(voter.encode()) % partitions


@dataclass
class WindowState:
    """A voting window as the vote holds it: what the control room set, its couples, and the
    head of its hash chain and its live tally (read by others only under the writer's lock)."""

    id: str
    season: str
    label: str
    status: str
    opens_at_us: int | None
    closes_at_us: int | None
    scheduled_open_us: int | None
    scheduled_close_us: int | None
    couples: dict[str, str]  # active couple -> SMS keyword
    next_seq: int = 1
    head_hash: str = GENESIS_HASH
    tally: TallyCounter = field(init=False)
    keyword_index: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.tally = TallyCounter(self.id, self.couples)
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the keyword lookup after the couples change."""
        self.keyword_index = {keyword_key(k): c for c, k in self.couples.items()}

    def phase(self, now_us: int) -> WindowPhase:
        """Open, closed, pending or scheduled at ``now_us``."""
        return window_phase(self.status, self.scheduled_open_us, self.scheduled_close_us, now_us)

    def accepts_at(self, ts_us: int) -> bool:
        """Whether a vote stamped ``ts_us`` falls inside the window's known period (import)."""
        start = self.opens_at_us if self.opens_at_us is not None else self.scheduled_open_us
        end = self.closes_at_us if self.closes_at_us is not None else self.scheduled_close_us
        return (start is None or ts_us >= start) and (end is None or ts_us < end)


def require_open(window: WindowState, now_us: int) -> None:
    """``WindowClosed`` unless live votes count in ``window`` at ``now_us``."""
    if window.phase(now_us) is not WindowPhase.OPEN:
        raise WindowClosed(f"voting in window {window.id!r} is not open", field="window")


def require_dated_inside(window: WindowState, ts_us: int, ballot_id: str) -> None:
    """``WindowClosed`` unless an imported ballot stamped ``ts_us`` falls inside ``window``."""
    if not window.accepts_at(ts_us):
        raise WindowClosed(
            f"ballot {ballot_id!r} is dated outside window {window.id!r}", field="ts"
        )


def require_voter(voter: object) -> str:
    """The voter's identity, which must be non-empty text."""
    if not isinstance(voter, str) or not voter.strip():
        raise InvalidInput("voter must be non-empty text", field="voter")
    return voter


@dataclass(frozen=True, slots=True)
class Admitted:
    """A ballot the rules accept, and the log entry it becomes (nothing applied yet)."""

    ballot_id: str
    voter: str
    channel: Channel
    allocation: Allocation
    replaced: Allocation | None  # the voter's web ballot this one replaces
    replaced_seq: int  # and its entry's seq (0: none)
    seq: int
    prev_hash: str
    hash: str


def next_entry(  # noqa: PLR0917 - the entry's fields, in the encoding's order
    window: WindowState,
    ballot_id: str,
    voter: str,
    channel: Channel,
    ts_us: int,
    allocation: Allocation,
) -> tuple[int, str, str]:
    """(seq, prev_hash, hash) of the entry that would follow ``window``'s chain head."""
    seq = window.next_seq
    prev = window.head_hash
    digest = chain_hash(
        prev, canonical_bytes(seq, window.id, ballot_id, voter, channel, ts_us, allocation)
    )
    return seq, prev, digest


def admit_web(
    window: WindowState,
    book: VoteBook,
    voter: object,
    allocation: Mapping[str, object],
    *,
    ballot_id: Callable[[], str],
    ts_us: int,
    cap: int,
) -> Admitted:
    """Decide a web ballot (the window's phase is the caller's: :func:`require_open` live,
    :func:`require_dated_inside` on import). Changes nothing; raises the refusal.
    ``ballot_id`` is asked for the entry's id only once the ballot is accepted."""
    who = require_voter(voter)
    accepted = check_web_allocation(allocation, window.couples, cap, withdrawal=True)
    replaced = book.previous_web(window.id, who)
    if not accepted and not replaced:
        # An all-zero ballot withdraws saved votes; with none saved, it is the empty ballot
        # the domain refuses.
        check_web_allocation(allocation, window.couples, cap)
    entry_id = ballot_id()
    seq, prev, digest = next_entry(window, entry_id, who, Channel.WEB, ts_us, accepted)
    replaced_seq = book.web_ballot_seq(window.id, who) or 0
    return Admitted(entry_id, who, Channel.WEB, accepted, replaced, replaced_seq, seq, prev, digest)


def admit_texts(
    window: WindowState,
    book: VoteBook,
    voter: object,
    allocation: Mapping[str, object],
    *,
    ballot_id: str,
    ts_us: int,
    cap: int,
) -> Admitted:
    """Decide an imported text ballot: one couple, its votes all within the voter's text cap
    for that couple. Changes nothing; raises the refusal."""
    who = require_voter(voter)
    if len(allocation) != 1:
        raise InvalidInput(
            f"text ballot {ballot_id!r} must vote for exactly one couple", field="couple"
        )
    accepted = check_web_allocation(allocation, window.couples, cap)
    ((couple, votes),) = accepted
    # The one text cap is VoteBook.take_sms; this decision changes nothing, so give them back.
    if not book.take_sms((window.id, who, couple), votes):
        raise CapExceeded(
            f"ballot {ballot_id!r} takes {who!r} over {cap} texts for {couple!r}", field="votes"
        )
    book.undo_sms(window.id, who, couple, votes)
    seq, prev, digest = next_entry(window, ballot_id, who, Channel.SMS, ts_us, accepted)
    return Admitted(ballot_id, who, Channel.SMS, accepted, None, 0, seq, prev, digest)


def record(window: WindowState, book: VoteBook, admitted: Admitted) -> None:
    """Apply a decision: the voter's book and the window's chain head move on."""
    if admitted.channel is Channel.WEB:
        book.apply_web(window.id, admitted.voter, admitted.allocation, admitted.seq)
    else:
        ((couple, votes),) = admitted.allocation
        if not book.take_sms((window.id, admitted.voter, couple), votes):
            raise CapExceeded(f"{admitted.voter!r} is over the text cap for {couple!r}")
    window.next_seq = admitted.seq + 1
    window.head_hash = admitted.hash


def unrecord(window: WindowState, book: VoteBook, admitted: Admitted) -> None:
    """Reverse :func:`record` of the latest decision (a failed commit, a refused command)."""
    if admitted.channel is Channel.WEB:
        book.undo_web(window.id, admitted.voter, admitted.replaced, admitted.replaced_seq)
    else:
        ((couple, votes),) = admitted.allocation
        book.undo_sms(window.id, admitted.voter, couple, votes)
    window.next_seq = admitted.seq
    window.head_hash = admitted.prev_hash

"""The admission steps the vote pipeline runs on its writer thread, composed from the domain.

The group-commit pipeline (``adapters/vote_pipeline.py``) batches, orders, commits and
answers; whether a web ballot or an imported ballot counts is decided here, from the domain's
pure admission (``ballroom.domain.admission``): the window's phase (or, for an import, the
ballot's own time), the voter, the allocation and the caps, and the chain entry it becomes.
``ballroom.bootstrap`` hands a :class:`VoteRules` to the pipeline as its
:class:`~ballroom.services.ports.Admission`. The steps run on the writer thread, which owns the
window and the cap books they read; they change nothing (the pipeline records the decision).

The live text path is not here: its per-text decision (sender region, keyword, the text cap,
the entry) stays inlined in the pipeline's batch loop, from the same domain pieces
(``sms_eligible``, ``VoteBook.take_sms``, ``canonical_text``), because a call per text costs
the bulk path more than the rest of the check (benchmarks/README.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from ballroom.domain.admission import (
    Admitted,
    WindowState,
    admit_texts,
    admit_web,
    require_dated_inside,
    require_open,
    require_voter,
)
from ballroom.domain.voting import Channel, VoteBook
from ballroom.services.ports import ImportBallot


class VoteRules:
    """The vote rules of one process (its ``cap``), as the pipeline's admission steps."""

    def __init__(self, cap: int) -> None:
        self.cap = cap

    def web(  # noqa: PLR0917 - positional on the hot path
        self,
        window: WindowState,
        book_of: Callable[[str], VoteBook],
        voter: object,
        allocation: Mapping[str, object],
        new_id: Callable[[], str],
        now_us: int,
    ) -> tuple[Admitted, VoteBook]:
        """A live web ballot: the window must be open now, the voter named, the allocation
        valid and within the cap. Returns the decision and the voter's cap book."""
        require_open(window, now_us)
        voter_id = require_voter(voter)
        book = book_of(voter_id)
        admitted = admit_web(
            window, book, voter_id, allocation, ballot_id=new_id, ts_us=now_us, cap=self.cap
        )
        return admitted, book

    def imported(
        self, window: WindowState, book_of: Callable[[str], VoteBook], ballot: ImportBallot
    ) -> tuple[Admitted, VoteBook]:
        """A ballot of an interchange file: dated inside the window, keeping its id and time;
        a web ballot as live, texts within the text cap."""
        require_dated_inside(window, ballot.ts_us, ballot.ballot_id)
        voter = require_voter(ballot.voter)
        book = book_of(voter)
        if ballot.channel is Channel.WEB:
            admitted = admit_web(
                window,
                book,
                voter,
                ballot.allocation,
                ballot_id=functools.partial(str, ballot.ballot_id),
                ts_us=ballot.ts_us,
                cap=self.cap,
            )
        else:
            admitted = admit_texts(
                window,
                book,
                voter,
                ballot.allocation,
                ballot_id=ballot.ballot_id,
                ts_us=ballot.ts_us,
                cap=self.cap,
            )
        return admitted, book

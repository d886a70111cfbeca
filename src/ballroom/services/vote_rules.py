"""The admission steps the vote pipeline runs on its writer thread, composed from the domain.

The group-commit pipeline (``adapters/vote_pipeline.py``) batches, orders, commits and
answers; whether a web ballot or an imported ballot counts is decided here, from the domain's
pure admission (``ballroom.domain.admission``): the window's phase (or, for an import, the
ballot's own time), the voter, the allocation and the caps, and the chain entry it becomes.
``ballroom.bootstrap`` hands a :class:`VoteRules` to the pipeline as its
:class:`~ballroom.services.ports.Admission`. The steps run on the writer thread, which owns the
window and the cap books they read; they change nothing (the pipeline records the decision).

The live texts of an aggregator's batch are decided in ONE call per batch (:meth:`VoteRules.texts`),
not one per text: a call per text costs the bulk path more than the rest of the check
(benchmarks/README.md). Its loop checks each text with the domain's pieces (``sms_eligible``,
``VoteBook.take_sms``, ``canonical_text``) against the state the pipeline owns and passes in
(windows, cap books, the sender cache), and writes the batch's rows, refusals and undo
records as it goes, since each text's cap room and chain entry follow the one before.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ballroom.domain.admission import (
    Admitted,
    WindowState,
    admit_texts,
    admit_web,
    require_dated_inside,
    require_open,
    require_voter,
)
from ballroom.domain.eligibility import sms_eligible
from ballroom.domain.voting import (
    SMS_ACCEPTED,
    Allocation,
    Channel,
    Receipt,
    SmsMessage,
    SmsOutcome,
    SmsRefusal,
    VoteBook,
    WindowPhase,
    canonical_tail,
    canonical_text,
    json_string,
    keyword_key,
    normalise_phone,
)
from ballroom.errors import InvalidInput
from ballroom.services.import_admission import admit_chunk
from ballroom.services.ports import (
    TEXT_KEY,
    ChunkOutcome,
    ImportBallot,
    ImportBatch,
    ImportChunk,
    ImportOutcome,
    TextBatch,
    TextsAdmitted,
)

SENDER_CACHE_SIZE = 1 << 16
"""Senders remembered in the pipeline's sender cache (emptied when full: a miss only costs
the checks)."""

# (window, couple, window id, window id as a JSON string, allocation, stored allocation,
# canonical tail, reply): what every text for one couple in one SMS batch shares.
_CoupleEntry = tuple[WindowState, str, str, str, Allocation, str, str, str]


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

    def imported_chunk(  # noqa: PLR0917 - one call per chunk of an import
        self,
        chunk: ImportChunk,
        windows: Mapping[str, WindowState],
        books: Sequence[VoteBook],
        batch: ImportBatch,
        known: Mapping[str, Any],
        one_by_one: Callable[[int], ImportOutcome],
    ) -> ChunkOutcome:
        """A chunk of an interchange file in one call (``services/import_admission.py``):
        the common case in bulk, any other ballot by ``one_by_one`` (:meth:`imported`)."""
        return admit_chunk(chunk, windows, books, batch, known, one_by_one, self.cap)

    def texts(  # noqa: PLR0917 - one loop per batch
        self,
        messages: Sequence[SmsMessage],
        key: str,
        pinned: WindowState | None,
        windows: Iterable[WindowState],
        batch: TextBatch,
        known: Mapping[str, Any],
        books: Sequence[VoteBook],
        senders: dict[str, tuple[str, int, str]],
        new_id: Callable[[], str],
        stored: Callable[[Allocation], str],
        now_us: int,
    ) -> TextsAdmitted:
        """A batch of live texts under the idempotency key ``key``, each in the SMS regions
        with a keyword of ``pinned`` (or of an open window), within the text cap: one outcome
        per text. A counted text takes its cap room in its sender's partition book (undo
        record in ``batch.sms_undo``) and becomes the next entry of its window's chain (the
        window's head before the batch in ``batch.heads``, its row in ``batch.rows``); a
        refused one a row in ``batch.refusals``. A text whose aggregator id is in ``known``
        or ``batch.keys`` answers its first outcome and counts nothing. ``senders`` caches
        raw sender -> (voter, partition, voter as a JSON string); ``stored`` gives an
        allocation's stored text."""
        open_windows = [w for w in windows if w.phase(now_us) is WindowPhase.OPEN]
        cap = self.cap
        outcomes: list[SmsOutcome] = []
        counted: list[str] = []  # the keyword key of each counted text (tallied after the loop)
        count = counted.append
        last_seq = 0
        # Each partition's text cap (VoteBook.take_sms, the one rule), bound once per batch.
        take_sms = [book.take_sms for book in books]
        parts = len(books)
        heads = batch.heads
        crc32 = zlib.crc32
        sha256 = hashlib.sha256
        text = canonical_text
        quote = json_string
        sms_undo = batch.sms_undo
        rows = batch.rows
        refusals = batch.refusals
        sms = Channel.SMS
        new_tuple = tuple.__new__  # what Receipt._make does, without its Python-level call
        # Per batch, not per text: texts repeat a handful of keywords and couples.
        wanted_of: dict[str, str] = {}
        # keyword key -> (window, couple) over the windows this batch may vote in, first wins.
        targets: dict[str, tuple[WindowState, str]] = {}
        for candidate in reversed([pinned] if pinned is not None else open_windows):
            targets.update((k, (candidate, c)) for k, c in candidate.keyword_index.items())
        closed = (
            not open_windows if pinned is None else pinned.phase(now_us) is not WindowPhase.OPEN
        )
        # keyword key -> its target and the per-couple encodings, made at its first vote.
        per_couple: dict[str, _CoupleEntry] = {}
        by_id: dict[str, SmsOutcome] = {}  # this batch's texts with an aggregator's id
        for index, message in enumerate(messages):
            message_id = message.message_id
            if message_id:
                message_key = TEXT_KEY + message_id
                first_time = by_id.get(message_key) or batch.keys.get(message_key)
                first_time = first_time or known.get(message_key)
                if first_time is not None:  # delivered before: counts nothing, again
                    outcomes.append(_repeated_text(first_time, index))
                    continue
            else:
                message_key = f"{key}#{index}"
            # Only what every path reads is set up front; a refusal finds its window and couple
            # from ``cached`` (a text over the cap) or names none.
            reason: SmsRefusal | None = None
            cached: _CoupleEntry | None = None
            phone = message.phone
            sender = senders.get(phone)
            if sender is not None:
                voter, part, quoted_voter = sender
            else:
                try:
                    voter = normalise_phone(phone)
                except InvalidInput:
                    reason = SmsRefusal.INVALID_SENDER
                else:
                    if not sms_eligible(voter):  # the domain's region rule: US and PR only
                        reason = SmsRefusal.REGION
                    else:
                        part = crc32(voter.encode()) % parts
                        if len(senders) >= SENDER_CACHE_SIZE:
                            senders.clear()
                        quoted_voter = quote(voter)
                        senders[phone] = (voter, part, quoted_voter)
            if reason is None:
                body = message.body
                wanted = ""
                if isinstance(body, str):
                    cached_key = wanted_of.get(body)
                    if cached_key is None:
                        cached_key = wanted_of[body] = keyword_key(body)
                    wanted = cached_key
                if closed:
                    reason = SmsRefusal.WINDOW_CLOSED
                else:
                    cached = per_couple.get(wanted)
                    if cached is None:
                        target = targets.get(wanted)
                        if target is None:
                            reason = SmsRefusal.UNKNOWN_KEYWORD
                        else:
                            window, couple = target
                            allocation: Allocation = ((couple, 1),)
                            cached = per_couple[wanted] = (
                                window,
                                couple,
                                window.id,
                                quote(window.id),
                                allocation,
                                stored(allocation),
                                canonical_tail(sms, now_us, allocation),
                                SMS_ACCEPTED.format(couple=couple),
                            )
            if reason is None and cached is not None:  # a vote
                (window, couple, window_id, quoted_window, allocation, stored_allocation,
                 tail, reply) = cached  # fmt: skip
                cap_key = (window_id, voter, couple)
                if not take_sms[part](cap_key):  # the one text cap (VoteBook)
                    reason = SmsRefusal.CAP_EXCEEDED
                else:
                    sms_undo.append((part, cap_key))
                    # _append, inlined: this runs once per text on the bulk path.
                    if window_id not in heads:
                        heads[window_id] = (window.next_seq, window.head_hash)
                    seq = window.next_seq
                    prev = window.head_hash
                    ballot_id = new_id()
                    digest = sha256(
                        text(prev, seq, quoted_window, ballot_id, quoted_voter, tail).encode()
                    ).hexdigest()
                    window.next_seq = seq + 1
                    window.head_hash = digest
                    rows.append(
                        (
                            window_id,
                            seq,
                            ballot_id,
                            voter,
                            "sms",
                            stored_allocation,
                            now_us,
                            digest,
                            prev,
                            message_key,
                            "",
                            phone,
                            "",
                            "",
                        )
                    )
                    receipt = new_tuple(
                        Receipt, (ballot_id, seq, window_id, voter, sms, allocation, now_us, digest)
                    )
                    last_seq = seq
                    count(wanted)
                    outcomes.append(new_tuple(SmsOutcome, (index, reply, receipt, None, couple)))
                    if message_id:
                        by_id[message_key] = outcomes[-1]
                    continue
            reason = reason or SmsRefusal.UNKNOWN_KEYWORD
            if cached is not None:
                refused_in: str | None = cached[2]
                named: str | None = cached[1]
            else:
                refused_in, named = (pinned.id if pinned else None), None
            refusals.append(
                (
                    message_key,
                    refused_in,
                    str(phone)[:64],
                    str(message.body),
                    str(reason),
                    now_us,
                    named,
                )
            )
            outcomes.append(SmsOutcome.refused(index, reason, cap, named))
            if message_id:
                by_id[message_key] = outcomes[-1]
        # A window's keyword keys name one couple each, so each key counts one (window, couple).
        tallies = [
            (per_couple[wanted][0], per_couple[wanted][1], votes)
            for wanted, votes in collections.Counter(counted).items()
        ]
        return TextsAdmitted(outcomes, by_id, tallies, last_seq)


def _repeated_text(first: SmsOutcome | Receipt, index: int) -> SmsOutcome:
    """The first outcome of a text delivered again, at its place in this batch."""
    if isinstance(first, Receipt):  # counted in an earlier commit, found in the log
        return SmsOutcome.counted(index, first)
    return SmsOutcome(index, first.reply, first.receipt, first.reason, first.couple)

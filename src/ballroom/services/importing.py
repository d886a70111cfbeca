"""Importing a night's vote log (docs/interfaces.md §2) through the live vote rules.

``ballroom import`` and the demo's live-night rehearsal both call :func:`import_file`: every
ballot goes through the same validation, caps and hash chain as a live vote. Imported ballots
keep their ids and timestamps, so the window check uses each ballot's own time (inside the
window's recorded open/close times when the store knows them), not the clock. A window or
couples the store does not know are created as a bare night.

Text ballots pass the live gateway's region rule (``ballroom.domain.eligibility``: US and
Puerto Rico only, so a +1 number of Canada or the Caribbean is refused) on the sender's
number: the ``phone`` column, else the ``voter`` when it is a number (a live night's export
keeps the number as the voter). A text ballot that carries no number at all (the interchange
allows an empty ``phone``) cannot be placed and is not judged by it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from ballroom.adapters.ballot_batches import BallotBatch, BallotIds, read_ballot_batches
from ballroom.adapters.interchange import OPTIONAL, VoteRow, read_vote_rows
from ballroom.domain.eligibility import check_sms_eligibility
from ballroom.domain.voting import Channel, VoteMeta, normalise_phone, us_from_datetime
from ballroom.errors import BallroomError, InvalidInput, MalformedDocument, NotFound
from ballroom.services.import_chunks import import_chunks, release_columns, select
from ballroom.services.ports import ChunkOutcome, ImportChunk
from ballroom.services.voting import ImportBallot, ImportOutcome, VotingService

CHUNK = 5000
IN_FLIGHT = 2  # chunks queued at the writer while the next one is parsed
_SENDERS_KEPT = 1 << 16  # senders whose region was placed, remembered (emptied when full)


def ballots_from_rows(rows: Iterable[VoteRow]) -> Iterator[ImportBallot]:
    """Group consecutive rows of one ballot id into ballots, checking they agree."""
    seen: set[str] = set()
    current: list[VoteRow] = []
    for number, row in enumerate(rows, start=1):
        if current and row.ballot_id != current[0].ballot_id:
            yield _ballot(current)
            current = []
        if not current:
            if row.ballot_id in seen:
                raise MalformedDocument(
                    f"row {number}: ballot {row.ballot_id!r} appears again after other ballots",
                    field="ballot_id",
                )
            seen.add(row.ballot_id)
        else:
            first = current[0]
            for name in ("ts", "window", "voter", "channel"):
                if getattr(row, name) != getattr(first, name):
                    raise MalformedDocument(
                        f"row {number}: ballot {row.ballot_id!r} has two different {name}s",
                        field=name,
                    )
            if any(other.couple == row.couple for other in current):
                raise MalformedDocument(
                    f"row {number}: ballot {row.ballot_id!r} names {row.couple!r} twice",
                    field="couple",
                )
        current.append(row)
    if current:
        yield _ballot(current)


def _ballot(rows: list[VoteRow]) -> ImportBallot:
    first = rows[0]
    return ImportBallot(
        ballot_id=first.ballot_id,
        window=first.window,
        voter=first.voter,
        channel=Channel(first.channel),
        allocation={row.couple: row.votes for row in rows},
        ts_us=us_from_datetime(first.ts),
        meta=VoteMeta(email=first.email, phone=first.phone, ip=first.ip, device=first.device),
    )


def import_file(service: VotingService, path: Path) -> list[ImportOutcome]:
    """Import every ballot of an interchange file; one outcome per ballot, in file order.

    The whole file is checked first (a column batch at a time, see ``ballot_batches``), so a
    malformed file changes nothing, wherever its first bad row is. The ballots go to the
    writer in columns, a chunk at a time (:func:`import_outcomes`).
    """
    outcomes: list[ImportOutcome] = []
    for chunk in import_outcomes(service, path):
        outcomes.extend(chunk)
    return outcomes


def import_summary(service: VotingService, path: Path) -> tuple[ImportSummary, list[ImportOutcome]]:
    """:func:`import_file` keeping only what ``ballroom import`` reports: the summary and the
    refused ballots' outcomes, in file order (no object per accepted ballot)."""
    status: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    refused: list[ImportOutcome] = []
    for chunk in _import_chunks(service, path, CHUNK):
        status["accepted"] += chunk.accepted_in_bulk()
        for outcome in chunk.others():
            status[outcome.status] += 1
            if outcome.status == "refused":
                codes[outcome.code] += 1
                refused.append(outcome)
    return _summary(status, codes), refused


def import_outcomes(
    service: VotingService, path: Path, *, chunk_size: int = CHUNK
) -> Iterator[list[ImportOutcome]]:
    """Check ``path``, then import it in chunks of ballots; each chunk's outcomes in order."""
    for chunk in _import_chunks(service, path, chunk_size):
        yield chunk.outcomes()


def _import_chunks(service: VotingService, path: Path, chunk_size: int) -> Iterator[_ColumnChunk]:
    """Check ``path``, then hand it to the writer in chunks; each chunk once it is decided.

    Up to ``IN_FLIGHT`` chunks wait at the writer while the next is read, as in
    :func:`import_ballots`, whose rules (sender region, windows and couples created as a
    bare night, file order) this keeps; the writer decides each chunk in bulk
    (``services/import_admission.py``).
    """
    check_file(path)
    release_columns()
    known: dict[str, set[str]] = {}
    senders: dict[tuple[str, str], BallroomError | None] = {}
    pending: list[_ColumnChunk] = []
    try:
        for batch in read_ballot_batches(path, optional=OPTIONAL, checked=True):
            for chunk in import_chunks(batch, chunk_size):
                pending.append(_submit_chunk(service, chunk, known, senders))
                while len(pending) > IN_FLIGHT:
                    yield pending.pop(0).settled()
            del batch
            release_columns()
    finally:
        # Whatever happens to the reading, what was handed to the writer is settled first.
        settled = [handed.settled() for handed in pending]
    yield from settled


@dataclass
class _ColumnChunk:
    """A chunk handed to the writer (``admitted``: the indices it holds), and the outcomes
    of the texts refused before it, by index."""

    ids: list[str]
    decided: dict[int, ImportOutcome]
    admitted: list[int]
    future: Future[ChunkOutcome] | None
    result: ChunkOutcome | None = None

    def settled(self) -> _ColumnChunk:
        """This chunk once the writer has decided it (its commit is durable)."""
        if self.future is not None:
            self.result = self.future.result()
        return self

    def accepted_in_bulk(self) -> int:
        """How many ballots the bulk path accepted (the rest are in :meth:`others`)."""
        return len(self.result.receipts) if self.result is not None else 0

    def others(self) -> list[ImportOutcome]:
        """The outcomes of every ballot but those accepted in bulk, in file order."""
        found = dict(self.decided)
        if self.result is not None:
            admitted = self.admitted
            found.update((admitted[i], outcome) for i, outcome in self.result.others.items())
        return [found[i] for i in sorted(found)]

    def outcomes(self) -> list[ImportOutcome]:
        """One outcome per ballot, in file order."""
        if self.result is None:
            return [self.decided[i] for i in range(len(self.ids))]
        written = self.result.outcomes([self.ids[i] for i in self.admitted])
        if not self.decided:
            return written
        by_index = dict(zip(self.admitted, written, strict=True))
        by_index.update(self.decided)
        return [by_index[i] for i in range(len(self.ids))]


def _submit_chunk(
    service: VotingService,
    chunk: ImportChunk,
    known: dict[str, set[str]],
    senders: dict[tuple[str, str], BallroomError | None],
) -> _ColumnChunk:
    """Refuse the chunk's texts from outside the SMS regions, create what the store lacks of
    its windows and couples, and hand the rest to the writer."""
    decided: dict[int, ImportOutcome] = {}
    for index, channel in enumerate(chunk.channels):
        if channel != Channel.SMS:
            continue
        sender = (chunk.phones[index], chunk.voters[index])
        if sender not in senders:
            if len(senders) >= _SENDERS_KEPT:
                senders.clear()
            senders[sender] = sender_refusal(chunk.ballot(index))
        refusal = senders[sender]
        if refusal is not None:
            decided[index] = ImportOutcome(
                chunk.ids[index], "refused", refusal.code, refusal.message
            )
    ids = chunk.ids
    admitted = [i for i in range(len(chunk)) if i not in decided]
    if decided:
        chunk = select(chunk, admitted)
    _ensure_windows(service, chunk, known)
    future = service.submit_import_chunk(chunk) if len(chunk) else None
    return _ColumnChunk(ids, decided, admitted, future)


def _ensure_windows(service: VotingService, chunk: ImportChunk, known: dict[str, set[str]]) -> None:
    """Create the chunk's windows and couples the store lacks, as :func:`import_ballots`."""
    windows = set(chunk.windows)
    needed: dict[str, set[str]]
    if len(windows) == 1:
        needed = {windows.pop(): set(chunk.couples)}
    else:
        needed = {}
        starts = chunk.starts
        for index, window in enumerate(chunk.windows):
            needed.setdefault(window, set()).update(
                chunk.couples[starts[index] : starts[index + 1]]
            )
    _create_missing(service, needed, known)


def _create_missing(
    service: VotingService, needed: dict[str, set[str]], known: dict[str, set[str]]
) -> None:
    """Create the windows and couples of ``needed`` the store lacks; ``known`` remembers
    what each window holds, so the store is asked once per window."""
    for window, couples in needed.items():
        if window not in known:
            try:
                known[window] = set(service.window_status(window).couples)
            except NotFound:
                known[window] = set()
        missing = couples - known[window]
        if missing or not known[window]:
            service.ensure_window(window, sorted(missing))
            known[window] |= missing


def check_file(path: Path) -> int:
    """Check every row and ballot of an interchange file; return how many ballots it holds.

    Raises ``MalformedDocument`` naming the first bad row.
    """
    ids = BallotIds(path)
    count = 0
    for batch in read_ballot_batches(path):
        ids.add(batch)
        count += batch.entries
    if not ids.all_distinct():
        raise reappearing_ballot(path)
    return count


def reappearing_ballot(path: Path) -> MalformedDocument:
    """The error for a file whose ballot ids are not all distinct (the row reader names the
    first that comes back after other ballots)."""
    try:
        for _ in ballots_from_rows(read_vote_rows(path)):
            pass
    except MalformedDocument as error:
        return error
    return MalformedDocument(f"{path}: a ballot id appears again after other ballots")


_CHANNELS = {channel.value: channel for channel in Channel}


def read_ballots(path: Path, *, checked: bool = False) -> Iterator[ImportBallot]:
    """The ballots of an interchange file, read in columns (a batch at a time); ``checked``:
    :func:`check_file` has just passed it."""
    for batch in read_ballot_batches(path, optional=OPTIONAL, checked=checked):
        yield from batch_ballots(batch)


def batch_ballots(batch: BallotBatch) -> Iterator[ImportBallot]:
    """A batch's ballots as the writer takes them."""
    ids, windows, voters, channels, emails, phones, ips, devices = (
        batch.per_ballot(name).to_pylist()
        for name in ("ballot_id", "window", "voter", "channel", *OPTIONAL)
    )
    ts_us = batch.ts_us().tolist()
    couples = batch.column("couple").to_pylist()
    votes = batch.column("votes").to_numpy(zero_copy_only=False).tolist()
    starts = batch.starts.tolist()
    channel_of = _CHANNELS
    for index, begin in enumerate(starts[:-1]):
        end = starts[index + 1]
        allocation = (
            {couples[begin]: votes[begin]}
            if end - begin == 1
            else dict(zip(couples[begin:end], votes[begin:end], strict=True))
        )
        yield ImportBallot(
            ids[index],
            windows[index],
            voters[index],
            channel_of[channels[index]],
            allocation,
            ts_us[index],
            VoteMeta(emails[index], phones[index], ips[index], devices[index]),
        )


def sender_refusal(ballot: ImportBallot) -> BallroomError | None:
    """Why a text ballot's sender may not vote by text (the live gateway's region rule), or
    ``None``: web ballots, US/PR senders and texts without a number pass."""
    if ballot.channel is not Channel.SMS:
        return None
    try:
        if ballot.meta.phone:
            number = normalise_phone(ballot.meta.phone)
        else:
            try:
                number = normalise_phone(ballot.voter)
            except InvalidInput:
                return None  # the voter is an account id, not a number: nothing to place
        check_sms_eligibility(number)
    except BallroomError as error:
        return error
    return None


@dataclass
class _Chunk:
    """Ballots handed to the writer, and the outcomes of those refused before it, by index."""

    size: int
    decided: dict[int, ImportOutcome]
    future: Future[list[ImportOutcome]] | None

    def outcomes(self) -> list[ImportOutcome]:
        written = iter(self.future.result() if self.future is not None else ())
        return [self.decided[i] if i in self.decided else next(written) for i in range(self.size)]


def import_ballots(
    service: VotingService, ballots: Iterable[ImportBallot], *, chunk_size: int = CHUNK
) -> list[ImportOutcome]:
    """Submit ``ballots`` in chunks to the writer; one outcome per ballot, in order.

    Up to ``IN_FLIGHT`` chunks wait at the writer while the next is read, so parsing the file
    overlaps the group commits; the writer handles chunks in submission order, so caps and the
    chain see the ballots exactly in file order, as a single blocking loop would. A text from
    outside the SMS regions is refused before it reaches the writer (:func:`sender_refusal`).
    """
    outcomes: list[ImportOutcome] = []
    known: dict[str, set[str]] = {}
    pending: list[_Chunk] = []
    chunk: list[ImportBallot] = []

    # A sender texts up to ten times per couple: their number is placed once.
    senders: dict[tuple[str, str], BallroomError | None] = {}

    def submit() -> None:
        decided: dict[int, ImportOutcome] = {}
        admitted: list[ImportBallot] = []
        for index, ballot in enumerate(chunk):
            if ballot.channel is Channel.SMS:
                sender = (ballot.meta.phone, ballot.voter)
                if sender not in senders:
                    if len(senders) >= _SENDERS_KEPT:
                        senders.clear()
                    senders[sender] = sender_refusal(ballot)
                refusal = senders[sender]
            else:
                refusal = None
            if refusal is None:
                admitted.append(ballot)
            else:
                decided[index] = ImportOutcome(
                    ballot.ballot_id, "refused", refusal.code, refusal.message
                )
        needed: dict[str, set[str]] = {}
        for ballot in admitted:
            needed.setdefault(ballot.window, set()).update(ballot.allocation)
        _create_missing(service, needed, known)
        future = service.submit_import(admitted) if admitted else None
        pending.append(_Chunk(len(chunk), decided, future))
        chunk.clear()
        while len(pending) > IN_FLIGHT:
            outcomes.extend(pending.pop(0).outcomes())

    try:
        for ballot in ballots:
            chunk.append(ballot)
            if len(chunk) >= chunk_size:
                submit()
        if chunk:
            submit()
    finally:
        # Whatever happens to the reading, what was handed to the writer is settled first.
        for handed in pending:
            outcomes.extend(handed.outcomes())
    return outcomes


@dataclass(frozen=True)
class ImportSummary:
    """How many ballots an import accepted, found already there, or refused, and why."""

    ballots: int
    accepted: int
    duplicate: int
    refused: int
    refused_by_code: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "ballots": self.ballots,
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "refused": self.refused,
            "refused_by_code": dict(sorted(self.refused_by_code.items())),
        }


def summarize(outcomes: Iterable[ImportOutcome]) -> ImportSummary:
    """Count an import's outcomes by status, and the refusals by error code."""
    status: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    for outcome in outcomes:
        status[outcome.status] += 1
        if outcome.status == "refused":
            codes[outcome.code] += 1
    return _summary(status, codes)


def _summary(status: Counter[str], codes: Counter[str]) -> ImportSummary:
    return ImportSummary(
        ballots=sum(status.values()),
        accepted=status["accepted"],
        duplicate=status["duplicate"],
        refused=status["refused"],
        refused_by_code=dict(codes),
    )

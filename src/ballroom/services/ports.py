"""The ports services talk to: time, identifiers, the vote log's store and its pipeline.

The server's clock decides whether a window is open, so every service takes a ``Clock``;
tests pass a :class:`FixedClock` they move by hand. The vote log's store is a
:class:`VoteLog`: SQLite and PostgreSQL implement it (``adapters/vote_store_sqlite.py``,
``vote_store_postgres.py``), and an in-memory fake (``adapters/vote_store_memory.py``) lets
the voting service's tests run without a database. The group-commit pipeline over a store is a
:class:`VotePipeline` (``adapters/vote_pipeline.py``). ``ballroom.bootstrap`` wires the
adapters in (``services/voting.py`` imports none).
"""

from __future__ import annotations

import asyncio
import itertools
import operator
import secrets
import threading
from collections.abc import Callable, Collection, Generator, Iterable, Mapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar

from ballroom.domain.admission import Admitted, WindowState
from ballroom.domain.voting import (
    Allocation,
    Channel,
    LogEntry,
    Receipt,
    SmsMessage,
    SmsOutcome,
    Tally,
    VoteBook,
    VoteMeta,
)

T = TypeVar("T")


class Clock(Protocol):
    """Tells the time, always zoned (UTC)."""

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class IdGenerator(Protocol):
    """Makes identifiers that are unique across processes and restarts."""

    def new_id(self) -> str:
        """A fresh identifier."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current moment."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, replays)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware start")  # programming error
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The moment the clock was last set to."""
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``; return the new moment."""
        with self._lock:
            self._now += timedelta(**delta)
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment``."""
        with self._lock:
            self._now = moment


class ProcessIds:
    """Short ids: a random per-process prefix and a counter, cheap enough for the hot path.

    96 random bits per process make a collision across restarts negligible, and the log's
    unique index on ballot ids turns one into a refused commit, never a silent merge.
    """

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix if prefix is not None else secrets.token_hex(12)
        ids = map(operator.add, itertools.repeat(f"{self.prefix}-"), map(str, itertools.count(1)))
        # ``<prefix>-<n>`` from iterators written in C: one call per text on the bulk path,
        # cheaper than a Python method, and atomic under the GIL.
        self.new_id: Callable[[], str] = ids.__next__


# --------------------------------------------------------------------------- the vote log

LOG_ROW_FIELDS = (
    "window_id",
    "seq",
    "ballot_id",
    "voter",
    "channel",
    "allocation",  # the allocation as compact JSON sorted by couple (adapters.vote_codec)
    "ts_us",
    "hash",
    "prev_hash",
    "idempotency_key",
    "email",
    "phone",
    "ip",
    "device",
)
"""The fields of a log row, in the order of every row handed to :meth:`VoteLog.append`."""
REFUSAL_ROW_FIELDS = ("idempotency_key", "window_id", "phone", "body", "reason", "ts_us", "couple")
"""The fields of a refused text's row."""
SMS_BATCH_ROW_FIELDS = ("idempotency_key", "fingerprint", "messages", "ts_us")
"""The fields of an SMS batch's row (its key, the fingerprint of its texts, their count)."""
IMPORT_REFUSAL_ROW_FIELDS = ("window_id", "ballot_id", "fingerprint", "code", "message")
"""The fields of a refused imported ballot's row (:class:`ImportRefusal`)."""


class ImportRefusal(NamedTuple):
    """An imported ballot the rules refused, as stored: its window and id, the fingerprint of
    its content (``vote_codec.import_fingerprint``) and the refusal's code and message. The
    refusal is final: the same ballot imported again is refused again with them."""

    window: str
    ballot_id: str
    fingerprint: str
    code: str
    message: str


@dataclass
class LogBatch:
    """What one group commit makes durable: log rows, refused texts, SMS batch records,
    refused imported ballots."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    refusals: list[tuple[Any, ...]] = field(default_factory=list)
    sms_batches: list[tuple[str, str, int, int]] = field(default_factory=list)
    import_refusals: list[ImportRefusal] = field(default_factory=list)
    # Set by the store once the rows are in its transaction, before the commit (the pipeline
    # may wait for it; see ``VoteLog.waits_for_inserts``).
    written: threading.Event = field(default_factory=threading.Event)


@dataclass
class KnownKeys:
    """First answers already stored for some idempotency keys."""

    receipts: dict[str, Receipt] = field(default_factory=dict)  # log row key -> its receipt
    batches: dict[str, tuple[str, int]] = field(default_factory=dict)  # -> (fingerprint, texts)
    refusals: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # -> reason, couple
    import_refusals: dict[str, ImportRefusal] = field(default_factory=dict)  # ballot id -> it


StoredEntry = tuple[str, int, str, str, Allocation, int, str]
"""(window, seq, voter, channel, allocation, ts_us, hash) of a logged ballot, for a rebuild."""


class ReceiptLookup(Protocol):
    """Where a receipt hash is in the log (``adapters/receipt_index.py``)."""

    def start(self) -> None:
        """Begin keeping up with the log."""
        ...

    def stop(self) -> None:
        """Stop keeping up."""
        ...

    def locate(self, receipt_hash: str) -> tuple[str, int] | None:
        """(window, seq) of the entry with that hash, if any."""
        ...

    def scan(self, receipt_hash: str) -> tuple[str, int] | None:
        """The same, from the log itself (the index pointed at a changed entry)."""
        ...

    def index_all(self) -> int:
        """Index everything committed now, in one pass (after a bulk load); rows added."""
        ...


class VoteLog(Protocol):
    """The vote log's store: append a batch durably, look up known idempotency keys, read
    the log and the windows back. The group-commit pipeline calls ``append`` from one thread
    and ``known`` from another; each keeps its own connection."""

    waits_for_inserts: bool
    """Whether the pipeline should let big batches' rows reach the store before checking the
    next batch (SQLite: its inserts hold the GIL between statements)."""

    def load_windows(self) -> dict[str, WindowState]:
        """Every window with its active couples, as stored (chain heads not yet set)."""
        ...

    def load_entries(self) -> Iterable[StoredEntry]:
        """Every logged ballot, by window then seq."""
        ...

    def known(
        self,
        log_keys: Sequence[str],
        sms_keys: Sequence[str],
        refusal_keys: Sequence[str],
        imported: Sequence[str] = (),
    ) -> KnownKeys:
        """What is stored under these keys: log rows, SMS batches, refused texts; and the
        refusals of the imported ballots ``imported`` (ballot ids), all in one query."""
        ...

    def append(self, batch: LogBatch) -> None:
        """Write the batch and commit; return only once it is durable. Raises on failure
        (the store keeps nothing of the batch, or the pipeline finds out from ``last_seq``)."""
        ...

    def last_seq(self, window_id: str) -> int:
        """The highest seq stored for a window (0 for none)."""
        ...

    def save_window(self, window: WindowState, *, created_at_us: int) -> None:
        """Store a new window and its couples."""
        ...

    def update_window(
        self,
        window_id: str,
        values: Mapping[str, object],
        also: Callable[[Any], None] | None = None,
    ) -> None:
        """Change a window's stored fields (status, times); ``also`` makes more writes in the
        same transaction, given the store's transaction (the control room's audit entry)."""
        ...

    def add_couples(self, window_id: str, couples: Mapping[str, str]) -> None:
        """Add active couples (id -> keyword) to a stored window."""
        ...

    def read_log(self, window_id: str) -> Iterable[LogEntry]:
        """A window's entries in order, as stored."""
        ...

    def read_log_slice(self, window_id: str, first: int, last: int) -> list[LogEntry]:
        """Entries ``first..last`` of a window."""
        ...

    def receipt_lookup(self) -> ReceiptLookup:
        """The index that finds a receipt hash in this log."""
        ...

    def close_reader(self) -> None:
        """Release the connection ``known`` uses (its thread is ending, or it failed)."""
        ...

    def close_appender(self) -> None:
        """Release the connection ``append`` uses (its thread is ending, or it failed)."""
        ...


class StoredLog(Protocol):
    """A store's vote log read back: whole in columns (``ballroom export``, the control room's
    integrity review) or a few ballots as entries (``adapters/stored_log_sql.py``)."""

    def couples(self, window: str) -> list[str]:
        """The window's couples, sorted; ``NotFound`` for a window the store does not hold."""
        ...

    def revealed_at(self, window: str) -> float | None:
        """When the window's night was revealed (epoch seconds), if it was."""
        ...

    def batches(self, window: str, columns: Sequence[str], rows: int) -> Generator[Any, None, None]:
        """The window's ``vote_log`` rows in seq order, as Arrow record batches of at most
        ``rows`` rows holding ``columns`` (``seq`` and ``ts_us`` int64, the others strings),
        all read in one statement. Close the iterator to stop early."""
        ...

    def entries(
        self,
        window: str,
        *,
        voters: Collection[str] | None = None,
        seqs: Collection[int] | None = None,
    ) -> list[tuple[LogEntry, VoteMeta]]:
        """The window's ballots in log order with their origin metadata: all of them, or only
        ``voters``' ballots, or those at ``seqs`` (by primary key: no scan of the log)."""
        ...


# --------------------------------------------------------------------------- the pipeline


@dataclass(slots=True)
class ImportBallot:
    """One ballot of an interchange file, with the time it was originally accepted."""

    ballot_id: str
    window: str
    voter: str
    channel: Channel
    allocation: Mapping[str, int]
    ts_us: int
    meta: VoteMeta = field(default_factory=VoteMeta)


class ImportOutcome(NamedTuple):
    """What became of an imported ballot: ``accepted``, ``duplicate`` (already there) or
    ``refused`` with the error's code and message (a tuple: one per ballot of a big import,
    built in a fraction of a frozen dataclass's time)."""

    ballot_id: str
    status: str
    code: str = ""
    message: str = ""
    receipt: Receipt | None = None


@dataclass(slots=True)
class ImportChunk:
    """Consecutive ballots of an interchange file in columns, as the writer takes them in
    one command (``services/import_chunks.py`` builds it, ``services/import_admission.py``
    decides it). Per ballot: ``ids`` .. ``devices``; ballot ``i`` is rows
    ``starts[i]:starts[i + 1]`` of ``couples``/``votes`` (file order, as the per-ballot path
    reads them). Encoded once from the file, whatever the rules decide: ``stored`` is the
    allocation's stored text and ``entries`` the canonical text of the entry after its seq
    (``canonical_text`` without the prev hash, ``[`` and ``seq,``), both over the ballot's
    non-zero rows in couple order; ``zeros`` says a ballot has a row of 0 votes."""

    ids: list[str]
    windows: list[str]
    voters: list[str]
    channels: list[str]
    ts_us: list[int]
    emails: list[str]
    phones: list[str]
    ips: list[str]
    devices: list[str]
    starts: list[int]
    couples: list[str]
    votes: list[int]
    stored: list[str]
    entries: list[str]
    zeros: list[bool]

    def __len__(self) -> int:
        return len(self.ids)

    def ballot(self, index: int) -> ImportBallot:
        """Ballot ``index`` as the per-ballot path takes it."""
        begin, end = self.starts[index], self.starts[index + 1]
        return ImportBallot(
            self.ids[index],
            self.windows[index],
            self.voters[index],
            Channel(self.channels[index]),
            dict(zip(self.couples[begin:end], self.votes[begin:end], strict=True)),
            self.ts_us[index],
            VoteMeta(self.emails[index], self.phones[index], self.ips[index], self.devices[index]),
        )


@dataclass(slots=True)
class ChunkOutcome:
    """What became of an :class:`ImportChunk`: the receipts of the ballots the bulk path
    accepted, in order, and every other ballot's outcome by index (duplicates, refusals,
    and whatever the per-ballot path decided)."""

    size: int
    receipts: list[Receipt]
    others: dict[int, ImportOutcome]

    def outcomes(self, ids: Sequence[str]) -> list[ImportOutcome]:
        """One outcome per ballot, in order (``ids``: the chunk's ballot ids)."""
        receipts = iter(self.receipts)
        others = self.others
        return [
            others[i] if i in others else ImportOutcome(ids[i], "accepted", "", "", next(receipts))
            for i in range(self.size)
        ]


TEXT_KEY = "sms:"
"""The stored key of a text with the aggregator's message id: ``sms:<id>``."""


class TextBatch(Protocol):
    """The pipeline's open batch as the text step writes into it: log rows, refused texts,
    undo records (partition, (window, voter, couple)) of the cap room taken, the chain head
    of each window before the batch touched it, and the answers already in it by key."""

    rows: list[tuple[Any, ...]]
    refusals: list[tuple[Any, ...]]
    sms_undo: list[tuple[int, tuple[str, str, str]]]
    heads: dict[str, tuple[int, str]]
    keys: dict[str, Any]


class ImportBatch(Protocol):
    """The pipeline's open batch as the import step writes into it: log rows, undo records,
    tally changes (window, channel, allocation, ts, +1/-1, seq, ballots), the chain head of
    each window before the batch touched it, and the answers already in it by key."""

    rows: list[tuple[Any, ...]]
    undo: list[Callable[[], None]]
    tally_ops: list[tuple[WindowState, Channel, Allocation, int, int, int, int]]
    heads: dict[str, tuple[int, str]]
    keys: dict[str, Any]


class TextsAdmitted(NamedTuple):
    """What a batch of texts became: one outcome per text, the outcomes of the texts with an
    aggregator's id by stored key, the votes counted per (window, couple) and the last
    sequence number taken (0 if none)."""

    outcomes: list[SmsOutcome]
    by_id: dict[str, SmsOutcome]
    tallies: list[tuple[WindowState, str, int]]
    last_seq: int


class Admission(Protocol):
    """The decisions the pipeline asks for on its writer thread (``services/vote_rules.py``
    composes them from the domain's admission): whether a web ballot or an imported ballot
    counts, and the chain entry it becomes. They change nothing; ``book_of`` gives a voter's
    cap book. Each returns the decision and the book it was taken against."""

    def web(  # noqa: PLR0917 - positional on the hot path
        self,
        window: WindowState,
        book_of: Callable[[str], VoteBook],
        voter: object,
        allocation: Mapping[str, object],
        new_id: Callable[[], str],
        now_us: int,
    ) -> tuple[Admitted, VoteBook]:
        """A live web ballot at ``now_us``."""
        ...

    def imported(
        self, window: WindowState, book_of: Callable[[str], VoteBook], ballot: ImportBallot
    ) -> tuple[Admitted, VoteBook]:
        """A ballot of an interchange file, at its own time."""
        ...

    def imported_chunk(  # noqa: PLR0917 - one call per chunk of an import
        self,
        chunk: ImportChunk,
        windows: Mapping[str, WindowState],
        books: Sequence[VoteBook],
        batch: ImportBatch,
        known: Mapping[str, Any],
        one_by_one: Callable[[int], ImportOutcome],
    ) -> ChunkOutcome:
        """A chunk of an interchange file decided in one call; ``one_by_one(i)`` decides
        ballot ``i`` by the per-ballot path (``imported``) where the bulk path does not."""
        ...

    def texts(  # noqa: PLR0917 - one call per batch of texts
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
        """A batch of live texts at ``now_us``, decided in one call (``services/vote_rules``)."""
        ...


class VotePipeline(Protocol):
    """The group-commit pipeline over a :class:`VoteLog` (``adapters/vote_pipeline.py``).

    It owns the live vote state of the process (the windows, a cap book per voter partition)
    on one writer thread, admits each queued write with the domain's admission, commits a
    group at a time and only then settles the futures. The voting service queues its writes
    here and reads the state under ``state_lock``; changes to a window run on the writer
    thread through ``run_admin``."""

    @property
    def cap(self) -> int:
        """Votes per couple per voter and channel."""
        ...

    @property
    def windows(self) -> dict[str, WindowState]:
        """Every window by id (read or change under ``state_lock``, on the writer thread)."""
        ...

    @property
    def books(self) -> Sequence[VoteBook]:
        """The cap book of each voter partition."""
        ...

    @property
    def state_lock(self) -> AbstractContextManager[Any]:
        """Held while the live state is read or changed outside the writer thread."""
        ...

    def partition(self, voter: str) -> int:
        """The partition that owns a voter's cap state."""
        ...

    def start(self) -> None:
        """Rebuild the state from the log and start the writer."""
        ...

    def stop(self) -> None:
        """Commit what is queued and stop."""
        ...

    def submit_web(
        self, window: str, voter: str, allocation: Mapping[str, object], key: str, meta: VoteMeta
    ) -> Future[Receipt]:
        """Queue a web ballot (``key`` as stored); the future holds its receipt."""
        ...

    def submit_web_async(
        self, window: str, voter: str, allocation: Mapping[str, object], key: str, meta: VoteMeta
    ) -> asyncio.Future[Receipt]:
        """The same from a running event loop, settled on that loop."""
        ...

    def submit_sms(
        self, messages: Sequence[SmsMessage], key: str, window: str | None
    ) -> Future[list[SmsOutcome]]:
        """Queue a batch of texts; one outcome per text."""
        ...

    def submit_sms_async(
        self, messages: Sequence[SmsMessage], key: str, window: str | None
    ) -> asyncio.Future[list[SmsOutcome]]:
        """The same from a running event loop."""
        ...

    def submit_import(self, ballots: Sequence[ImportBallot]) -> Future[list[ImportOutcome]]:
        """Queue ballots of an interchange file."""
        ...

    def submit_import_chunk(self, chunk: ImportChunk) -> Future[ChunkOutcome]:
        """Queue a chunk of an interchange file, decided in bulk."""
        ...

    def run_admin(self, action: Callable[[], T]) -> T:
        """Run ``action`` on the writer thread between two commits and return its result."""
        ...

    def add_listener(self, window: str, listener: Callable[[Tally], None]) -> None:
        """Call ``listener`` after each commit that changes the window's tally."""
        ...

    def remove_listener(self, window: str, listener: Callable[[Tally], None]) -> None:
        """Stop calling ``listener``."""
        ...

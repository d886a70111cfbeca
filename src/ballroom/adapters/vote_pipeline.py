"""The group-commit pipeline of the vote log: exact caps, one commit per batch, then answers.

It runs over the :class:`~ballroom.services.ports.VoteLog` port (SQLite, PostgreSQL, or the
in-memory fake). Whether a web ballot or an imported ballot counts is decided by the
:class:`~ballroom.services.ports.Admission` it is given (``services/vote_rules.py``, composed
from the domain's admission); it calls that step on its writer thread, records the decision,
orders, batches, commits, undoes and answers. A batch of live texts is decided by the same
:class:`~ballroom.services.ports.Admission` in one call per batch (``Admission.texts``, which
loops over the texts with the state this pipeline owns and writes their rows into the batch):
the pipeline checks the batch's idempotency key, then only records the tallies and answers.

One writer thread per process owns every piece of mutable vote state: the windows, a
:class:`~ballroom.domain.voting.VoteBook` per voter partition (``crc32(voter) mod N``, so caps
are exact without a global lock and partitions can later move to other processes), each
window's hash-chain head and live tally. Commands wait in a queue; the thread takes what
arrived while a burst kept coming (``max_wait`` seconds at most, up to ``batch_size`` votes),
validates each against the in-memory caps, and hands the batch to ONE committer thread, which
hands it to the store's ``append`` (ONE transaction: SQLite multi-row ``INSERT``s, PostgreSQL
``COPY``), and only once that is durable resolves the futures. The two overlap: batch n + 1
is checked (against memory that already holds batch n) while batch n commits, but it is
handed on only once batch n is durable, so answers never outrun the log. (A big SQLite batch
is checked on only once its rows are inserted, so that only its fsync overlaps: see
``WAIT_FOR_INSERT_ROWS``.) When a commit
fails, the batch checked behind it and then the failed batch are undone in memory, the failed
batch's futures fail with ``CommitFailed`` and the batch behind is checked again; if the
store's chain head then disagrees with memory (a commit whose outcome is unknown), the state
is rebuilt from the log, which is the truth. On start the state is rebuilt from the log too.

Idempotency: each write carries a client key. Keys of a batch are looked up in the store (one
query per batch), so a retry finds its first answer after any restart; a key reused with a
different body raises ``IdempotencyMismatch``. A text with the aggregator's message id is
stored under ``sms:<id>`` and counted once per id, whatever batch or key brings it again (a
repeat answers its first outcome and writes nothing). An imported ballot is keyed by its id,
and its refusal is stored too (``import_refusals``, in the same commit as the rows): the
same ballot imported again is a duplicate or the same refusal, never decided again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ballroom.adapters.vote_codec import allocation_json, import_fingerprint, sms_fingerprint
from ballroom.domain.admission import (
    Admitted,
    WindowState,
    partition_of,
    record,
)
from ballroom.domain.voting import (
    BUCKET_SECONDS,
    Allocation,
    Channel,
    Receipt,
    SmsMessage,
    SmsOutcome,
    SmsRefusal,
    Tally,
    VoteBook,
    VoteMeta,
)
from ballroom.errors import (
    BallroomError,
    Conflict,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
)
from ballroom.services.ports import (
    TEXT_KEY,
    Admission,
    ChunkOutcome,
    ImportBallot,
    ImportChunk,
    ImportOutcome,
    ImportRefusal,
    LogBatch,
    VoteLog,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
WAIT_FOR_INSERT_ROWS = 1000
"""From this many rows on, the writer waits for SQLite's inserts before checking on: bulk
ingest gains, small web groups lose by waiting (benchmarks/README.md)."""
QUIET_STEP_S = 0.0002
"""How long the queue must stay unchanged before a group stops waiting for more (seconds)."""


class CommitFailed(RuntimeError):
    """The store refused or lost a group commit: nothing of that batch counts (a server fault,
    not the voter's: the API answers 503 and the client retries with the same key)."""


# --------------------------------------------------------------------------- commands


# A command's answer goes to ``future``: a ``concurrent.futures.Future`` when ``loop`` is
# ``None``, else an asyncio future of that loop (settled there, a whole group per wake-up).


@dataclass(slots=True)
class _WebCmd:
    window: str
    voter: str
    allocation: Mapping[str, object]
    key: str
    meta: VoteMeta
    future: Any
    loop: asyncio.AbstractEventLoop | None = None


@dataclass(slots=True)
class _SmsCmd:
    messages: Sequence[SmsMessage]
    key: str
    window: str | None
    future: Any
    loop: asyncio.AbstractEventLoop | None = None


@dataclass(slots=True)
class _ImportCmd:
    ballots: Sequence[ImportBallot]
    future: Future[list[ImportOutcome]]
    loop: asyncio.AbstractEventLoop | None = None


@dataclass(slots=True)
class _ImportChunkCmd:
    chunk: ImportChunk
    future: Future[ChunkOutcome]
    loop: asyncio.AbstractEventLoop | None = None


@dataclass
class _AdminCmd:
    action: Callable[[], Any]
    future: Future[Any]


_Answerable = _WebCmd | _SmsCmd | _ImportCmd | _ImportChunkCmd  # what a group commit answers
_Cmd = _Answerable | _AdminCmd
_STOP = object()


@dataclass
class _Batch(LogBatch):
    """Everything one group commit writes (its :class:`LogBatch`) and the in-memory changes
    it made."""

    undo: list[Callable[[], None]] = field(default_factory=list)
    # (partition, (window, voter, couple)) per counted text: one undo record without a closure.
    sms_undo: list[tuple[int, tuple[str, str, str]]] = field(default_factory=list)
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    # (window, channel, allocation, ts, +1/-1, last seq, ballots counted)
    tally_ops: list[tuple[WindowState, Channel, Allocation, int, int, int, int]] = field(
        default_factory=list
    )
    results: list[tuple[_Answerable, Any]] = field(default_factory=list)
    errors: list[tuple[_Answerable, BaseException]] = field(default_factory=list)
    keys: dict[str, Any] = field(default_factory=dict)


@dataclass
class _InFlight:
    """A batch handed to the committer thread (its commit error, or ``None``, comes back on
    the writer's ``_committed`` queue)."""

    batch: _Batch


def _deliver(
    results: Iterable[tuple[_Answerable, Any]], errors: Iterable[tuple[_Answerable, BaseException]]
) -> None:
    """Answer commands: thread futures at once, asyncio futures with ONE thread-safe call per
    event loop for the whole group (one wake-up of the loop instead of one per ballot)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, Any, bool]]] = {}
    for command, result in results:
        loop = command.loop
        if loop is None:
            command.future.set_result(result)
        else:
            by_loop.setdefault(loop, []).append((command.future, result, False))
    for command, error in errors:
        loop = command.loop
        if loop is None:
            command.future.set_exception(error)
        else:
            by_loop.setdefault(loop, []).append((command.future, error, True))
    for loop, answers in by_loop.items():
        # A closed loop has nobody left waiting: the ballots still count (they committed).
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle_on_loop, answers)


def _settle_on_loop(answers: list[tuple[Any, Any, bool]]) -> None:
    for future, value, failed in answers:
        if future.done():  # the request was cancelled (client gone) meanwhile
            continue
        if failed:
            future.set_exception(value)
        else:
            future.set_result(value)


# --------------------------------------------------------------------------- the writer


class VoteLogWriter:
    """Owns the vote state of a process and writes the log in group commits."""

    def __init__(
        self,
        log: VoteLog,
        admission: Admission,
        *,
        now_us: Callable[[], int],
        new_id: Callable[[], str],
        cap: int = 10,
        partitions: int = 8,
        batch_size: int = 4096,
        max_wait: float = 0.002,
    ) -> None:
        if partitions < 1 or cap < 1 or batch_size < 1:
            raise InvalidInput("cap, partitions and batch size must be positive")
        self._log = log
        self._admission = admission
        self.cap = cap
        self.partitions = partitions
        self.batch_size = batch_size
        self.max_wait = max_wait
        self._now_us = now_us
        self._new_id = new_id
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        # The committer thread takes batches from ``_to_commit`` and puts each one's commit
        # error (or ``None``) on ``_committed``; at most one batch is ever in flight.
        self._committer: threading.Thread | None = None
        self._to_commit: queue.SimpleQueue[_Batch | None] = queue.SimpleQueue()
        self._committed: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
        self.state_lock = threading.RLock()
        self.windows: dict[str, WindowState] = {}
        self.books = [VoteBook(cap) for _ in range(partitions)]
        # Raw sender -> (voter, partition, voter as a JSON string) of eligible senders, kept
        # for the text step: one lookup per text instead of two cached calls, an encode, a CRC
        # and the voter's quoting for the chain (senders text up to ten times per couple).
        self._senders: dict[str, tuple[str, int, str]] = {}
        self._listeners: dict[str, list[Callable[[Tally], None]]] = {}
        self._waits_for_inserts = log.waits_for_inserts

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Rebuild state from the log and start the writer thread."""
        if self._thread is not None:
            return
        self.rebuild()
        # One committer thread: batch n commits (the store works, the GIL is free) while the
        # writer validates batch n + 1; it owns the write connection. A plain thread fed by
        # a SimpleQueue: an executor's submit was a visible share of the writer's time.
        self._committer = threading.Thread(
            target=self._commit_loop, name="ballroom-votelog-commit", daemon=True
        )
        self._committer.start()
        self._thread = threading.Thread(target=self._run, name="ballroom-votelog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish what is queued, then stop the threads and release the connections."""
        thread = self._thread
        if thread is None:
            return
        self._queue.put(_STOP)
        thread.join()
        self._thread = None
        committer, self._committer = self._committer, None
        if committer is not None:
            self._to_commit.put(None)
            committer.join()

    @property
    def running(self) -> bool:
        """Whether the writer thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def rebuild(self) -> None:
        """Replace all in-memory state with what the log says."""
        with self.state_lock:
            self.windows = self._log.load_windows()
            self.books = [VoteBook(self.cap) for _ in range(self.partitions)]
            for (
                window_id,
                seq,
                voter,
                channel,
                allocation,
                ts_us,
                hash_,
            ) in self._log.load_entries():
                window = self.windows.get(window_id)
                if window is None:  # a log row whose window row is gone: keep the truth
                    window = self.windows[window_id] = WindowState(
                        window_id, "", "", "closed", None, None, None, None, {}
                    )
                self._replay(window, voter, Channel(channel), allocation, ts_us, seq)
                window.next_seq = seq + 1
                window.head_hash = hash_

    def _replay(  # noqa: PLR0917 - private, positional on the hot path
        self,
        window: WindowState,
        voter: str,
        channel: Channel,
        allocation: Allocation,
        ts_us: int,
        seq: int,
    ) -> None:
        book = self.books[self.partition(voter)]
        if channel is Channel.WEB:
            previous = book.apply_web(window.id, voter, allocation, seq)
            if previous is not None:
                window.tally.add(Channel.WEB, previous, ts_us, sign=-1)
        else:
            for couple, votes in allocation:
                for _ in range(votes):
                    book.apply_sms(window.id, voter, couple)
        window.tally.add(channel, allocation, ts_us)
        window.tally.ballots += 1
        window.tally.version = seq

    def partition(self, voter: str) -> int:
        """The partition that owns a voter's cap state (stable across processes)."""
        return partition_of(voter, self.partitions)

    def _book_of(self, voter: str) -> VoteBook:
        """The cap book of the voter's partition."""
        return self.books[partition_of(voter, self.partitions)]

    # ----------------------------------------------------------------- submitting

    def _put(self, command: _Cmd) -> None:
        if self._thread is None:
            raise Conflict("the vote writer is not running; call start() first")
        self._queue.put(command)

    def submit_web(
        self,
        window: str,
        voter: str,
        allocation: Mapping[str, object],
        key: str,
        meta: VoteMeta,
    ) -> Future[Receipt]:
        """Queue a web ballot; the future holds its receipt once committed."""
        future: Future[Receipt] = Future()
        self._put(_WebCmd(window, voter, allocation, key, meta, future))
        return future

    def submit_web_async(
        self,
        window: str,
        voter: str,
        allocation: Mapping[str, object],
        key: str,
        meta: VoteMeta,
    ) -> asyncio.Future[Receipt]:
        """:meth:`submit_web` for a caller on a running event loop: the asyncio future is
        settled on that loop, together with the rest of its group."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Receipt] = loop.create_future()
        self._put(_WebCmd(window, voter, allocation, key, meta, future, loop))
        return future

    def submit_sms(
        self, messages: Sequence[SmsMessage], key: str, window: str | None
    ) -> Future[list[SmsOutcome]]:
        """Queue a batch of texts; the future holds one outcome per text."""
        future: Future[list[SmsOutcome]] = Future()
        self._put(_SmsCmd(list(messages), key, window, future))
        return future

    def submit_sms_async(
        self, messages: Sequence[SmsMessage], key: str, window: str | None
    ) -> asyncio.Future[list[SmsOutcome]]:
        """:meth:`submit_sms` for a caller on a running event loop (see
        :meth:`submit_web_async`)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[SmsOutcome]] = loop.create_future()
        self._put(_SmsCmd(list(messages), key, window, future, loop))
        return future

    def submit_import(self, ballots: Sequence[ImportBallot]) -> Future[list[ImportOutcome]]:
        """Queue ballots from an interchange file (they keep their ids and times)."""
        future: Future[list[ImportOutcome]] = Future()
        self._put(_ImportCmd(list(ballots), future))
        return future

    def submit_import_chunk(self, chunk: ImportChunk) -> Future[ChunkOutcome]:
        """Queue a chunk of an interchange file, decided in bulk (``Admission.imported_chunk``)."""
        future: Future[ChunkOutcome] = Future()
        self._put(_ImportChunkCmd(chunk, future))
        return future

    def run_admin(self, action: Callable[[], T]) -> T:
        """Run ``action`` on the writer thread, between two group commits, and wait."""
        future: Future[T] = Future()
        self._put(_AdminCmd(action, future))
        return future.result()

    def add_listener(self, window: str, listener: Callable[[Tally], None]) -> None:
        """Call ``listener`` (on the committer thread: keep it quick) after each commit that
        changes ``window``'s tally."""
        with self.state_lock:
            self._listeners.setdefault(window, []).append(listener)

    def remove_listener(self, window: str, listener: Callable[[Tally], None]) -> None:
        """Stop calling ``listener``."""
        with self.state_lock:
            listeners = self._listeners.get(window, [])
            if listener in listeners:
                listeners.remove(listener)

    # ----------------------------------------------------------------- the loop

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            self._log.close_reader()

    def _loop(self) -> None:
        pending: collections.deque[Any] = collections.deque()  # admin/stop met while taking
        inflight: _InFlight | None = None
        first: Any
        while True:
            if pending:
                first = pending.popleft()
            else:
                try:
                    first = self._queue.get_nowait()
                except queue.Empty:
                    # Block only with nothing in flight, so a failed commit is always handled.
                    self._settle(inflight)
                    inflight = None
                    first = self._queue.get()
            if first is _STOP:
                self._settle(inflight)
                return
            if isinstance(first, _AdminCmd):  # admin changes state: nothing may be in flight
                self._settle(inflight)
                inflight = None
                self._admin(first)
                continue
            if inflight is None and self.max_wait > 0 and not pending:
                # Nothing is committing: let the burst that woke us finish arriving (with a
                # commit in flight, that commit is the wait: see _pipeline).
                self._await_burst()
            group: list[Any] = [first]
            self._take(group, _weight(first), pending)
            inflight = self._pipeline(group, inflight, pending)

    def _await_burst(self) -> None:
        """Wait until nothing new has been queued for one quiet step, or ``max_wait`` at most.

        One sleep per step, never one wake-up per arrival. Clients that are answered together
        come back together, within a fraction of a millisecond: waiting out the whole
        ``max_wait`` for them left the store and the CPUs idle for most of it (a third of each
        group's cycle under ``ballroom bench http``). A stream that keeps arriving still
        waits ``max_wait`` and commits in groups of that span.
        """
        deadline = time.monotonic() + self.max_wait
        step = min(self.max_wait, QUIET_STEP_S)
        queued = self._queue.qsize()
        while True:
            time.sleep(step)
            now_queued = self._queue.qsize()
            if now_queued == queued or now_queued >= self.batch_size:
                return
            if time.monotonic() >= deadline:
                return
            queued = now_queued

    def _take(self, into: list[Any], size: int, pending: collections.deque[Any]) -> None:
        """Move what is queued now onto ``into`` while its weight is under the batch size; an
        admin command or the stop goes to ``pending`` and ends the taking (order is kept)."""
        if pending:
            return
        while size < self.batch_size:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is _STOP or isinstance(item, _AdminCmd):
                pending.append(item)
                return
            into.append(item)
            size += _weight(item)

    def _admin(self, command: _AdminCmd) -> None:
        try:
            result = command.action()
        except BaseException as error:
            command.future.set_exception(error)
        else:
            command.future.set_result(result)

    def _pipeline(
        self, group: list[Any], inflight: _InFlight | None, pending: collections.deque[Any]
    ) -> _InFlight | None:
        """Validate ``group`` while the batch before it commits, then hand it to the committer.

        The new batch is checked against memory that already holds the in-flight batch; it is
        handed on (and so acknowledged) only once that batch is durable. What arrived while
        that batch committed joins the new one before it is handed on, so each commit takes
        everything that came during the previous one. If the in-flight batch fails, both are
        undone, newest first, and the commands are validated again from the true state.
        """
        batch = self._prepare(group, inflight)
        if inflight is None:
            return self._hand_over(batch)
        failed = self._settle_failed(inflight, batch)
        if batch is None:
            return None
        extra: list[Any] = []
        self._take(extra, sum(map(_weight, group)), pending)
        if failed:
            return self._hand_over(self._prepare(group + extra, None))
        if extra:
            self._prepare_into(batch, extra, None)
        return self._hand_over(batch)

    def _hand_over(self, batch: _Batch | None) -> _InFlight | None:
        if batch is None:
            return None
        self._to_commit.put(batch)
        if self._waits_for_inserts and len(batch.rows) >= WAIT_FOR_INSERT_ROWS:
            # A big batch: check the next one only once SQLite has the rows. The committer
            # takes the GIL back after every statement of SQLITE_INSERT_CHUNK rows, and each
            # take-back waits out the switch interval while this thread runs Python. The
            # commit's fsync, which needs no GIL, still overlaps the next check. Small web
            # groups gain more from overlapping it all, and so does PostgreSQL's COPY
            # (measured: benchmarks/README.md, bulk rounds 5 and 6).
            batch.written.wait()
        return _InFlight(batch)

    def _commit_loop(self) -> None:
        """The committer thread: commit each batch handed over, report how it went."""
        try:
            while True:
                batch = self._to_commit.get()
                if batch is None:
                    return
                try:
                    error = self._commit(batch)
                except BaseException as unexpected:  # never leave the writer waiting
                    log.exception("group commit crashed")
                    error = unexpected
                batch.written.set()
                self._committed.put(error)
        finally:
            self._log.close_appender()

    def _settle(self, inflight: _InFlight | None) -> None:
        """Wait for the in-flight batch; undo it if its commit failed."""
        if inflight is not None:
            self._settle_failed(inflight, None)

    def _settle_failed(self, inflight: _InFlight, newer: _Batch | None) -> bool:
        error = self._committed.get()
        if error is None:
            return False
        failed = inflight.batch
        log.warning("group commit failed, undoing %d votes: %s", len(failed.rows), error)
        for batch in (newer, failed):  # newest first: undo records are a stack
            if batch is None:
                continue
            for undo in reversed(batch.undo):
                undo()
            self._give_back_sms(batch.sms_undo)
            for window_id, (seq, head) in batch.heads.items():
                window = self.windows[window_id]
                window.next_seq, window.head_hash = seq, head
        self._check_heads(failed.heads)
        failure = CommitFailed(f"the vote store refused the commit: {error}")
        failure.__cause__ = error
        everyone = [command for command, _ in failed.results] + [c for c, _ in failed.errors]
        _deliver((), [(command, failure) for command in everyone])
        return True

    def _prepare(self, group: list[Any], inflight: _InFlight | None) -> _Batch | None:
        """Check every command of ``group`` against the caps; collect its rows and answers."""
        batch = _Batch()
        return batch if self._prepare_into(batch, group, inflight) else None

    def _prepare_into(self, batch: _Batch, group: list[Any], inflight: _InFlight | None) -> bool:
        """Add ``group`` to ``batch``; ``False`` (the group's commands answered with the error)
        when its idempotency keys cannot be looked up."""
        now_us = self._now_us()
        try:
            known = self._known_keys(group)
        except Exception as error:
            _deliver((), [(command, error) for command in group])
            return False
        if inflight is not None:  # not yet visible in the store, but already answered
            known.update(inflight.batch.keys)
        for command in group:
            undo_mark = len(batch.undo)
            marks = self._marks(batch)
            try:
                if isinstance(command, _WebCmd):
                    result: Any = self._web(command, batch, known, now_us)
                elif isinstance(command, _SmsCmd):
                    result = self._sms(command, batch, known, now_us)
                elif isinstance(command, _ImportChunkCmd):
                    result = self._import_chunk(command.chunk, batch, known)
                else:
                    result = self._import(command, batch, known)
            except BallroomError as error:
                self._rewind(batch, undo_mark, marks)
                batch.errors.append((command, error))
                continue
            except Exception as error:
                log.exception("vote command failed")
                self._rewind(batch, undo_mark, marks)
                batch.errors.append((command, error))
                continue
            batch.results.append((command, result))
        return True

    def _commit(self, batch: _Batch) -> BaseException | None:
        """On the committer thread: write and commit, then publish and answer; never raises
        (the writer thread undoes a failed batch, since it owns the memory)."""
        if batch.rows or batch.refusals or batch.sms_batches or batch.import_refusals:
            try:
                self._log.append(batch)
            except Exception as error:
                self._log.close_appender()
                return error
        self._publish(batch)
        _deliver(batch.results, batch.errors)
        return None

    def _marks(self, batch: _Batch) -> tuple[Any, ...]:
        """Where ``batch`` stands before a command: lengths of its lists and the chain head
        of every window it has touched so far (restored by :meth:`_rewind`)."""
        windows = self.windows
        return (
            len(batch.rows),
            len(batch.refusals),
            len(batch.sms_batches),
            len(batch.tally_ops),
            {w: (windows[w].next_seq, windows[w].head_hash) for w in batch.heads},
            len(batch.sms_undo),
            len(batch.import_refusals),
        )

    def _rewind(self, batch: _Batch, undo_mark: int, marks: tuple[Any, ...]) -> None:
        """Undo what a failing command did to the batch so far (it changes nothing)."""
        for undo in reversed(batch.undo[undo_mark:]):
            undo()
        del batch.undo[undo_mark:]
        rows, refusals, sms_batches, tally_ops, heads, sms_undo, import_refusals = marks
        self._give_back_sms(batch.sms_undo[sms_undo:])
        del batch.sms_undo[sms_undo:]
        del batch.rows[rows:]
        del batch.refusals[refusals:]
        del batch.import_refusals[import_refusals:]
        del batch.sms_batches[sms_batches:]
        del batch.tally_ops[tally_ops:]
        for window_id in list(batch.heads):
            window = self.windows[window_id]
            if window_id in heads:
                # Touched before this command too: back to where the command found it (its
                # rows are gone, so the next one must follow the last row still in the batch).
                window.next_seq, window.head_hash = heads[window_id]
            else:
                window.next_seq, window.head_hash = batch.heads.pop(window_id)

    def _give_back_sms(self, records: Sequence[tuple[int, tuple[str, str, str]]]) -> None:
        """Give back the cap room of counted texts (decrements commute: order is free)."""
        books = self.books
        for part, (window, voter, couple) in records:
            books[part].undo_sms(window, voter, couple)

    def _check_heads(self, heads: Mapping[str, tuple[int, str]]) -> None:
        """After a failed commit, make sure the store did not keep it anyway."""
        try:
            for window_id, (seq, _) in heads.items():
                if self._log.last_seq(window_id) != seq - 1:
                    log.warning("commit outcome unknown for %s: rebuilding", window_id)
                    self.rebuild()
                    return
        except Exception:
            log.exception("could not check the log head after a failed commit")

    def _publish(self, batch: _Batch) -> None:
        # Sum the batch per (window, channel, tally bucket) first: one counter update per
        # couple and bucket, not one per ballot (the sums are the same, in any order).
        per_bucket = BUCKET_SECONDS * 1_000_000
        sums: dict[tuple[str, Channel, int], tuple[int, dict[str, int]]] = {}
        changed: dict[str, tuple[WindowState, int, int]] = {}  # id -> (window, ballots, seq)
        for window, channel, allocation, ts_us, sign, seq, ballots in batch.tally_ops:
            key = (window.id, channel, ts_us // per_bucket)
            entry = sums.get(key)
            if entry is None:
                entry = sums[key] = (ts_us, {})
            delta = entry[1]
            for couple, votes in allocation:
                delta[couple] = delta.get(couple, 0) + sign * votes
            seen = changed.get(window.id)
            if seen is None:
                changed[window.id] = (window, ballots, seq)
            else:
                changed[window.id] = (window, seen[1] + ballots, max(seen[2], seq))
        with self.state_lock:
            for (window_id, channel, _), (ts_us, delta) in sums.items():
                changed[window_id][0].tally.add(channel, tuple(delta.items()), ts_us)
            for window, ballots, seq in changed.values():
                window.tally.ballots += ballots
                window.tally.version = max(window.tally.version, seq)
            listeners = {w: list(self._listeners.get(w, ())) for w in changed}
        for window_id, callbacks in listeners.items():
            if not callbacks:
                continue
            with self.state_lock:
                snapshot = changed[window_id][0].tally.snapshot()
            for callback in callbacks:
                try:
                    callback(snapshot)
                except Exception:
                    log.exception("tally listener failed")

    # ----------------------------------------------------------------- idempotency lookups

    def _known_keys(self, group: Sequence[Any]) -> dict[str, Any]:
        """First answers already stored for the group's keys: web/import receipts by key,
        SMS batches by key (fingerprint, outcomes JSON)."""
        log_keys: list[str] = []
        sms_keys: list[str] = []
        text_keys: list[str] = []  # texts with the aggregator's id: counted once per id
        imported: list[str] = []  # imported ballot ids, whose refusals are final too
        for command in group:
            if isinstance(command, _WebCmd):
                log_keys.append(command.key)
            elif isinstance(command, _SmsCmd):
                sms_keys.append(command.key)
                text_keys.extend(TEXT_KEY + m.message_id for m in command.messages if m.message_id)
            elif isinstance(command, _ImportChunkCmd):
                log_keys.extend([_IMPORT_KEY + ballot_id for ballot_id in command.chunk.ids])
                imported.extend(command.chunk.ids)
            else:
                log_keys.extend(_import_key(b.ballot_id) for b in command.ballots)
                imported.extend(b.ballot_id for b in command.ballots)
        known: dict[str, Any] = {}
        if not log_keys and not sms_keys:
            return known
        # A counted text's receipt is found as a web key's; a refused one among the refusals.
        found = self._log.known(log_keys + text_keys, sms_keys, text_keys, imported)
        # A refused imported ballot under its log key (as ``batch.keys`` holds it): the bulk
        # path sends any ballot whose key is known to the per-ballot path, which tells them.
        for ballot_id, refusal in found.import_refusals.items():
            known[_IMPORT_KEY + ballot_id] = refusal
        known.update(found.receipts)
        for key, first in found.batches.items():
            known[_BATCH_KEY + key] = first
        for key, (reason, couple) in found.refusals.items():
            known[key] = SmsOutcome.refused(0, SmsRefusal(reason), self.cap, couple)
        return known

    # ----------------------------------------------------------------- the rules per command

    def _window(self, window_id: str) -> WindowState:
        window = self.windows.get(window_id)
        if window is None:
            raise NotFound(f"no voting window {window_id!r}", field="window")
        return window

    def _record(  # noqa: PLR0917 - private, positional on the hot path
        self,
        batch: _Batch,
        window: WindowState,
        admitted: Admitted,
        ts_us: int,
        key: str,
        meta: VoteMeta,
        book: VoteBook | None = None,
    ) -> Receipt:
        """Apply an admission decision, undoably, and add its log row and tally changes
        (``book``: the voter's, when the caller has it already)."""
        if window.id not in batch.heads:
            batch.heads[window.id] = (window.next_seq, window.head_hash)
        if book is None:
            book = self.books[self.partition(admitted.voter)]
        record(window, book, admitted)
        ballot_id, voter, channel, allocation, seq = (
            admitted.ballot_id,
            admitted.voter,
            admitted.channel,
            admitted.allocation,
            admitted.seq,
        )
        if channel is Channel.WEB:
            replaced, replaced_seq = admitted.replaced, admitted.replaced_seq
            batch.undo.append(lambda: book.undo_web(window.id, voter, replaced, replaced_seq))
            if replaced is not None:
                batch.tally_ops.append((window, channel, replaced, ts_us, -1, seq, 0))
        else:
            ((couple, votes),) = allocation
            batch.undo.append(lambda: book.undo_sms(window.id, voter, couple, votes))
        batch.tally_ops.append((window, channel, allocation, ts_us, 1, seq, 1))
        batch.rows.append(
            (
                window.id,
                seq,
                ballot_id,
                voter,
                str(channel),
                allocation_json(allocation),
                ts_us,
                admitted.hash,
                admitted.prev_hash,
                key,
                meta.email,
                meta.phone,
                meta.ip,
                meta.device,
            )
        )
        # What Receipt._make does, without its Python-level call (once per imported ballot).
        return tuple.__new__(
            Receipt, (ballot_id, seq, window.id, voter, channel, allocation, ts_us, admitted.hash)
        )

    def _web(self, command: _WebCmd, batch: _Batch, known: dict[str, Any], now_us: int) -> Receipt:
        first = batch.keys.get(command.key) or known.get(command.key)
        if first is not None:
            return _same_web(first, command.window, command.voter, command.allocation)
        window = self._window(command.window)
        admitted, book = self._admission.web(
            window, self._book_of, command.voter, command.allocation, self._new_id, now_us
        )
        receipt = self._record(batch, window, admitted, now_us, command.key, command.meta, book)
        batch.keys[command.key] = receipt
        return receipt

    def _sms(
        self, command: _SmsCmd, batch: _Batch, known: dict[str, Any], now_us: int
    ) -> list[SmsOutcome]:
        key = _require_text(command.key, "idempotency_key")
        fingerprint = sms_fingerprint(command.messages, command.window)
        first = batch.keys.get(_BATCH_KEY + key) or known.get(_BATCH_KEY + key)
        if first is not None:
            stored_fingerprint, stored = first
            if stored_fingerprint != fingerprint:
                raise IdempotencyMismatch(
                    f"idempotency key {key!r} was used for a different batch of texts",
                    field="idempotency_key",
                )
            if isinstance(stored, list):
                return stored
            return self._stored_sms_outcomes(key, command.messages)
        pinned = None if command.window is None else self._window(command.window)
        # The decision of every text, in one call (the service's admission step); it writes
        # the batch's rows, refusals and undo records as it goes.
        outcomes, by_id, counted, last_seq = self._admission.texts(
            command.messages,
            key,
            pinned,
            self.windows.values(),
            batch,
            known,
            self.books,
            self._senders,
            self._new_id,
            allocation_json,
            now_us,
        )
        sms = Channel.SMS
        for window, couple, votes in counted:
            batch.tally_ops.append((window, sms, ((couple, votes),), now_us, 1, last_seq, votes))
        batch.sms_batches.append((key, fingerprint, len(outcomes), now_us))
        batch.keys[_BATCH_KEY + key] = (fingerprint, outcomes)
        batch.keys.update(by_id)
        return outcomes

    def _stored_sms_outcomes(self, key: str, messages: Sequence[SmsMessage]) -> list[SmsOutcome]:
        """The outcomes of a batch committed earlier, rebuilt from its log and refusal rows."""
        keys = [
            TEXT_KEY + m.message_id if m.message_id else f"{key}#{index}"
            for index, m in enumerate(messages)
        ]
        found = self._log.known(keys, (), keys)
        receipts, refusals = found.receipts, found.refusals
        outcomes: list[SmsOutcome] = []
        for index, message_key in enumerate(keys):
            receipt = receipts.get(message_key)
            if receipt is not None:
                outcomes.append(SmsOutcome.counted(index, receipt))
                continue
            stored_reason, named = refusals[message_key]
            outcomes.append(SmsOutcome.refused(index, SmsRefusal(stored_reason), self.cap, named))
        return outcomes

    def _import(
        self, command: _ImportCmd, batch: _Batch, known: dict[str, Any]
    ) -> list[ImportOutcome]:
        return [self._import_ballot(ballot, batch, known) for ballot in command.ballots]

    def _import_chunk(
        self, chunk: ImportChunk, batch: _Batch, known: dict[str, Any]
    ) -> ChunkOutcome:
        # The bulk path decides the common case; each other ballot goes the per-ballot way.
        return self._admission.imported_chunk(
            chunk,
            self.windows,
            self.books,
            batch,
            known,
            lambda index: self._import_ballot(chunk.ballot(index), batch, known),
        )

    def _import_ballot(
        self, ballot: ImportBallot, batch: _Batch, known: dict[str, Any]
    ) -> ImportOutcome:
        """One imported ballot by the per-ballot path: duplicate, refused or accepted. A refusal
        is stored with the ballot's fingerprint: imported again, the same ballot is refused
        again with it, and another under its id is a reused id."""
        key = _IMPORT_KEY + ballot.ballot_id
        first = batch.keys.get(key) or known.get(key)
        if first is not None:
            if isinstance(first, ImportRefusal):
                return _refused_again(first, ballot)
            try:
                _same_web(
                    first,
                    ballot.window,
                    ballot.voter,
                    ballot.allocation,
                    channel=ballot.channel,
                    ts_us=ballot.ts_us,
                )
            except BallroomError as error:
                return ImportOutcome(ballot.ballot_id, "refused", error.code, error.message)
            return ImportOutcome(ballot.ballot_id, "duplicate", receipt=first)
        if ballot.channel is Channel.WEB:
            # A web ballot is refused, if at all, before anything changes (the admission
            # decides, then _record applies): nothing to rewind, so no marks to take.
            try:
                receipt = self._import_one(ballot, batch, key)
            except BallroomError as error:
                return _refuse(batch, ballot, key, error)
        else:
            undo_mark = len(batch.undo)
            marks = self._marks(batch)
            try:
                receipt = self._import_one(ballot, batch, key)
            except BallroomError as error:
                self._rewind(batch, undo_mark, marks)
                return _refuse(batch, ballot, key, error)
        batch.keys[key] = receipt
        return ImportOutcome(ballot.ballot_id, "accepted", "", "", receipt)

    def _import_one(self, ballot: ImportBallot, batch: _Batch, key: str) -> Receipt:
        window = self._window(ballot.window)
        admitted, book = self._admission.imported(window, self._book_of, ballot)
        return self._record(batch, window, admitted, ballot.ts_us, key, ballot.meta, book)


def _refuse(batch: _Batch, ballot: ImportBallot, key: str, error: BallroomError) -> ImportOutcome:
    """Refuse an imported ballot for good: its refusal is committed with the batch."""
    refusal = ImportRefusal(
        ballot.window, ballot.ballot_id, _fingerprint(ballot), error.code, error.message
    )
    batch.import_refusals.append(refusal)
    batch.keys[key] = refusal
    return ImportOutcome(ballot.ballot_id, "refused", error.code, error.message)


def _refused_again(first: ImportRefusal, ballot: ImportBallot) -> ImportOutcome:
    """An imported ballot whose id was refused before: the same refusal for the same ballot
    (it is not decided again), ``IdempotencyMismatch`` for another, as for a stored one."""
    if first.fingerprint == _fingerprint(ballot):
        return ImportOutcome(ballot.ballot_id, "refused", first.code, first.message)
    error = _reused_id()
    return ImportOutcome(ballot.ballot_id, "refused", error.code, error.message)


def _fingerprint(ballot: ImportBallot) -> str:
    return import_fingerprint(
        ballot.window, ballot.voter, ballot.channel, ballot.ts_us, ballot.allocation
    )


_BATCH_KEY = "sms-batch:"
"""A batch's idempotency key among a group's known keys: apart from its texts' ids, which an
aggregator may spell like a batch key."""


def _weight(command: Any) -> int:
    if isinstance(command, _SmsCmd):
        return max(1, len(command.messages))
    if isinstance(command, _ImportCmd):
        return max(1, len(command.ballots))
    if isinstance(command, _ImportChunkCmd):
        return max(1, len(command.chunk))
    return 1


_IMPORT_KEY = "import:"


def _import_key(ballot_id: str) -> str:
    return _IMPORT_KEY + ballot_id


def _require_text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} must be non-empty text", field=name)
    return value


def _same_web(
    first: Receipt,
    window: str,
    voter: str,
    allocation: Mapping[str, object],
    *,
    channel: Channel | None = None,
    ts_us: int | None = None,
) -> Receipt:
    """The first receipt, if the retried request is the same; else ``IdempotencyMismatch``."""
    asked = tuple(sorted((c, v) for c, v in allocation.items() if v != 0))
    if (
        first.window != window
        or first.voter != voter
        or asked != first.allocation
        or (channel is not None and channel is not first.channel)
        or (ts_us is not None and ts_us != first.ts_us)
    ):
        raise _reused_id()
    return first


def _reused_id() -> IdempotencyMismatch:
    return IdempotencyMismatch(
        "this idempotency key was already used for a different ballot", field="idempotency_key"
    )

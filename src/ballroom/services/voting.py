"""The live vote of a night: windows, web ballots, SMS batches, tallies, receipts, recounts.

``VotingService`` is what the HTTP API, the CLI and the benchmarks call. It talks to two
ports (``services/ports.py``): every write goes through one group-commit
:class:`~ballroom.services.ports.VotePipeline` over a :class:`~ballroom.services.ports.VoteLog`
store and is answered only after it is durably committed; ``ballroom.bootstrap.voting_service``
wires the adapters in. Blocking calls (``cast_web_ballot``), future-returning calls
(``submit_web_ballot``, a ``concurrent.futures.Future``) and, for code on an event loop,
awaitable ones (``await service.submit_web_ballot_async(...)``: an asyncio future the writer
settles on that loop, a whole group commit with one wake-up) exist for each write.

Live tallies: ``subscribe(window_id)`` returns a :class:`TallySubscription`. Its ``get()``
blocks until a newer tally than the last one returned is committed (coalescing: a slow reader
only ever sees the latest), and an optional ``callback`` is called on the committer thread after
each commit that changed the window, e.g. ``lambda t: loop.call_soon_threadsafe(q.put_nowait,
t)`` to feed an SSE stream. ``Tally.version`` is the last log sequence number counted.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from ballroom.domain.admission import WindowState
from ballroom.domain.voting import (
    GENESIS_HASH,
    Channel,
    LogEntry,
    Receipt,
    SmsMessage,
    SmsOutcome,
    Tally,
    VoteMeta,
    WindowPhase,
    check_schedule,
    datetime_from_us,
    entry_hash,
    keyword_key,
    recount,
    us_from_datetime,
    verify_chain,
)
from ballroom.errors import Conflict, InvalidInput, NotFound
from ballroom.services.accounts import AccountService, Principal, Role, require_role
from ballroom.services.ports import (
    ChunkOutcome,
    Clock,
    ImportBallot,
    ImportChunk,
    ImportOutcome,
    ReceiptLookup,
    VoteLog,
    VotePipeline,
)

AlsoWrite = Callable[[Any], None]
"""More writes for a window change's transaction (the control room's audit entry)."""

__all__ = [
    "ImportBallot",
    "ImportOutcome",
    "ReceiptCheck",
    "TallySubscription",
    "VotingService",
    "WindowStatus",
]


@dataclass(frozen=True)
class WindowStatus:
    """A window as the control room sees it; ``phase`` is decided by the server clock."""

    id: str
    season: str
    label: str
    phase: WindowPhase
    couples: Mapping[str, str]  # couple id -> SMS keyword
    opens_at: datetime | None
    closes_at: datetime | None
    scheduled_open: datetime | None
    scheduled_close: datetime | None

    @property
    def is_open(self) -> bool:
        """Whether votes are accepted now."""
        return self.phase is WindowPhase.OPEN


@dataclass(frozen=True)
class ReceiptCheck:
    """The result of checking a receipt hash against the stored log."""

    entry: LogEntry
    content_ok: bool  # the entry's hash is what its content gives
    linked_ok: bool  # its neighbours in the chain point at it

    @property
    def ok(self) -> bool:
        """Both checks hold."""
        return self.content_ok and self.linked_ok


class TallySubscription:
    """Live tallies of one window; see the module docstring."""

    def __init__(
        self, service: VotingService, window_id: str, callback: Callable[[Tally], None] | None
    ) -> None:
        self._service = service
        self.window_id = window_id
        self._callback = callback
        self._condition = threading.Condition()
        self._latest: Tally | None = None
        self._seen = -1
        self.closed = False

    def _push(self, tally: Tally) -> None:
        with self._condition:
            self._latest = tally
            self._condition.notify_all()
        if self._callback is not None:
            self._callback(tally)

    def current(self) -> Tally:
        """The latest tally now, without waiting."""
        tally = self._service.tallies(self.window_id)
        self._seen = max(self._seen, tally.version)
        return tally

    def get(self, timeout: float | None = None) -> Tally | None:
        """The next tally newer than the last one returned; ``None`` after ``timeout``."""
        with self._condition:
            ready = self._condition.wait_for(
                lambda: (
                    self.closed or (self._latest is not None and self._latest.version > self._seen)
                ),
                timeout,
            )
            if not ready or self.closed or self._latest is None:
                return None
            self._seen = self._latest.version
            return self._latest

    def close(self) -> None:
        """Stop receiving tallies; a blocked ``get`` returns ``None``."""
        self._service._writer.remove_listener(self.window_id, self._push)
        with self._condition:
            self.closed = True
            self._condition.notify_all()


class VotingService:
    """Windows, ballots, texts, tallies and proofs of one store (see module docstring)."""

    def __init__(
        self, log: VoteLog, pipeline: VotePipeline, clock: Clock, *, index_receipts: bool = True
    ) -> None:
        # ``ballroom.bootstrap.voting_service`` wires a store and its pipeline in.
        self.log: VoteLog = log
        self.clock = clock
        self.cap = pipeline.cap
        self._writer = pipeline
        self.receipts: ReceiptLookup = log.receipt_lookup()
        # False (a bulk import): no indexing alongside the writer; everything at stop().
        self._index_receipts = index_receipts

    def _now_us(self) -> int:
        return us_from_datetime(self.clock.now())

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Rebuild the vote state from the log and start the writer (migrate first)."""
        self._writer.start()
        if self._index_receipts:
            self.receipts.start()

    def stop(self) -> None:
        """Commit what is queued and stop the writer."""
        self._writer.stop()
        if self._index_receipts:
            self.receipts.stop()
        else:
            self.receipts.index_all()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------- windows

    def create_window(
        self, window_id: str, couples: Mapping[str, str], *, label: str = "", season: str = ""
    ) -> None:
        """A new, pending window for ``couples`` (couple id -> SMS keyword)."""
        window_id = _identifier(window_id, "window")
        if not isinstance(couples, Mapping) or not couples:
            raise InvalidInput("a window needs at least one couple", field="couples")
        clean: dict[str, str] = {}
        seen_keywords: dict[str, str] = {}
        for couple, keyword in couples.items():
            couple_id = _identifier(couple, f"couples.{couple}")
            if not isinstance(keyword, str) or not keyword_key(keyword):
                raise InvalidInput(
                    f"couple {couple!r} needs an SMS keyword with letters or digits",
                    field=f"couples.{couple}",
                )
            other = seen_keywords.get(keyword_key(keyword))
            if other is not None:
                raise InvalidInput(
                    f"couples {other!r} and {couple!r} share the keyword {keyword!r}",
                    field=f"couples.{couple}",
                )
            seen_keywords[keyword_key(keyword)] = couple_id
            clean[couple_id] = keyword.strip()

        def action() -> None:
            if window_id in self._writer.windows:
                raise Conflict(f"window {window_id!r} already exists", field="window")
            window = WindowState(
                window_id, season, label, "pending", None, None, None, None, dict(clean)
            )
            self.log.save_window(window, created_at_us=self._now_us())
            with self._writer.state_lock:
                self._writer.windows[window_id] = window

        self._writer.run_admin(action)

    def open_window(self, window_id: str, *, also: AlsoWrite | None = None) -> None:
        """Open voting now (it still closes at a scheduled close, if one is set). ``also``
        writes in the same transaction (the audit entry): both or neither."""
        self._set_status(window_id, "open", also)

    def close_window(self, window_id: str, *, also: AlsoWrite | None = None) -> None:
        """Close voting now; final."""
        self._set_status(window_id, "closed", also)

    def _set_status(self, window_id: str, status: str, also: AlsoWrite | None) -> None:
        def action() -> None:
            window = self._window(window_id)
            now = self._now_us()
            phase = window.phase(now)
            if phase is WindowPhase.CLOSED:
                raise Conflict(f"window {window_id!r} is closed for good", field="window")
            values: dict[str, object] = {"status": status}
            if status == "open" and phase is not WindowPhase.OPEN:
                values["opens_at_us"] = now
            if status == "closed":
                values["closes_at_us"] = now
                if window.opens_at_us is None and phase is WindowPhase.OPEN:
                    values["opens_at_us"] = window.scheduled_open_us
            self._update_window(window, values, also)

        self._writer.run_admin(action)

    def schedule_window(
        self,
        window_id: str,
        opens_at: datetime,
        closes_at: datetime,
        *,
        also: AlsoWrite | None = None,
    ) -> None:
        """Open at ``opens_at`` and close at ``closes_at``, by the server's clock: within a
        year from now (``check_schedule``)."""
        open_us, close_us = us_from_datetime(opens_at), us_from_datetime(closes_at)
        check_schedule(open_us, close_us, self._now_us())

        def action() -> None:
            window = self._window(window_id)
            if window.phase(self._now_us()) is WindowPhase.CLOSED:
                raise Conflict(f"window {window_id!r} is closed for good", field="window")
            self._update_window(
                window, {"scheduled_open_us": open_us, "scheduled_close_us": close_us}, also
            )

        self._writer.run_admin(action)

    def _update_window(
        self, window: WindowState, values: Mapping[str, object], also: AlsoWrite | None = None
    ) -> None:
        """Store the change (and ``also``'s writes, in the same transaction), then hold it in
        memory: a failure before the commit leaves both as they were."""
        self.log.update_window(window.id, values, also)
        with self._writer.state_lock:
            for name, value in values.items():
                setattr(window, name, value)

    def _window(self, window_id: str) -> WindowState:
        window = self._writer.windows.get(window_id)
        if window is None:
            raise NotFound(f"no voting window {window_id!r}", field="window")
        return window

    def window_status(self, window_id: str) -> WindowStatus:
        """Where the window stands now."""
        now = self._now_us()
        with self._writer.state_lock:
            window = self._window(window_id)
            return WindowStatus(
                id=window.id,
                season=window.season,
                label=window.label,
                phase=window.phase(now),
                couples=dict(window.couples),
                opens_at=_dt(window.opens_at_us),
                closes_at=_dt(window.closes_at_us),
                scheduled_open=_dt(window.scheduled_open_us),
                scheduled_close=_dt(window.scheduled_close_us),
            )

    def windows(self) -> list[WindowStatus]:
        """Every window, by id."""
        with self._writer.state_lock:
            ids = sorted(self._writer.windows)
        return [self.window_status(window_id) for window_id in ids]

    # ----------------------------------------------------------------- votes

    def submit_web_ballot(
        self,
        window_id: str,
        voter: str,
        allocation: Mapping[str, int],
        *,
        idempotency_key: str,
        meta: VoteMeta | None = None,
    ) -> Future[Receipt]:
        """Queue a web ballot; the future resolves to its receipt after the commit. The key is
        the voter's own: another voter's same key is another ballot."""
        key = _voter_key(voter, idempotency_key)
        return self._writer.submit_web(window_id, voter, allocation, key, meta or VoteMeta())

    def submit_web_ballot_async(
        self,
        window_id: str,
        voter: str,
        allocation: Mapping[str, int],
        *,
        idempotency_key: str,
        meta: VoteMeta | None = None,
    ) -> asyncio.Future[Receipt]:
        """:meth:`submit_web_ballot` from a running event loop: await the returned future."""
        key = _voter_key(voter, idempotency_key)
        return self._writer.submit_web_async(window_id, voter, allocation, key, meta or VoteMeta())

    def submit_voter_ballot_async(
        self,
        who: Principal,
        window_id: str,
        allocation: Mapping[str, int],
        *,
        idempotency_key: str,
        ip: str = "",
        device: str = "",
    ) -> asyncio.Future[Receipt]:
        """A signed-in voter's web ballot (only a verified voter may cast one), with where it
        came from (``ip``, the user agent as ``device``) for the integrity checks."""
        voter = self._verified_voter(who)
        meta = VoteMeta(email=who.email or "", ip=ip, device=device[:200])
        return self.submit_web_ballot_async(
            window_id, voter, allocation, idempotency_key=idempotency_key, meta=meta
        )

    @staticmethod
    def _verified_voter(who: Principal) -> str:
        AccountService.require_verified(who)
        assert who.identity is not None  # a verified voter always has one
        return who.identity

    def cast_web_ballot(
        self,
        window_id: str,
        voter: str,
        allocation: Mapping[str, int],
        *,
        idempotency_key: str,
        meta: VoteMeta | None = None,
    ) -> Receipt:
        """Save a voter's whole web ballot (replacing their last one); wait for the receipt."""
        return self.submit_web_ballot(
            window_id, voter, allocation, idempotency_key=idempotency_key, meta=meta
        ).result()

    def submit_sms(
        self,
        messages: Sequence[SmsMessage],
        *,
        idempotency_key: str,
        window_id: str | None = None,
    ) -> Future[list[SmsOutcome]]:
        """Queue a batch of inbound texts; one outcome per text, refused ones included."""
        return self._writer.submit_sms(messages, _key(idempotency_key), window_id)

    def submit_sms_async(
        self,
        messages: Sequence[SmsMessage],
        *,
        idempotency_key: str,
        window_id: str | None = None,
    ) -> asyncio.Future[list[SmsOutcome]]:
        """:meth:`submit_sms` from a running event loop: await the returned future."""
        return self._writer.submit_sms_async(messages, _key(idempotency_key), window_id)

    def ingest_sms(
        self,
        messages: Sequence[SmsMessage],
        *,
        idempotency_key: str,
        window_id: str | None = None,
    ) -> list[SmsOutcome]:
        """Count a batch of texts for the open window whose keyword each names."""
        return self.submit_sms(
            messages, idempotency_key=idempotency_key, window_id=window_id
        ).result()

    def submit_import(self, ballots: Sequence[ImportBallot]) -> Future[list[ImportOutcome]]:
        """Queue ballots read from an interchange file (they keep their ids and timestamps;
        the window check uses each ballot's own time, not the clock)."""
        return self._writer.submit_import(ballots)

    def submit_import_chunk(self, chunk: ImportChunk) -> Future[ChunkOutcome]:
        """Queue a chunk of an interchange file, decided in bulk on the writer."""
        return self._writer.submit_import_chunk(chunk)

    def ensure_window(self, window_id: str, couples: Sequence[str], *, label: str = "") -> None:
        """Create the window and any missing couples as a bare night (import does this)."""

        def action() -> None:
            window = self._writer.windows.get(window_id)
            known = {} if window is None else window.couples
            missing = {c: c for c in couples if c not in known}
            if window is None:
                bare = WindowState(window_id, "", label, "closed", None, None, None, None, missing)
                self.log.save_window(bare, created_at_us=self._now_us())
            else:
                self.log.add_couples(window_id, missing)
            with self._writer.state_lock:
                if window is None:
                    window = self._writer.windows[window_id] = WindowState(
                        window_id, "", label, "closed", None, None, None, None, {}
                    )
                for couple in couples:
                    window.couples.setdefault(couple, couple)
                    window.tally.web.setdefault(couple, 0)
                    window.tally.sms.setdefault(couple, 0)
                window.reindex()

        self._writer.run_admin(action)

    # ----------------------------------------------------------------- reading

    def tallies(self, window_id: str) -> Tally:
        """The live, committed tally of a window."""
        with self._writer.state_lock:
            return self._window(window_id).tally.snapshot()

    def tallies_for(self, who: Principal, window_id: str) -> Tally:
        """The live tally, for the control room (producers only: it moves while voting is
        open, and the public sees results only once the night is revealed)."""
        require_role(who, Role.PRODUCER)
        return self.tallies(window_id)

    def subscribe(
        self, window_id: str, callback: Callable[[Tally], None] | None = None
    ) -> TallySubscription:
        """Live tallies of a window (see the module docstring)."""
        self._window(window_id)
        subscription = TallySubscription(self, window_id, callback)
        self._writer.add_listener(window_id, subscription._push)
        return subscription

    def log_entries(self, window_id: str) -> list[LogEntry]:
        """A window's whole log, in order."""
        self._window(window_id)
        return list(self.log.read_log(window_id))

    def recount(self, window_id: str) -> Tally:
        """The tally recomputed from the stored log alone."""
        couples = self.window_status(window_id).couples
        return recount(window_id, self.log.read_log(window_id), couples)

    def verify_log(self, window_id: str) -> int | None:
        """The seq of the first stored entry that breaks the window's chain, or ``None``."""
        entries = self.log_entries(window_id)
        bad = verify_chain(entries)
        return None if bad is None else entries[bad].seq

    def current_web_ballot(self, window_id: str, voter: str) -> LogEntry | None:
        """The voter's web ballot that counts now in the window (their latest), if any."""
        self._window(window_id)
        book = self._writer.books[self._writer.partition(voter)]
        seq = book.web_ballot_seq(window_id, voter)
        if not seq:
            return None
        found = self.log.read_log_slice(window_id, seq, seq)
        # The book is ahead of the store only while the ballot's commit is in flight.
        return found[0] if found and found[0].voter == voter else None

    def my_web_ballot(self, who: Principal, window_id: str) -> LogEntry | None:
        """A signed-in voter's own web ballot that counts now (verified voters only)."""
        return self.current_web_ballot(window_id, self._verified_voter(who))

    def superseded(self, entry: LogEntry) -> bool:
        """Whether a later web ballot of the same voter replaced ``entry`` (texts never are)."""
        if entry.channel is not Channel.WEB:
            return False
        book = self._writer.books[self._writer.partition(entry.voter)]
        current = book.web_ballot_seq(entry.window, entry.voter)
        return current is not None and current != entry.seq

    def chain_root(self, window_id: str) -> str:
        """The hash of the window's last entry (the genesis hash for an empty log)."""
        with self._writer.state_lock:
            window = self._window(window_id)
            return window.head_hash if window.next_seq > 1 else GENESIS_HASH

    def verify_receipt(self, receipt_hash: str) -> ReceiptCheck:
        """Find a receipt's entry in the log and check its hash and its links."""
        if not isinstance(receipt_hash, str) or not _is_hex_digest(receipt_hash):
            raise InvalidInput("a receipt hash is 64 hex digits", field="hash")
        receipt_hash = receipt_hash.lower()
        located = self.receipts.locate(receipt_hash)
        around = self._entries_around(located)
        found = around.get(located[1]) if located is not None else None
        if located is not None and (found is None or found.hash != receipt_hash):
            # The index points at an entry whose stored hash changed since: ask the log.
            located = self.receipts.scan(receipt_hash)
            around = self._entries_around(located)
        if located is None:
            raise NotFound("no ballot with that receipt hash", field="hash")
        seq = located[1]
        entry = around[seq]
        before, after = around.get(seq - 1), around.get(seq + 1)
        linked = (entry.prev_hash == (before.hash if before else GENESIS_HASH)) and (
            after is None or after.prev_hash == entry.hash
        )
        return ReceiptCheck(
            entry=entry,
            content_ok=entry.hash == entry_hash(entry, entry.prev_hash),
            linked_ok=linked,
        )

    def _entries_around(self, located: tuple[str, int] | None) -> dict[int, LogEntry]:
        """The entry at ``located`` and its two neighbours, by seq."""
        if located is None:
            return {}
        window_id, seq = located
        return {e.seq: e for e in self.log.read_log_slice(window_id, max(1, seq - 1), seq + 1)}


def _is_hex_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)


def _dt(ts_us: int | None) -> datetime | None:
    return None if ts_us is None else datetime_from_us(ts_us)


def _identifier(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise InvalidInput(f"{field} must be an id of 1 to 64 characters", field=field)
    return value.strip()


def _key(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 256:
        raise InvalidInput(
            "an idempotency key of 1 to 256 characters is required", field="idempotency_key"
        )
    return value


def _voter_key(voter: object, value: object) -> str:
    """A web ballot's key as stored: scoped to its voter, so one voter's key is never
    another's (a digest keeps it one fixed length, and apart from texts' ``sms:`` keys)."""
    key = _key(value)
    if not isinstance(voter, str):
        return key  # the writer refuses the voter itself, with its own error
    scoped = hashlib.sha256(f"{voter}\x00{key}".encode()).hexdigest()
    return f"web:{scoped}"

"""The rules of the public vote: who a voter is, what a ballot may hold, and the vote log.

Pure: no I/O, no clock, no randomness. The vote log's pipeline keeps one :class:`VoteBook` per
voter partition and asks the admission (``ballroom.domain.admission``), ballot by ballot,
whether a vote fits the caps; the log it writes is hash-chained with :func:`chain_hash` and
can always be replayed by :func:`recount` into the same :class:`Tally` the live counters show.

Rules encoded here (the show's voting terms, see docs/rules.md):

- A voter may give at most ``cap`` votes per couple per method per window.
- A *web* ballot is a whole allocation (couple -> 1..cap) that **replaces** the voter's previous
  web ballot in that window, so its cap check is on the allocation itself. An all-zero ballot
  *withdraws* the voter's web votes: it is logged and chained like any ballot and replaces the
  previous one with nothing; with no votes to withdraw it is refused (the interchange file writes
  a withdrawal as rows of 0 votes for the couples it takes votes from).
- An *SMS* text is one vote for one couple, final; the ``cap``-th text is the last one counted.
- Log entry ``n`` of a window carries ``hash = sha256(prev_hash || canonical_bytes(entry))``
  with the first ``prev_hash`` being :data:`GENESIS_HASH`. The voter's contact data (email,
  phone, ip, device) is deliberately *not* hashed, so a published log may redact it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

import phonenumbers

from ballroom.domain.eligibility import SMS_REGION_REPLY
from ballroom.errors import CapExceeded, InvalidInput, UnknownCouple, WrongType

DEFAULT_CAP = 10
GENESIS_HASH = "0" * 64
BUCKET_SECONDS = 60


class Channel(StrEnum):
    """How a vote arrived: an online ballot or a text message."""

    WEB = "web"
    SMS = "sms"


# --------------------------------------------------------------------------- identities

# Providers that deliver mail for "j.doe" to "jdoe": dots cannot make a second identity there.
_DOTLESS_PROVIDERS = frozenset({"gmail.com"})
_DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
_LOCAL_PART = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalise_email(address: str) -> str:
    """The cap identity of an online account: one per mailbox, whatever alias reaches it."""
    if not isinstance(address, str):
        raise WrongType("an email address must be text", field="email")
    text = address.strip().lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or not _LOCAL_PART.match(local) or not _DOMAIN.match(domain):
        raise InvalidInput(f"not an email address: {address!r}", field="email")
    domain = _DOMAIN_ALIASES.get(domain, domain)
    # "+tags" reach the same mailbox on every major provider.
    local = local.split("+", 1)[0]
    if domain in _DOTLESS_PROVIDERS:
        local = local.replace(".", "")
    if not local or local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidInput(f"not an email address: {address!r}", field="email")
    return f"{local}@{domain}"


_NOT_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def keyword_key(text: str) -> str:
    """The form keywords are compared in: letters and digits only, case-folded."""
    return _NOT_ALNUM.sub("", text).casefold()


def parse_sms_keyword(body: str, keywords: Mapping[str, str]) -> str | None:
    """The couple id a text votes for (``keywords``: keyword -> couple id), or ``None``.

    Any case, and any spaces or punctuation around or inside the keyword (" hilaria! ",
    "Hi-laria") are tolerated; anything else is not a vote.
    """
    wanted = keyword_key(body)
    if not wanted:
        return None
    for keyword, couple in keywords.items():
        if keyword_key(keyword) == wanted:
            return couple
    return None


AGGREGATOR_REGION = "US"
"""The SMS aggregator's country (the show's short code is a US one): a number without a
country code is read as a number of this country, as the aggregator's own network would."""


@functools.lru_cache(maxsize=1 << 16)  # a sender texts up to 10 times per couple: cache hits
def normalise_phone(number: str, region: str = AGGREGATOR_REGION) -> str:
    """The cap identity of an SMS sender: the number in E.164 form (``+`` and digits).

    Read by the maintained ``phonenumbers`` library (libphonenumber's metadata), with
    ``region`` for numbers written without a country code: ``(212) 555-0100`` and
    ``212-555-0100`` are ``+12125550100``. A number must have a possible length for its
    country as a full number (``+1212555010000`` is too long; a 7-digit local number is not
    a sender); only digits, spaces, ``+``, ``(``, ``)``, ``.`` and ``-`` are accepted."""
    if not isinstance(number, str):
        raise WrongType("a phone number must be text", field="phone")
    if _NANP_E164.fullmatch(number) is not None:
        # As gateways send it: "+1" and ten digits is a possible NANP number (the property
        # tests check this shortcut against the library on any text).
        return number
    if len(number) > _LONGEST or _PHONE.fullmatch(number) is None:
        raise InvalidInput(f"not a phone number: {number!r}", field="phone")
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"not a phone number: {number!r}", field="phone") from None
    if phonenumbers.is_possible_number_with_reason(parsed) != _POSSIBLE:
        raise InvalidInput(f"not a possible phone number: {number!r}", field="phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_PHONE = re.compile(r"[0-9\s()+.-]+")
_NANP_E164 = re.compile(r"\+1[0-9]{10}")
_LONGEST = 40  # characters: far more than any written number needs
_POSSIBLE = phonenumbers.ValidationResult.IS_POSSIBLE


# --------------------------------------------------------------------------- ballots and caps

Allocation = tuple[tuple[str, int], ...]
"""An accepted allocation: (couple, votes) pairs with votes >= 1, sorted by couple id."""


def check_web_allocation(
    allocation: Mapping[str, object],
    couples: Iterable[str],
    cap: int = DEFAULT_CAP,
    *,
    withdrawal: bool = False,
) -> Allocation:
    """Validate a whole web ballot against the window's active couples; return what counts.

    Raises ``UnknownCouple`` for a couple not active in the window, ``WrongType`` or
    ``InvalidInput`` (naming the couple) for a value that is not a whole number 0..cap,
    ``CapExceeded`` for a value above the cap, ``InvalidInput`` for a ballot without votes
    unless ``withdrawal`` (the voter has votes to withdraw): then it is the empty allocation.
    """
    if not isinstance(allocation, Mapping):
        raise WrongType("a ballot must map couple ids to votes", field="allocation")
    active = couples if isinstance(couples, (set, frozenset, dict)) else set(couples)
    accepted: list[tuple[str, int]] = []
    for couple, votes in allocation.items():
        # The hot path: the common case passes three cheap checks; a message is built only
        # for a refusal.
        if couple in active and type(votes) is int and 0 <= votes <= cap:
            if votes:
                accepted.append((couple, votes))
            continue
        where = f"allocation.{couple}"
        if couple not in active:
            raise UnknownCouple(f"no couple {couple!r} is voting in this window", field=where)
        if isinstance(votes, bool) or not isinstance(votes, int):
            raise WrongType(f"votes for {couple!r} must be a whole number", field=where)
        if votes < 0:
            raise InvalidInput(f"votes for {couple!r} cannot be negative", field=where)
        if votes > cap:
            raise CapExceeded(
                f"{votes} votes for {couple!r} is over the cap of {cap} per couple", field=where
            )
        # An int subclass within range (not bool, which failed above): count it as an int.
        if votes:
            accepted.append((couple, int(votes)))
    if not accepted and not withdrawal:
        raise InvalidInput(
            "a ballot must give at least one vote (there are no saved votes to withdraw)",
            field="allocation",
        )
    accepted.sort()
    return tuple(accepted)


def interchange_pairs(allocation: Allocation, couples: Sequence[str]) -> Allocation:
    """A ballot's (couple, votes) rows in the interchange file: its allocation, or for a
    withdrawal (no votes) one row of 0 votes for the window's first couple, so that the
    ballot, which the chain holds like any other, is in the file too."""
    if allocation or not couples:
        return allocation
    return ((min(couples), 0),)


@dataclass(frozen=True)
class CoupleCount:
    """One couple's votes in a window, by method."""

    web: int = 0
    sms: int = 0

    @property
    def total(self) -> int:
        """Web and SMS votes together."""
        return self.web + self.sms


@dataclass(frozen=True)
class Tally:
    """A window's counted votes: per couple and method, and per minute (net change).

    ``buckets`` maps the start of each minute (UTC) to the net change of every couple's total
    in it; a replaced web ballot subtracts, so the buckets always sum to the totals.
    """

    window: str
    couples: Mapping[str, CoupleCount]
    buckets: Mapping[datetime, Mapping[str, int]] = field(default_factory=dict)
    ballots: int = 0
    version: int = 0

    def totals(self) -> dict[str, int]:
        """Each couple's web + SMS votes."""
        return {couple: count.total for couple, count in self.couples.items()}

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form (the export's results file and the API use it)."""
        return {
            "window": self.window,
            "ballots": self.ballots,
            "version": self.version,
            "couples": {
                couple: {"web": count.web, "sms": count.sms, "total": count.total}
                for couple, count in sorted(self.couples.items())
            },
            "buckets": [
                {
                    "start": start.isoformat().replace("+00:00", "Z"),
                    "votes": dict(sorted(v.items())),
                }
                for start, v in sorted(self.buckets.items())
            ],
        }


class TallyCounter:
    """Mutable counters behind a :class:`Tally`; the live path and the recount share it."""

    def __init__(self, window: str, couples: Iterable[str] = ()) -> None:
        self.window = window
        self.web: dict[str, int] = dict.fromkeys(couples, 0)
        self.sms: dict[str, int] = dict.fromkeys(self.web, 0)
        self.buckets: dict[int, dict[str, int]] = {}
        self.ballots = 0
        self.version = 0

    def add(self, channel: Channel, allocation: Allocation, ts_us: int, sign: int = 1) -> None:
        """Count (``sign=1``) or uncount (``sign=-1``) an allocation at a moment."""
        target = self.web if channel is Channel.WEB else self.sms
        bucket_key = ts_us // (BUCKET_SECONDS * 1_000_000)
        bucket = self.buckets.get(bucket_key)
        if bucket is None:
            bucket = self.buckets[bucket_key] = {}
        for couple, votes in allocation:
            delta = sign * votes
            target[couple] = target.get(couple, 0) + delta
            bucket[couple] = bucket.get(couple, 0) + delta
            if couple not in self.web:
                self.web[couple] = 0
            if couple not in self.sms:
                self.sms[couple] = 0

    def snapshot(self) -> Tally:
        """An immutable copy."""
        couples = {c: CoupleCount(web=self.web[c], sms=self.sms[c]) for c in self.web}
        buckets = {
            datetime.fromtimestamp(key * BUCKET_SECONDS, UTC): {c: v for c, v in b.items() if v}
            for key, b in self.buckets.items()
        }
        return Tally(
            window=self.window,
            couples=couples,
            buckets={k: v for k, v in buckets.items() if v},
            ballots=self.ballots,
            version=self.version,
        )


class VoteBook:
    """Cap state and tallies for the voters of one partition (every window).

    Checks never change anything; ``apply_*`` change state and return an undo record that
    :meth:`undo` reverses exactly (the writer uses it when a commit fails).
    """

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self.cap = cap
        # (window, voter) -> the voter's current web allocation.
        self.web: dict[tuple[str, str], Allocation] = {}
        # (window, voter) -> the log sequence number of that allocation (the voter's receipt).
        self.web_seq: dict[tuple[str, str], int] = {}
        # (window, voter, couple) -> texts counted.
        self.sms: dict[tuple[str, str, str], int] = {}

    def previous_web(self, window: str, voter: str) -> Allocation | None:
        """The web ballot this one would replace, if any."""
        return self.web.get((window, voter))

    def web_ballot_seq(self, window: str, voter: str) -> int | None:
        """The log sequence number of the voter's current web ballot, if any."""
        return self.web_seq.get((window, voter))

    def apply_web(
        self, window: str, voter: str, allocation: Allocation, seq: int = 0
    ) -> Allocation | None:
        """Make ``allocation`` (logged as entry ``seq``) the voter's web ballot; return the one
        it replaced."""
        key = (window, voter)
        previous = self.web.get(key)
        self.web[key] = allocation
        self.web_seq[key] = seq
        return previous

    def replace_web(
        self, window: str, voter: str, allocation: Allocation, seq: int
    ) -> tuple[Allocation | None, int]:
        """:meth:`apply_web` returning what :meth:`undo_web` needs: the web ballot replaced
        and its seq (0: none), in one call (the bulk import's, once per ballot)."""
        key = (window, voter)
        previous = self.web.get(key)
        previous_seq = self.web_seq.get(key) or 0
        self.web[key] = allocation
        self.web_seq[key] = seq
        return previous, previous_seq

    def undo_web(
        self, window: str, voter: str, previous: Allocation | None, previous_seq: int = 0
    ) -> None:
        """Reverse :meth:`apply_web`."""
        key = (window, voter)
        if previous is None:
            self.web.pop(key, None)
            self.web_seq.pop(key, None)
        else:
            self.web[key] = previous
            self.web_seq[key] = previous_seq

    def take_sms(self, key: tuple[str, str, str], votes: int = 1) -> bool:
        """Count ``votes`` texts for ``key`` (window, voter, couple) if they fit the cap, else
        change nothing and say so. The one cap rule of text votes, live and imported: the
        ``cap``-th text is the last one counted."""
        sms = self.sms
        used = sms.get(key, 0) + votes
        if used > self.cap:
            return False
        sms[key] = used
        return True

    def apply_sms(self, window: str, voter: str, couple: str) -> None:
        """Count one text already in the log (replay: the log is the truth, no cap check)."""
        key = (window, voter, couple)
        self.sms[key] = self.sms.get(key, 0) + 1

    def undo_sms(self, window: str, voter: str, couple: str, votes: int = 1) -> None:
        """Give back ``votes`` texts counted by :meth:`take_sms` or :meth:`apply_sms`."""
        key = (window, voter, couple)
        left = self.sms[key] - votes
        if left:
            self.sms[key] = left
        else:
            del self.sms[key]


# --------------------------------------------------------------------------- the log


@dataclass(frozen=True)
class LogEntry:
    """One accepted ballot in a window's append-only log."""

    seq: int
    window: str
    ballot_id: str
    voter: str
    channel: Channel
    ts_us: int
    allocation: Allocation
    prev_hash: str = GENESIS_HASH
    hash: str = ""

    @property
    def ts(self) -> datetime:
        """The moment of acceptance, UTC."""
        return datetime_from_us(self.ts_us)


def us_from_datetime(moment: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is refused (times are always zoned)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"time {moment.isoformat()} has no UTC offset", field="ts")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def datetime_from_us(ts_us: int) -> datetime:
    """The inverse of :func:`us_from_datetime`, in UTC."""
    seconds, micros = divmod(ts_us, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_quote = json.encoder.encode_basestring  # the JSON string form json.dumps gives a str


@functools.lru_cache(maxsize=65_536)
def _allocation_text(allocation: Allocation) -> str:
    return "[" + ",".join(f"[{_quote(couple)},{votes}]" for couple, votes in allocation) + "]"


def canonical_bytes(  # noqa: PLR0917 - called positionally once per vote on the hot path
    seq: int,
    window: str,
    ballot_id: str,
    voter: str,
    channel: str,
    ts_us: int,
    allocation: Allocation,
) -> bytes:
    """The exact bytes hashed for a log entry: the compact JSON array
    ``[seq, window, ballot_id, voter, channel, ts_us, [[couple, votes], ...]]`` in UTF-8
    (what ``json.dumps(..., separators=(",", ":"), ensure_ascii=False)`` writes; built by
    hand because this runs once per vote). The ONE encoding of an entry: every writer and
    verifier builds it from :func:`canonical_text` and :func:`canonical_tail`, and fixed
    vectors pin it (tests/vectors/log_entries.json)."""
    return canonical_text(
        "",
        seq,
        _quote(window),
        ballot_id,
        _quote(voter),
        canonical_tail(channel, ts_us, allocation),
    ).encode()


def canonical_text(  # noqa: PLR0917 - called positionally once per text on the bulk path
    prev_hash: str, seq: int, quoted_window: str, ballot_id: str, quoted_voter: str, tail: str
) -> str:
    """``prev_hash`` followed by an entry's canonical text (:func:`canonical_bytes` as text):
    what the chain hashes, as one string. The layout of an entry's head is written here and
    nowhere else. ``quoted_window`` and ``quoted_voter`` are :func:`json_string` of the window
    and the voter (the bulk path quotes each once per batch or sender, not per text), ``tail``
    is :func:`canonical_tail` (once per couple and batch)."""
    return f"{prev_hash}[{seq},{quoted_window},{_quote(ballot_id)},{quoted_voter}{tail}"


def canonical_head(seq: int, window: str, ballot_id: str, voter: str) -> str:
    """The start of :func:`canonical_bytes` up to the voter, as text (what differs per vote)."""
    return canonical_text("", seq, _quote(window), ballot_id, _quote(voter), "")


def canonical_tail(channel: str, ts_us: int, allocation: Allocation) -> str:
    """The end of :func:`canonical_bytes` from the channel on, as text: the bulk path builds
    it once per (batch, allocation) and only the head per vote."""
    return f",{_quote(str(channel))},{ts_us},{_allocation_text(allocation)}]"


json_string: Callable[[str], str] = _quote
"""``text`` as a JSON string literal, exactly as :func:`canonical_bytes` writes it."""


def chain_hash(prev_hash: str, payload: bytes) -> str:
    """``sha256(prev_hash || payload)`` in hex; ``prev_hash`` is hashed as its hex text."""
    return hashlib.sha256(prev_hash.encode() + payload).hexdigest()


def entry_hash(entry: LogEntry, prev_hash: str) -> str:
    """The hash ``entry`` must carry when it follows ``prev_hash``."""
    return chain_hash(
        prev_hash,
        canonical_bytes(
            entry.seq,
            entry.window,
            entry.ballot_id,
            entry.voter,
            entry.channel,
            entry.ts_us,
            entry.allocation,
        ),
    )


def verify_chain(entries: Sequence[LogEntry], genesis: str = GENESIS_HASH) -> int | None:
    """The index of the first entry that breaks the chain, or ``None`` when all hold.

    An entry breaks the chain if its ``prev_hash`` is not the previous entry's hash, its hash
    is not what its content gives, or its ``seq`` does not follow the previous one.
    """
    prev = genesis
    expected_seq = entries[0].seq if entries else 0
    for index, entry in enumerate(entries):
        if (
            entry.prev_hash != prev
            or entry.seq != expected_seq
            or entry.hash != entry_hash(entry, prev)
        ):
            return index
        prev = entry.hash
        expected_seq += 1
    return None


def recount(window: str, entries: Iterable[LogEntry], couples: Iterable[str] = ()) -> Tally:
    """Replay a window's log into its tally: a web ballot replaces the voter's last, SMS adds."""
    counter = TallyCounter(window, couples)
    current: dict[str, LogEntry] = {}
    for entry in entries:
        if entry.window != window:
            continue
        if entry.channel is Channel.WEB:
            previous = current.get(entry.voter)
            if previous is not None:
                counter.add(Channel.WEB, previous.allocation, entry.ts_us, sign=-1)
            current[entry.voter] = entry
        counter.add(entry.channel, entry.allocation, entry.ts_us)
        counter.ballots += 1
        counter.version = entry.seq
    return counter.snapshot()


# --------------------------------------------------------------------------- windows


class WindowPhase(StrEnum):
    """Where a voting window stands at a given moment."""

    PENDING = "pending"  # created, neither opened nor scheduled
    SCHEDULED = "scheduled"  # will open at its scheduled time
    OPEN = "open"
    CLOSED = "closed"


def window_phase(
    status: str,
    scheduled_open_us: int | None,
    scheduled_close_us: int | None,
    now_us: int,
) -> WindowPhase:
    """The phase of a window at ``now_us`` (the server's clock); ``status`` is what the
    control room last did: ``pending``, ``open`` or ``closed``.

    A manual close is final; a manual open still closes at the scheduled close, if any.
    """
    if status == WindowPhase.CLOSED:
        return WindowPhase.CLOSED
    if scheduled_close_us is not None and now_us >= scheduled_close_us:
        return WindowPhase.CLOSED
    if status == WindowPhase.OPEN:
        return WindowPhase.OPEN
    if scheduled_open_us is None:
        return WindowPhase.PENDING
    return WindowPhase.OPEN if now_us >= scheduled_open_us else WindowPhase.SCHEDULED


SCHEDULE_AHEAD_US = 366 * 86_400 * 1_000_000
"""A window may be scheduled up to a year ahead of the server's clock (a season's nights)."""
SCHEDULE_BEHIND_US = 86_400 * 1_000_000
"""...and to have opened up to a day ago (a schedule entered after the show began)."""


def check_schedule(open_us: int, close_us: int, now_us: int) -> None:
    """``InvalidInput`` naming the field unless the window opens no earlier than a day ago,
    closes after it opens, and both fall within a year from ``now_us``: anything else is a
    typing slip (or an attack), never a night to vote in."""
    earliest, latest = now_us - SCHEDULE_BEHIND_US, now_us + SCHEDULE_AHEAD_US
    if not earliest <= open_us <= latest:
        raise InvalidInput(
            "opens_at must be between a day ago and a year from now", field="opens_at"
        )
    if close_us <= open_us:
        raise InvalidInput("a window must close after it opens", field="closes_at")
    if close_us > latest:
        raise InvalidInput("closes_at must be within a year from now", field="closes_at")


# --------------------------------------------------------------------------- value objects


@dataclass(frozen=True)
class VoteMeta:
    """What an integrity analysis sees of a vote's origin; never part of the hash."""

    email: str = ""
    phone: str = ""
    ip: str = ""
    device: str = ""


class Receipt(NamedTuple):
    """Proof of an accepted ballot, checkable against the published log by its hash.

    A named tuple, not a dataclass: the bulk path makes one per text and a tuple is cheaper.
    """

    ballot_id: str
    seq: int
    window: str
    voter: str
    channel: Channel
    allocation: Allocation
    ts_us: int
    hash: str

    @property
    def ts(self) -> datetime:
        """The moment of acceptance, UTC."""
        return datetime_from_us(self.ts_us)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {
            "ballot_id": self.ballot_id,
            "seq": self.seq,
            "window": self.window,
            "channel": str(self.channel),
            "allocation": dict(self.allocation),
            "ts": self.ts.isoformat().replace("+00:00", "Z"),
            "hash": self.hash,
        }


@dataclass(frozen=True)
class SmsMessage:
    """One inbound text as an SMS aggregator delivers it."""

    phone: str
    body: str
    to: str = ""
    received_at: datetime | None = None
    message_id: str = ""
    """The aggregator's id of the message: a text is counted once per id (empty: no id)."""


class SmsRefusal(StrEnum):
    """Why a text did not count."""

    WINDOW_CLOSED = "window_closed"
    UNKNOWN_KEYWORD = "unknown_keyword"
    CAP_EXCEEDED = "cap_exceeded"
    INVALID_SENDER = "invalid_sender"
    REGION = "region"
    """The sender's number is outside the SMS regions (``ballroom.domain.eligibility``)."""


SMS_ACCEPTED = "Thanks! Your vote for {couple} counted."
SMS_REPLIES = {
    SmsRefusal.WINDOW_CLOSED: "Voting is closed. Your text was not counted.",
    SmsRefusal.UNKNOWN_KEYWORD: "Sorry, we did not recognise that name. Text a couple's keyword.",
    SmsRefusal.CAP_EXCEEDED: "You have used all {cap} text votes for this couple tonight.",
    SmsRefusal.INVALID_SENDER: "Sorry, votes from this number cannot be counted.",
    SmsRefusal.REGION: SMS_REGION_REPLY,
}


class SmsOutcome(NamedTuple):
    """What became of one text of a batch: a receipt, or the reason it was refused.

    A named tuple, as :class:`Receipt`: the bulk path makes one per text, with
    ``tuple.__new__``, without a Python-level call."""

    index: int  # type: ignore[assignment]  # the text's place in its batch (shadows tuple.index)
    reply: str
    receipt: Receipt | None = None
    reason: SmsRefusal | None = None
    couple: str | None = None

    @property
    def accepted(self) -> bool:
        """Whether the text counted."""
        return self.receipt is not None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form (the API returns it)."""
        return {
            "index": self.index,
            "accepted": self.accepted,
            "couple": self.couple,
            "reason": None if self.reason is None else str(self.reason),
            "reply": self.reply,
            "receipt": None if self.receipt is None else self.receipt.as_dict(),
        }

    @classmethod
    def counted(cls, index: int, receipt: Receipt) -> SmsOutcome:
        """A text that counted (one vote, for the couple of its receipt)."""
        couple = receipt.allocation[0][0]
        return cls(index, SMS_ACCEPTED.format(couple=couple), receipt, None, couple)

    @classmethod
    def refused(cls, index: int, reason: SmsRefusal, cap: int, couple: str | None) -> SmsOutcome:
        """A text refused for ``reason`` (``cap``: the text cap its reply names)."""
        return cls(index, SMS_REPLIES[reason].format(cap=cap), None, reason, couple)

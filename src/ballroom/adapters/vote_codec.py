"""How the vote log's rows are written and read back: the stored allocation text, rows as
domain entries and receipts, the fingerprints of an SMS batch and of an imported ballot.

The hashed encoding of an entry is not here: it is the domain's one canonical encoding
(``ballroom.domain.voting.canonical_bytes``). This is only the storage form.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from ballroom.domain.voting import (
    Allocation,
    Channel,
    LogEntry,
    Receipt,
    SmsMessage,
    us_from_datetime,
)

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


@functools.lru_cache(maxsize=4096)  # texts repeat a handful of allocations millions of times
def allocation_json(allocation: Allocation) -> str:
    """The stored form of an allocation: a compact JSON object sorted by couple (the same
    text as ``json.dumps(..., separators=(",", ":"), ensure_ascii=False, sort_keys=True)``)."""
    return orjson.dumps(dict(allocation), option=orjson.OPT_SORT_KEYS).decode()


def allocation_from_json(text: str) -> Allocation:
    """The inverse of :func:`allocation_json`."""
    return tuple(sorted((str(c), int(v)) for c, v in json.loads(text).items()))


def log_entry_from_row(row: Any, window: str, allocation: Allocation | None = None) -> LogEntry:
    """A stored vote-log row as the domain's entry (``allocation`` when already parsed)."""
    return LogEntry(
        seq=row.seq,
        window=window,
        ballot_id=row.ballot_id,
        voter=row.voter,
        channel=Channel(row.channel),
        ts_us=row.ts_us,
        allocation=allocation_from_json(row.allocation) if allocation is None else allocation,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def receipt_from_tuple(row: Sequence[Any]) -> Receipt:
    """A receipt from a ``KEYS_COLUMNS`` row of the driver."""
    _, ballot_id, seq, window, voter, channel, allocation, ts_us, hash_ = row
    return Receipt(
        ballot_id=ballot_id,
        seq=int(seq),
        window=window,
        voter=voter,
        channel=Channel(channel),
        allocation=allocation_from_json(allocation),
        ts_us=int(ts_us),
        hash=hash_,
    )


def receipt_from_row(row: Any) -> Receipt:
    """A receipt rebuilt from a stored ``vote_log`` row."""
    return Receipt(
        ballot_id=row.ballot_id,
        seq=row.seq,
        window=row.window_id,
        voter=row.voter,
        channel=Channel(row.channel),
        allocation=allocation_from_json(row.allocation),
        ts_us=row.ts_us,
        hash=row.hash,
    )


_FINGERPRINTED = operator.attrgetter("phone", "body", "to", "received_at")


def sms_fingerprint(messages: Sequence[SmsMessage], window: str | None) -> str:
    """sha256 of ``[window, [[phone, body, to, received_us], ...]]`` as compact JSON (each
    text's message id appended when any text has one)."""
    body: list[Any] = list(map(_FINGERPRINTED, messages))  # tuples encode as JSON arrays
    if any(m.received_at is not None for m in messages):
        body = [(p, b, t, None if r is None else us_from_datetime(r)) for p, b, t, r in body]
    if any(m.message_id for m in messages):
        body = [(*fields, m.message_id) for fields, m in zip(body, messages, strict=True)]
    try:
        # Byte for byte the stdlib form below (tests/unit/adapters/test_votelog_encoding.py),
        # and much cheaper: the stdlib encoding was a visible share of the bulk path's writer.
        encoded = orjson.dumps([window, body])
    except orjson.JSONEncodeError:  # what orjson refuses, the stdlib form reports as before
        encoded = _encode([window, body]).encode()
    return hashlib.sha256(encoded).hexdigest()


def import_fingerprint(
    window: str, voter: str, channel: Channel, ts_us: int, allocation: Mapping[str, int]
) -> str:
    """sha256 of an imported ballot's content, ``[window, voter, channel, ts_us, [[couple,
    votes], ...]]`` as compact JSON with the couples sorted and rows of 0 votes kept: what the
    rules decide it on (its id is the key it is stored under; origin metadata is not judged)."""
    rows = sorted(allocation.items())
    return hashlib.sha256(_encode([window, voter, channel.value, ts_us, rows]).encode()).hexdigest()

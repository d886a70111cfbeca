"""The vote writer's fast encoders give exactly the bytes the domain and the store define."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballroom.adapters.vote_codec import allocation_json, sms_fingerprint
from ballroom.domain.voting import SmsMessage, us_from_datetime

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)  # no lone surrogates
_ALLOCATION = st.dictionaries(_TEXT, st.integers(0, 10), max_size=16).map(
    lambda votes: tuple(sorted(votes.items()))
)


@given(allocation=_ALLOCATION)
def test_allocation_json_is_the_stdlib_sorted_compact_form(
    allocation: tuple[tuple[str, int], ...],
) -> None:
    expected = json.dumps(
        dict(allocation), ensure_ascii=False, separators=(",", ":"), sort_keys=True
    )
    assert allocation_json(allocation) == expected


def _stdlib_fingerprint(messages: list[SmsMessage], window: str | None) -> str:
    """The fingerprint as earlier releases computed it (stored in ``sms_batches``): a retry
    after an upgrade must still match the batch it retries."""
    body = [
        (m.phone, m.body, m.to, None if m.received_at is None else us_from_datetime(m.received_at))
        for m in messages
    ]
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
    return hashlib.sha256(encode([window, body]).encode()).hexdigest()


_ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_MESSAGE = st.builds(
    SmsMessage,
    phone=_ANY_TEXT,
    body=_ANY_TEXT,
    to=_ANY_TEXT,
    received_at=st.none()
    | st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
)


@given(messages=st.lists(_MESSAGE, max_size=8), window=st.none() | _ANY_TEXT)
def test_sms_fingerprint_is_the_stdlib_form_byte_for_byte(
    messages: list[SmsMessage], window: str | None
) -> None:
    assert sms_fingerprint(messages, window) == _stdlib_fingerprint(messages, window)


def test_sms_fingerprint_of_what_orjson_refuses_fails_as_the_stdlib_form_does() -> None:
    lone_surrogate = [SmsMessage("+15551230000", "\ud800")]
    with pytest.raises(UnicodeEncodeError):
        _stdlib_fingerprint(lone_surrogate, None)
    with pytest.raises(UnicodeEncodeError):
        sms_fingerprint(lone_surrogate, None)

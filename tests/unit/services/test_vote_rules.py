"""The admission steps the pipeline runs: plain inputs in, a decision out, nothing changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ballroom.domain.admission import WindowState
from ballroom.domain.voting import Channel, SmsMessage, SmsRefusal, VoteBook
from ballroom.errors import CapExceeded, InvalidInput, WindowClosed
from ballroom.services.ports import ImportBallot
from ballroom.services.vote_rules import VoteRules

NOW = 1_760_000_000_000_000


def _window(status: str = "open") -> WindowState:
    return WindowState("w", "", "", status, None, None, None, None, {"a": "A", "b": "B"})


def test_a_web_ballot_in_an_open_window_is_admitted_against_the_voters_book() -> None:
    book = VoteBook(10)
    window = _window()
    admitted, used = VoteRules(10).web(
        window, lambda voter: book, "v1", {"a": 3}, lambda: "id-1", NOW
    )
    assert used is book
    assert (admitted.voter, admitted.ballot_id, admitted.seq) == ("v1", "id-1", 1)
    assert admitted.allocation == (("a", 3),)
    assert window.next_seq == 1  # deciding changes nothing
    assert not book.web


def test_a_web_ballot_is_refused_when_closed_over_the_cap_or_unnamed() -> None:
    rules = VoteRules(10)
    book = VoteBook(10)
    with pytest.raises(WindowClosed):
        rules.web(_window("closed"), lambda v: book, "v1", {"a": 1}, lambda: "x", NOW)
    with pytest.raises(CapExceeded):
        rules.web(_window(), lambda v: book, "v1", {"a": 11}, lambda: "x", NOW)
    with pytest.raises(InvalidInput):
        rules.web(_window(), lambda v: book, "", {"a": 1}, lambda: "x", NOW)


def test_imported_texts_keep_their_id_and_time_within_the_text_cap() -> None:
    book = VoteBook(10)
    window = WindowState("w", "", "", "closed", NOW - 10, NOW + 10, None, None, {"a": "A"})
    ballot = ImportBallot("b-7", "w", "+15550001234", Channel.SMS, {"a": 2}, NOW)
    admitted, _ = VoteRules(10).imported(window, lambda voter: book, ballot)
    assert (admitted.ballot_id, admitted.channel, admitted.allocation) == (
        "b-7",
        Channel.SMS,
        (("a", 2),),
    )
    over = ImportBallot("b-8", "w", "+15550001234", Channel.SMS, {"a": 11}, NOW)
    with pytest.raises(CapExceeded):
        VoteRules(10).imported(window, lambda voter: book, over)


@dataclass
class _TextBatch:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    refusals: list[tuple[Any, ...]] = field(default_factory=list)
    sms_undo: list[tuple[int, tuple[str, str, str]]] = field(default_factory=list)
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    keys: dict[str, Any] = field(default_factory=dict)


def test_a_batch_of_texts_is_decided_in_one_call_within_the_one_text_cap() -> None:
    window = _window()
    books = [VoteBook(2), VoteBook(2)]
    batch = _TextBatch()
    ids = iter(f"id-{n}" for n in range(10))
    texts = [
        SmsMessage("+12125550101", "a", message_id="m1"),
        SmsMessage("+12125550101", "a", message_id="m2"),
        SmsMessage("+12125550101", "a", message_id="m3"),  # over the cap of 2
        SmsMessage("+12125550101", "a", message_id="m1"),  # delivered again: its first outcome
        SmsMessage("+442071234567", "a"),  # outside the SMS regions
        SmsMessage("+12125550102", "zzz"),  # no such keyword
    ]
    admitted = VoteRules(2).texts(
        texts, "k", None, [window], batch, {}, books, {}, lambda: next(ids), repr, NOW
    )
    reasons = [o.reason for o in admitted.outcomes]
    assert reasons == [
        None,
        None,
        SmsRefusal.CAP_EXCEEDED,
        None,
        SmsRefusal.REGION,
        SmsRefusal.UNKNOWN_KEYWORD,
    ]
    assert admitted.outcomes[3].receipt == admitted.outcomes[0].receipt
    assert [row[1] for row in batch.rows] == [1, 2]  # the window's chain, in order
    assert window.next_seq == 3
    assert batch.heads == {"w": (1, "0" * 64)}
    assert len(batch.refusals) == 3
    assert len(batch.sms_undo) == 2
    assert admitted.tallies == [(window, "a", 2)]
    assert admitted.last_seq == 2
    assert set(admitted.by_id) == {"sms:m1", "sms:m2", "sms:m3"}


def test_texts_in_a_closed_window_count_nothing() -> None:
    window = _window("closed")
    books = [VoteBook(2)]
    batch = _TextBatch()
    admitted = VoteRules(2).texts(
        [SmsMessage("+12125550101", "a")], "k", None, [window], batch, {}, books, {},
        lambda: "x", repr, NOW,
    )  # fmt: skip
    assert [o.reason for o in admitted.outcomes] == [SmsRefusal.WINDOW_CLOSED]
    assert not batch.rows
    assert not books[0].sms

"""The admission steps the pipeline runs: plain inputs in, a decision out, nothing changed."""

from __future__ import annotations

import pytest

from ballroom.domain.admission import WindowState
from ballroom.domain.voting import Channel, VoteBook
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

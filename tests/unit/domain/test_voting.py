"""The pure vote rules: identities, keywords, ballots, caps, windows and the hash chain."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from ballroom.domain.voting import (
    GENESIS_HASH,
    Channel,
    LogEntry,
    SmsOutcome,
    SmsRefusal,
    VoteBook,
    WindowPhase,
    canonical_bytes,
    check_web_allocation,
    datetime_from_us,
    entry_hash,
    interchange_pairs,
    normalise_email,
    normalise_phone,
    parse_sms_keyword,
    recount,
    us_from_datetime,
    verify_chain,
    window_phase,
)
from ballroom.errors import CapExceeded, InvalidInput, UnknownCouple, WrongType

COUPLES = {"hilaria", "robert", "alix"}


@pytest.mark.parametrize(
    ("address", "identity"),
    [
        ("Fan@Example.com", "fan@example.com"),
        ("  fan+dwts34@example.com ", "fan@example.com"),
        ("J.Doe+vote1@gmail.com", "jdoe@gmail.com"),
        ("jdoe@googlemail.com", "jdoe@gmail.com"),
        ("j.doe@outlook.com", "j.doe@outlook.com"),  # dots matter outside gmail
    ],
)
def test_aliases_of_one_mailbox_share_one_identity(address: str, identity: str) -> None:
    assert normalise_email(address) == identity


@pytest.mark.parametrize(
    "address", ["", "fan", "fan@", "@example.com", "fan@example", "a b@example.com", "+x@gmail.com"]
)
def test_not_an_address_is_refused(address: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalise_email(address)
    assert error.value.field == "email"


def test_email_of_wrong_type_is_refused() -> None:
    with pytest.raises(WrongType):
        normalise_email(42)  # type: ignore[arg-type]


def test_phone_numbers_normalise_to_digits() -> None:
    assert normalise_phone("+1 (555) 010-0199") == "+15550100199"
    with pytest.raises(InvalidInput):
        normalise_phone("call me")


@pytest.mark.parametrize("body", ["HILARIA", "hilaria", " Hilaria! ", "hi-laria.", "\tHILARIA\n"])
def test_keywords_tolerate_case_spaces_and_punctuation(body: str) -> None:
    assert parse_sms_keyword(body, {"HILARIA": "hilaria", "ROBERT": "robert"}) == "hilaria"


@pytest.mark.parametrize("body", ["", "!!!", "HILARY", "vote hilaria please"])
def test_anything_else_is_not_a_vote(body: str) -> None:
    assert parse_sms_keyword(body, {"HILARIA": "hilaria"}) is None


def test_web_allocation_drops_zeros_and_sorts() -> None:
    assert check_web_allocation({"robert": 10, "alix": 0, "hilaria": 1}, COUPLES) == (
        ("hilaria", 1),
        ("robert", 10),
    )


def test_web_allocation_over_cap_names_the_couple() -> None:
    with pytest.raises(CapExceeded) as error:
        check_web_allocation({"robert": 11}, COUPLES)
    assert error.value.field == "allocation.robert"


@pytest.mark.parametrize(
    ("allocation", "kind"),
    [
        ({"corey": 1}, UnknownCouple),
        ({"robert": -1}, InvalidInput),
        ({"robert": 2.5}, WrongType),
        ({"robert": True}, WrongType),
        ({"robert": "3"}, WrongType),
        ({"robert": 0}, InvalidInput),
        ({}, InvalidInput),
    ],
)
def test_bad_allocations_are_refused(allocation: dict[str, object], kind: type[Exception]) -> None:
    with pytest.raises(kind):
        check_web_allocation(allocation, COUPLES)


def test_vote_book_caps_texts_and_undoes_exactly() -> None:
    book = VoteBook(cap=2)
    robert, alix = ("w", "v", "robert"), ("w", "v", "alix")
    assert book.take_sms(robert)
    assert book.take_sms(robert)
    assert not book.take_sms(robert)  # the cap-th text was the last one counted
    assert book.sms[robert] == 2
    assert not book.take_sms(alix, 3)  # all or nothing
    assert alix not in book.sms
    assert book.take_sms(alix)
    book.undo_sms("w", "v", "robert", 2)
    assert robert not in book.sms
    previous = book.apply_web("w", "v", (("robert", 3),))
    assert previous is None
    assert book.apply_web("w", "v", (("alix", 1),)) == (("robert", 3),)
    book.undo_web("w", "v", (("robert", 3),))
    assert book.previous_web("w", "v") == (("robert", 3),)


def test_window_phases_follow_the_clock() -> None:
    assert window_phase("pending", None, None, 5) is WindowPhase.PENDING
    assert window_phase("pending", 10, 20, 5) is WindowPhase.SCHEDULED
    assert window_phase("pending", 10, 20, 10) is WindowPhase.OPEN
    assert window_phase("pending", 10, 20, 20) is WindowPhase.CLOSED
    assert window_phase("open", None, None, 99) is WindowPhase.OPEN
    assert window_phase("open", None, 20, 20) is WindowPhase.CLOSED
    assert window_phase("closed", 10, 20, 15) is WindowPhase.CLOSED


def test_time_round_trips_through_microseconds() -> None:
    moment = datetime(2025, 10, 7, 20, 15, 3, 123456, tzinfo=UTC)
    assert datetime_from_us(us_from_datetime(moment)) == moment
    with pytest.raises(InvalidInput):
        us_from_datetime(datetime(2025, 10, 7))


def _chain(count: int) -> list[LogEntry]:
    entries: list[LogEntry] = []
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        channel = Channel.WEB if seq % 2 else Channel.SMS
        allocation = (("hilaria", 3), ("robert", 10)) if channel is Channel.WEB else (("alix", 1),)
        entry = LogEntry(seq, "w", f"b{seq}", f"v{seq % 3}", channel, seq * 1_000_000, allocation)
        entry = dataclasses.replace(entry, prev_hash=prev, hash=entry_hash(entry, prev))
        entries.append(entry)
        prev = entry.hash
    return entries


def test_an_intact_chain_verifies() -> None:
    assert verify_chain(_chain(6)) is None
    assert verify_chain([]) is None


@pytest.mark.parametrize(
    "tamper",
    [
        {"allocation": (("hilaria", 10), ("robert", 10))},
        {"voter": "someone-else"},
        {"ts_us": 1},
        {"seq": 9},
        {"prev_hash": "f" * 64},
    ],
)
def test_any_tampered_entry_is_found(tamper: dict[str, object]) -> None:
    entries = _chain(6)
    entries[3] = dataclasses.replace(entries[3], **tamper)  # type: ignore[arg-type]
    assert verify_chain(entries) == 3


def test_a_deleted_entry_is_found() -> None:
    entries = _chain(6)
    del entries[2]
    assert verify_chain(entries) == 2


def test_recount_replaces_web_ballots_and_adds_texts() -> None:
    tally = recount("w", _chain(6))
    # voters v1 (seq 1, 4), v2 (seq 2, 5), v0 (seq 3, 6); web at odd seqs 1, 3, 5.
    assert tally.couples["hilaria"].web == 9
    assert tally.couples["robert"].web == 30
    assert tally.couples["alix"].sms == 3
    assert tally.ballots == 6
    assert tally.version == 6
    assert sum(sum(b.values()) for b in tally.buckets.values()) == sum(tally.totals().values())


def test_sms_outcomes_say_why_in_their_json_form() -> None:
    outcome = SmsOutcome(3, "no", None, SmsRefusal.CAP_EXCEEDED, "robert")
    assert not outcome.accepted
    assert outcome.as_dict()["reason"] == "cap_exceeded"


@pytest.mark.parametrize(
    "voter", ["fan@example.com", 'quo"te\\back', "émilie", "\u2028x", "tab\there"]
)
def test_canonical_bytes_are_compact_json(voter: str) -> None:
    allocation = (("hilaria", 3), ("rob\u00e9rt", 10))
    expected = json.dumps(
        [7, "w", "b-1", voter, "web", 123, [list(p) for p in allocation]],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    assert canonical_bytes(7, "w", "b-1", voter, Channel.WEB, 123, allocation) == expected


def test_an_all_zero_ballot_withdraws_only_when_there_is_something_to_withdraw() -> None:
    with pytest.raises(InvalidInput):
        check_web_allocation({"robert": 0}, COUPLES)
    assert check_web_allocation({"robert": 0, "alix": 0}, COUPLES, withdrawal=True) == ()
    assert check_web_allocation({}, COUPLES, withdrawal=True) == ()
    # The cap still holds in a ballot that could have been a withdrawal.
    with pytest.raises(CapExceeded):
        check_web_allocation({"robert": 11}, COUPLES, withdrawal=True)


def test_a_withdrawal_is_one_interchange_row_of_zero_votes() -> None:
    assert interchange_pairs((), ["robert", "alix"]) == (("alix", 0),)
    assert interchange_pairs((("robert", 3),), ["robert", "alix"]) == (("robert", 3),)


def test_the_vote_book_knows_the_log_entry_of_each_current_web_ballot() -> None:
    book = VoteBook()
    assert book.web_ballot_seq("w", "v") is None
    book.apply_web("w", "v", (("robert", 3),), 7)
    previous = book.apply_web("w", "v", (), 9)
    assert book.web_ballot_seq("w", "v") == 9
    book.undo_web("w", "v", previous, 7)
    assert book.web_ballot_seq("w", "v") == 7
    assert book.previous_web("w", "v") == (("robert", 3),)


def test_phone_numbers_are_read_with_the_aggregators_country() -> None:
    """Issue 17, item 7: written the US way, a number is a US one, not Morocco's +212."""
    for spelling in ("(212) 555-0100", "212-555-0100", "+1 212 555 0100", "1 212 555 0100"):
        assert normalise_phone(spelling) == "+12125550100"
    for wrong in ("+1212555010000", "+1 555 0100", "555-0100", "+1555", "+12125550100 ext 5"):
        with pytest.raises(InvalidInput):
            normalise_phone(wrong)

"""The voting service's rules of windows, caps and errors: on the in-memory vote log, and the
same tests on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.adapters.vote_store_memory import MemoryVoteLog
from ballroom.bootstrap import voting_service
from ballroom.domain.voting import SmsMessage, SmsRefusal, WindowPhase
from ballroom.errors import (
    CapExceeded,
    Conflict,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    UnknownCouple,
    WindowClosed,
    WrongType,
)
from ballroom.services import vote_rules
from ballroom.services.ports import FixedClock
from ballroom.services.voting import VotingService

START = datetime(2025, 10, 7, 20, 0, tzinfo=UTC)
COUPLES = {"hilaria": "HILARIA", "robert": "ROBERT"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(
    params=[
        "memory",
        pytest.param("sqlite", marks=pytest.mark.slow),
        pytest.param("postgresql", marks=[pytest.mark.slow, pytest.mark.postgres]),
    ]
)
def voting(request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[VotingService]:
    """The voting service over the in-memory vote log (milliseconds), then the same tests
    over SQLite and the real PostgreSQL."""
    if request.param == "memory":
        with voting_service(MemoryVoteLog(), clock, group_commit_ms=0) as service:
            service.create_window("w", COUPLES)
            yield service
        return
    url_fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    engine = create_engine_for(str(request.getfixturevalue(url_fixture)))
    upgrade(engine)
    with voting_service(engine, clock, group_commit_ms=0) as service:
        service.create_window("w", COUPLES)
        yield service
    engine.dispose()


def test_nothing_is_accepted_before_the_window_opens(voting: VotingService) -> None:
    assert voting.window_status("w").phase is WindowPhase.PENDING
    with pytest.raises(WindowClosed):
        voting.cast_web_ballot("w", "v", {"robert": 1}, idempotency_key="k")
    outcomes = voting.ingest_sms([SmsMessage("+12125550100", "robert")], idempotency_key="s")
    assert outcomes[0].reason is SmsRefusal.WINDOW_CLOSED
    assert "closed" in outcomes[0].reply
    assert voting.tallies("w").totals() == {"hilaria": 0, "robert": 0}


def test_a_schedule_opens_and_closes_by_the_server_clock(
    voting: VotingService, clock: FixedClock
) -> None:
    voting.schedule_window("w", START + timedelta(hours=1), START + timedelta(hours=3))
    assert voting.window_status("w").phase is WindowPhase.SCHEDULED
    clock.advance(hours=1)
    assert voting.window_status("w").is_open
    voting.cast_web_ballot("w", "v", {"robert": 1}, idempotency_key="k")
    clock.advance(hours=2)
    assert voting.window_status("w").phase is WindowPhase.CLOSED
    with pytest.raises(WindowClosed):
        voting.cast_web_ballot("w", "v", {"robert": 2}, idempotency_key="k2")
    with pytest.raises(Conflict):
        voting.open_window("w")


def test_a_close_is_final(voting: VotingService) -> None:
    voting.open_window("w")
    voting.close_window("w")
    status = voting.window_status("w")
    assert status.phase is WindowPhase.CLOSED
    assert status.opens_at is not None
    assert status.closes_at is not None
    with pytest.raises(Conflict):
        voting.open_window("w")


@pytest.mark.parametrize(
    ("allocation", "error"),
    [
        ({"corey": 1}, UnknownCouple),
        ({"robert": 11}, CapExceeded),
        ({"robert": -2}, InvalidInput),
        ({"robert": "ten"}, WrongType),
    ],
)
def test_bad_ballots_are_refused_and_store_nothing(
    voting: VotingService, allocation: dict[str, object], error: type[Exception]
) -> None:
    voting.open_window("w")
    with pytest.raises(error):
        voting.cast_web_ballot("w", "v", allocation, idempotency_key="k")  # type: ignore[arg-type]
    assert voting.log_entries("w") == []


def test_unknown_window_and_bad_keys(voting: VotingService) -> None:
    with pytest.raises(NotFound):
        voting.cast_web_ballot("nope", "v", {"robert": 1}, idempotency_key="k")
    with pytest.raises(NotFound):
        voting.tallies("nope")
    with pytest.raises(InvalidInput):
        voting.cast_web_ballot("w", "v", {"robert": 1}, idempotency_key="")
    with pytest.raises(Conflict):
        voting.create_window("w", COUPLES)
    with pytest.raises(InvalidInput):
        voting.create_window("x", {"a": "SAME", "b": "same!"})
    with pytest.raises(InvalidInput):
        voting.schedule_window("w", START, START)


def test_a_key_reused_for_another_ballot_is_a_mismatch(voting: VotingService) -> None:
    voting.open_window("w")
    first = voting.cast_web_ballot("w", "v", {"robert": 1}, idempotency_key="k")
    with pytest.raises(IdempotencyMismatch):
        voting.cast_web_ballot("w", "v", {"robert": 2}, idempotency_key="k")
    # A key is its voter's own: another voter's same key is another ballot (issue 17, item 8).
    other = voting.cast_web_ballot("w", "other", {"robert": 1}, idempotency_key="k")
    assert (other.voter, other.ballot_id != first.ballot_id) == ("other", True)


def test_texts_name_their_couple_and_are_capped(voting: VotingService) -> None:
    voting.open_window("w")
    texts = [SmsMessage("+1 212 555 0100", " robert. ")] * 11 + [
        SmsMessage("+12125550100", "corey"),
        SmsMessage("not a number", "robert"),
    ]
    outcomes = voting.ingest_sms(texts, idempotency_key="b")
    assert [o.accepted for o in outcomes[:11]] == [True] * 10 + [False]
    assert [o.reason for o in outcomes[10:]] == [
        SmsRefusal.CAP_EXCEEDED,
        SmsRefusal.UNKNOWN_KEYWORD,
        SmsRefusal.INVALID_SENDER,
    ]
    assert outcomes[0].couple == "robert"
    assert voting.tallies("w").couples["robert"].sms == 10


def test_caps_stay_exact_while_the_writers_sender_cache_keeps_emptying(
    voting: VotingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer remembers each raw sender's voter and partition; emptied when full (here
    after every two senders), every text must still land on its voter's one cap."""
    monkeypatch.setattr(vote_rules, "SENDER_CACHE_SIZE", 2)
    voting.open_window("w")
    spellings = [
        "+12125550101",
        "+1 212 555 0101",
        "1 (212) 555-0101",
        "+12125550102",
        "+12125550103",
    ]
    texts = [SmsMessage(spellings[n % len(spellings)], "robert") for n in range(40)]
    outcomes = voting.ingest_sms(texts, idempotency_key="many")
    accepted: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.receipt is not None:
            accepted[outcome.receipt.voter] = accepted.get(outcome.receipt.voter, 0) + 1
        else:
            assert outcome.reason is SmsRefusal.CAP_EXCEEDED
    # Three spellings of +12125550101 share its cap of 10; the other two senders send 8 each.
    assert accepted == {"+12125550101": 10, "+12125550102": 8, "+12125550103": 8}
    assert voting.tallies("w").couples["robert"].sms == 26
    assert voting.recount("w") == voting.tallies("w")


def test_texts_from_outside_us_and_puerto_rico_are_refused_for_region(
    voting: VotingService,
) -> None:
    voting.open_window("w")
    texts = [
        SmsMessage("+1 (604) 555-0100", "robert"),  # Vancouver
        SmsMessage("+33 1 23 45 67 89", "robert"),  # Paris
        SmsMessage("+1 939 555 0100", "robert"),  # Puerto Rico
    ]
    outcomes = voting.ingest_sms(texts, idempotency_key="r")
    assert [o.reason for o in outcomes] == [SmsRefusal.REGION, SmsRefusal.REGION, None]
    assert outcomes[0].reply == outcomes[1].reply
    assert "Puerto Rico" in outcomes[0].reply
    assert voting.tallies("w").couples["robert"].sms == 1


def test_a_batch_key_and_a_message_id_with_the_same_text_are_told_apart(
    voting: VotingService,
) -> None:
    # Found by the API fuzz run: a batch's Idempotency-Key equal to an earlier text's message
    # id was read as that text's outcome (a server error), and the other way round a text
    # whose id equals an earlier batch's key would be taken for a repeat and not counted.
    voting.open_window("w")
    first = voting.ingest_sms(
        [SmsMessage("+12125550100", "robert", message_id="m1")], idempotency_key="k1"
    )
    keyed_like_a_text = voting.ingest_sms(
        [SmsMessage("+12125550101", "robert", message_id="m2")], idempotency_key="m1"
    )
    text_like_a_key = voting.ingest_sms(
        [SmsMessage("+12125550102", "robert", message_id="k1")], idempotency_key="k3"
    )
    both_in_one = voting.ingest_sms(
        [SmsMessage("+12125550103", "robert", message_id="k4")], idempotency_key="k4"
    )
    assert [o.accepted for o in first + keyed_like_a_text + text_like_a_key + both_in_one] == [
        True
    ] * 4
    assert voting.tallies("w").couples["robert"].sms == 4
    again = voting.ingest_sms(
        [SmsMessage("+12125550101", "robert", message_id="m2")], idempotency_key="m1"
    )
    assert again == keyed_like_a_text
    # A counted text resent in a batch keyed with the text's own id: a repeat, counted once.
    text = SmsMessage("+12125550104", "robert", message_id="t5")
    counted = voting.ingest_sms([text], idempotency_key="k5")
    resent_under_its_id = voting.ingest_sms([text], idempotency_key="t5")
    assert resent_under_its_id[0].receipt == counted[0].receipt
    assert voting.tallies("w").couples["robert"].sms == 5


def test_subscription_get_returns_only_newer_tallies(voting: VotingService) -> None:
    voting.open_window("w")
    subscription = voting.subscribe("w")
    assert subscription.current().version == 0
    voting.cast_web_ballot("w", "v", {"robert": 3}, idempotency_key="k1")
    voting.cast_web_ballot("w", "v", {"hilaria": 4}, idempotency_key="k2")
    latest = subscription.get(timeout=5)
    assert latest is not None
    assert latest.totals() == {"robert": 0, "hilaria": 4}
    assert subscription.get(timeout=0.05) is None

"""The vote path on a real store (SQLite and PostgreSQL): caps, idempotency, chain, recount."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from ballroom.adapters.db.schema import import_refusals, vote_log
from ballroom.adapters.vote_pipeline import CommitFailed
from ballroom.bootstrap import voting_service
from ballroom.domain.voting import Channel, SmsMessage, SmsRefusal
from ballroom.errors import CapExceeded, IdempotencyMismatch
from ballroom.services.ports import FixedClock
from ballroom.services.voting import ImportBallot, VotingService

if TYPE_CHECKING:  # the fixtures' types; pytest loads conftest itself
    from tests.integration.conftest import CollidingIds

COUPLES = {"hilaria": "HILARIA", "robert": "ROBERT", "alix": "ALIX"}
START = datetime(2025, 10, 7, 20, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def _service(engine: sa.Engine, clock: FixedClock, **kwargs: object) -> VotingService:
    service = voting_service(engine, clock, **kwargs)  # type: ignore[arg-type]
    service.start()
    return service


@pytest.fixture
def voting(engine: sa.Engine, clock: FixedClock) -> Iterator[VotingService]:
    service = _service(engine, clock)
    service.create_window("s34w04", COUPLES, label="Disney Night", season="34")
    service.open_window("s34w04")
    yield service
    service.stop()


def _log_count(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(sa.select(sa.func.count()).select_from(vote_log)).scalar_one()
        )


def test_sms_caps_are_exact_under_concurrency(voting: VotingService, engine: sa.Engine) -> None:
    def send(batch: int) -> int:
        outcomes = voting.ingest_sms(
            [SmsMessage("+12125550100", "robert")] * 3 + [SmsMessage("+12125550100", "ALIX")],
            idempotency_key=f"batch-{batch}",
        )
        return sum(o.accepted for o in outcomes)

    with ThreadPoolExecutor(16) as pool:
        accepted = sum(pool.map(send, range(40)))
    tally = voting.tallies("s34w04")
    assert tally.couples["robert"].sms == 10
    assert tally.couples["alix"].sms == 10
    assert accepted == 20
    assert _log_count(engine) == 20
    assert voting.recount("s34w04") == tally


def test_web_ballots_of_one_voter_replace_each_other_under_concurrency(
    voting: VotingService,
) -> None:
    allocations = [{"robert": n % 11, "hilaria": 10 - n % 11} for n in range(60)]

    def save(n: int) -> None:
        voting.cast_web_ballot("s34w04", "fan@example.com", allocations[n], idempotency_key=f"k{n}")

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(save, range(60)))
    tally = voting.tallies("s34w04")
    # Whatever order they were committed in, one voter's web votes are exactly one ballot.
    assert tally.couples["robert"].web + tally.couples["hilaria"].web == 10
    assert tally.couples["robert"].web <= 10
    assert voting.recount("s34w04") == tally
    assert voting.verify_log("s34w04") is None


def test_over_cap_web_ballot_stores_nothing(voting: VotingService, engine: sa.Engine) -> None:
    with pytest.raises(CapExceeded):
        voting.cast_web_ballot("s34w04", "v", {"robert": 11}, idempotency_key="k")
    assert _log_count(engine) == 0
    # The refused key is free: the corrected ballot goes through with it.
    receipt = voting.cast_web_ballot("s34w04", "v", {"robert": 10}, idempotency_key="k")
    assert receipt.allocation == (("robert", 10),)


def test_a_retry_returns_the_first_receipt_also_after_a_restart(
    voting: VotingService, engine: sa.Engine, clock: FixedClock
) -> None:
    first = voting.cast_web_ballot("s34w04", "v", {"robert": 4}, idempotency_key="same")
    clock.advance(seconds=5)
    again = voting.cast_web_ballot("s34w04", "v", {"robert": 4}, idempotency_key="same")
    assert again == first
    texts = [SmsMessage("+12125550100", "hilaria"), SmsMessage("+12125550100", "nobody")]
    sms_first = voting.ingest_sms(texts, idempotency_key="sms-1")
    voting.stop()

    restarted = _service(engine, clock)
    try:
        assert (
            restarted.cast_web_ballot(
                "s34w04", "v", {"robert": 4, "alix": 0}, idempotency_key="same"
            )
            == first
        )
        sms_again = restarted.ingest_sms(texts, idempotency_key="sms-1")
        assert [o.as_dict() for o in sms_again] == [o.as_dict() for o in sms_first]
        assert sms_again[1].reason is SmsRefusal.UNKNOWN_KEYWORD
        tally = restarted.tallies("s34w04")
        assert tally.totals() == {"robert": 4, "hilaria": 1, "alix": 0}
        assert _log_count(engine) == 2
        with pytest.raises(IdempotencyMismatch):
            restarted.cast_web_ballot("s34w04", "v", {"robert": 5}, idempotency_key="same")
        with pytest.raises(IdempotencyMismatch):
            restarted.ingest_sms(texts[:1], idempotency_key="sms-1")
    finally:
        restarted.stop()


def test_state_after_restart_equals_state_before(
    voting: VotingService, engine: sa.Engine, clock: FixedClock
) -> None:
    for n in range(30):
        voting.cast_web_ballot("s34w04", f"v{n % 7}", {"alix": n % 10 + 1}, idempotency_key=f"w{n}")
        voting.ingest_sms([SmsMessage(f"+1212555010{n % 4}", "robert")], idempotency_key=f"s{n}")
        clock.advance(seconds=20)
    before = voting.tallies("s34w04")
    root = voting.chain_root("s34w04")
    voting.stop()
    restarted = _service(engine, clock)
    try:
        assert restarted.tallies("s34w04") == before
        assert restarted.chain_root("s34w04") == root
        # Caps survive the restart too: voter +15550100 already sent 8 texts for robert.
        outcomes = restarted.ingest_sms(
            [SmsMessage("+12125550100", "robert")] * 5, idempotency_key="more"
        )
        assert [o.accepted for o in outcomes] == [True, True, False, False, False]
    finally:
        restarted.stop()


def test_a_tampered_row_is_found_by_the_chain_and_the_receipt(
    voting: VotingService, engine: sa.Engine
) -> None:
    receipts = [
        voting.cast_web_ballot("s34w04", f"v{n}", {"robert": 3}, idempotency_key=f"k{n}")
        for n in range(5)
    ]
    assert voting.verify_log("s34w04") is None
    assert voting.verify_receipt(receipts[2].hash).ok
    with engine.begin() as connection:
        connection.execute(
            vote_log.update().where(vote_log.c.seq == 3).values(allocation='{"robert":10}')
        )
    assert voting.verify_log("s34w04") == 3
    check = voting.verify_receipt(receipts[2].hash)
    assert not check.content_ok
    assert voting.verify_receipt(receipts[1].hash).ok


def test_a_failed_commit_counts_nothing_and_changes_no_cap(
    engine: sa.Engine, clock: FixedClock, colliding_ids: CollidingIds
) -> None:
    ids = colliding_ids
    service = _service(engine, clock, ids=ids)
    try:
        service.create_window("w", COUPLES)
        service.open_window("w")
        for _ in range(9):
            service.ingest_sms([SmsMessage("+12125550100", "robert")], idempotency_key=f"ok{_}")
        ids.repeat_next = True  # the next ballot id collides with the last stored one
        with pytest.raises(CommitFailed):
            service.ingest_sms([SmsMessage("+12125550100", "robert")], idempotency_key="dup")
        assert service.tallies("w").couples["robert"].sms == 9
        # The failed text did not use up the last vote under the cap, and the key is free.
        outcomes = service.ingest_sms(
            [SmsMessage("+12125550100", "robert")] * 2, idempotency_key="dup"
        )
        assert [o.accepted for o in outcomes] == [True, False]
        assert service.recount("w") == service.tallies("w")
        assert service.verify_log("w") is None
    finally:
        service.stop()


def test_import_keeps_ids_and_times_and_is_idempotent(voting: VotingService) -> None:
    ts = int(START.timestamp() * 1_000_000) + 1
    ballots = [
        ImportBallot("imp-1", "s34w04", "a@x.com", Channel.WEB, {"robert": 10}, ts),
        ImportBallot("imp-2", "s34w04", "a@x.com", Channel.WEB, {"alix": 2}, ts + 5),
        ImportBallot("imp-3", "s34w04", "+12125550100", Channel.SMS, {"robert": 1}, ts + 6),
        ImportBallot("imp-4", "s34w04", "b@x.com", Channel.WEB, {"robert": 12}, ts + 7),
        ImportBallot("imp-5", "s34w04", "b@x.com", Channel.WEB, {"robert": 1}, ts - 10**9),
    ]
    outcomes = voting.submit_import(ballots).result()
    assert [o.status for o in outcomes] == [
        "accepted",
        "accepted",
        "accepted",
        "refused",
        "refused",
    ]
    assert [o.code for o in outcomes[3:]] == ["cap_exceeded", "window_closed"]
    assert outcomes[0].receipt is not None
    assert outcomes[0].receipt.ballot_id == "imp-1"
    assert outcomes[0].receipt.ts_us == ts
    again = voting.submit_import(ballots[:3]).result()
    assert [o.status for o in again] == ["duplicate"] * 3
    assert voting.tallies("s34w04").totals() == {"robert": 1, "alix": 2, "hilaria": 0}


def test_listeners_see_every_committed_change(voting: VotingService) -> None:
    seen: list[int] = []
    got = threading.Event()

    def on_tally(tally: object) -> None:
        seen.append(1)
        got.set()

    subscription = voting.subscribe("s34w04", on_tally)
    voting.cast_web_ballot("s34w04", "v", {"robert": 2}, idempotency_key="k")
    tally = subscription.get(timeout=5)
    assert tally is not None
    assert tally.totals()["robert"] == 2
    assert got.wait(5)
    assert subscription.get(timeout=0.05) is None
    subscription.close()
    assert subscription.get(timeout=1) is None


def test_an_import_refusal_is_stored_and_final_after_a_restart(
    voting: VotingService, engine: sa.Engine, clock: FixedClock
) -> None:
    ts = int(START.timestamp() * 1_000_000) + 1
    withdrawal = ImportBallot("imp-1", "s34w04", "a@x.com", Channel.WEB, {"robert": 0}, ts)
    vote = ImportBallot("imp-2", "s34w04", "a@x.com", Channel.WEB, {"robert": 4}, ts + 5)
    first = voting.submit_import([withdrawal, vote]).result()
    voting.stop()
    restarted = _service(engine, clock)
    try:
        # The voter has a saved ballot now: decided again, the withdrawal would count.
        (again,) = restarted.submit_import([withdrawal]).result()
        (reused,) = restarted.submit_import(
            [dataclasses.replace(withdrawal, ts_us=ts + 9)]
        ).result()
        totals = restarted.tallies("s34w04").totals()
    finally:
        restarted.stop()
    assert [(o.status, o.code) for o in first] == [("refused", "invalid_input"), ("accepted", "")]
    assert again == first[0]
    assert (reused.status, reused.code) == ("refused", "idempotency_mismatch")
    assert totals == {"robert": 4, "alix": 0, "hilaria": 0}
    with engine.connect() as connection:
        stored = connection.execute(sa.select(import_refusals)).all()
    assert [(r.window_id, r.ballot_id, r.code, r.message) for r in stored] == [
        ("s34w04", "imp-1", "invalid_input", first[0].message)
    ]

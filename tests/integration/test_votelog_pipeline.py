"""The pipelined writer: batch n + 1 is checked while batch n commits, and a failed n undoes
both before n + 1 is checked again from the true state (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from ballroom.adapters.vote_pipeline import WAIT_FOR_INSERT_ROWS, CommitFailed
from ballroom.bootstrap import voting_service
from ballroom.domain.voting import SmsMessage, SmsRefusal
from ballroom.services.ports import FixedClock

if TYPE_CHECKING:  # the fixtures' types; pytest loads conftest itself
    from tests.integration.conftest import CollidingIds, HoldWriter

COUPLES = {"hilaria": "HILARIA", "robert": "ROBERT"}
PHONE = "+12125550100"


def test_a_failed_commit_in_flight_undoes_the_batch_checked_behind_it(
    engine: sa.Engine, colliding_ids: CollidingIds, hold_writer: HoldWriter
) -> None:
    ids = colliding_ids
    service = voting_service(
        engine,
        FixedClock(datetime(2025, 10, 7, 20, tzinfo=UTC)),
        ids=ids,
        batch_size=1,
        group_commit_ms=0,
    )
    service.start()
    try:
        service.create_window("w", COUPLES)
        service.open_window("w")
        for n in range(9):
            service.ingest_sms([SmsMessage(PHONE, "robert")], idempotency_key=f"ok{n}")
        release, parked = hold_writer(service)
        ids.repeat_next = True  # the 10th text's ballot id collides with the 9th's
        failing = service.submit_sms([SmsMessage(PHONE, "robert")], idempotency_key="tenth")
        # Checked against memory holding the failing text, this would be over the cap.
        behind = service.submit_sms(
            [SmsMessage(PHONE, "robert"), SmsMessage(PHONE, "hilaria")], idempotency_key="next"
        )
        release.set()
        parked.join()
        with pytest.raises(CommitFailed):
            failing.result(timeout=30)
        outcomes = behind.result(timeout=30)
        assert [o.accepted for o in outcomes] == [True, True]
        tally = service.tallies("w")
        assert tally.couples["robert"].sms == 10
        assert tally.couples["hilaria"].sms == 1
        # The cap is full now, the failed key is free, and the log still proves itself.
        again = service.ingest_sms([SmsMessage(PHONE, "robert")], idempotency_key="tenth")
        assert again[0].reason is SmsRefusal.CAP_EXCEEDED
        assert again[0].couple == "robert"
        assert service.recount("w") == service.tallies("w")
        assert service.verify_log("w") is None
    finally:
        service.stop()


def test_a_retry_of_a_batch_still_committing_gets_the_same_answer_after_it(
    engine: sa.Engine, hold_writer: HoldWriter
) -> None:
    service = voting_service(
        engine,
        FixedClock(datetime(2025, 10, 7, 20, tzinfo=UTC)),
        batch_size=1,
        group_commit_ms=0,
    )
    service.start()
    try:
        service.create_window("w", COUPLES)
        service.open_window("w")
        texts = [SmsMessage(PHONE, "robert")] * 11 + [SmsMessage(PHONE, "who?")]
        release, parked = hold_writer(service)
        first = service.submit_sms(texts, idempotency_key="k")
        retry = service.submit_sms(texts, idempotency_key="k")
        release.set()
        parked.join()
        assert retry.result(timeout=30) == first.result(timeout=30)
        assert service.tallies("w").couples["robert"].sms == 10
    finally:
        service.stop()


def test_a_lone_ballot_does_not_wait_out_the_group_commit_delay(engine: sa.Engine) -> None:
    # The delay only gathers a burst still arriving: with nothing else coming, the ballot
    # commits after one quiet step, not after the 20 s the delay would allow.
    service = voting_service(
        engine, FixedClock(datetime(2025, 10, 7, 20, tzinfo=UTC)), group_commit_ms=20_000
    )
    service.start()
    try:
        service.create_window("w", COUPLES)
        service.open_window("w")
        receipt = service.submit_web_ballot(
            "w", "fan@example.com", {"robert": 3}, idempotency_key="lone"
        ).result(timeout=10)
        assert receipt.seq == 1
        assert service.tallies("w").couples["robert"].web == 3
    finally:
        service.stop()


def test_a_big_batch_that_fails_to_insert_answers_and_the_writer_goes_on(
    engine: sa.Engine, colliding_ids: CollidingIds
) -> None:
    """From WAIT_FOR_INSERT_ROWS rows on (SQLite), the writer waits for the inserts before it
    checks on: a failing insert must still release it, and the next big batch must count."""
    ids = colliding_ids
    service = voting_service(
        engine,
        FixedClock(datetime(2025, 10, 7, 20, tzinfo=UTC)),
        ids=ids,
        batch_size=4 * WAIT_FOR_INSERT_ROWS,
        group_commit_ms=0,
    )
    size = 2 * WAIT_FOR_INSERT_ROWS
    texts = [
        SmsMessage(f"+1555{n % 400:07d}", "robert" if n % 2 else "hilaria") for n in range(size)
    ]
    service.start()
    try:
        service.create_window("w", COUPLES)
        service.open_window("w")
        service.ingest_sms([SmsMessage(PHONE, "robert")], idempotency_key="first")
        ids.repeat_next = True  # the big batch's first ballot id is the one just committed
        with pytest.raises(CommitFailed):
            service.submit_sms(texts, idempotency_key="big").result(timeout=60)
        outcomes = service.submit_sms(texts, idempotency_key="big").result(timeout=60)
        assert all(o.accepted for o in outcomes)
        tally = service.tallies("w")
        assert tally.couples["robert"].sms == 1 + size // 2
        assert tally.couples["hilaria"].sms == size // 2
        assert service.recount("w") == tally
        assert service.verify_log("w") is None
    finally:
        service.stop()

"""The pipelined writer: batch n + 1 is checked while batch n commits, and a failed n undoes
both before n + 1 is checked again from the true state (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.adapters.votelog import CommitFailed
from ballroom.domain.voting import SmsMessage, SmsRefusal
from ballroom.services.ports import FixedClock
from ballroom.services.voting import VotingService

COUPLES = {"hilaria": "HILARIA", "robert": "ROBERT"}
PHONE = "+15550100"


class CollidingIds:
    """Ballot ids that repeat the previous one on demand: a real unique-index violation."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.repeat_next = False
        self._last = ""

    def new_id(self) -> str:
        if self.repeat_next and self._last:
            self.repeat_next = False
            return self._last
        self._last = f"b-{next(self._counter)}"
        return self._last


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine_for(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _held(service: VotingService) -> tuple[threading.Event, threading.Thread]:
    """Park the writer thread in an admin action until the event is set, so the commands
    queued meanwhile reach it together (and the second is checked while the first commits)."""
    release = threading.Event()
    parked = threading.Event()

    def park() -> None:
        parked.set()
        release.wait(10)

    thread = threading.Thread(target=service._writer.run_admin, args=(park,))
    thread.start()
    assert parked.wait(10)
    return release, thread


def test_a_failed_commit_in_flight_undoes_the_batch_checked_behind_it(
    engine: sa.Engine,
) -> None:
    ids = CollidingIds()
    service = VotingService(
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
        release, parked = _held(service)
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
    engine: sa.Engine,
) -> None:
    service = VotingService(
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
        release, parked = _held(service)
        first = service.submit_sms(texts, idempotency_key="k")
        retry = service.submit_sms(texts, idempotency_key="k")
        release.set()
        parked.join()
        assert retry.result(timeout=30) == first.result(timeout=30)
        assert service.tallies("w").couples["robert"].sms == 10
    finally:
        service.stop()

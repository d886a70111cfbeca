"""A command that fails half-way through a group commit leaves nothing behind: its rows, its
cap use and its chain links go, and the chain head of a window that earlier commands of the
same group had already extended goes back to where that command found it (SQLite and
PostgreSQL)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from ballroom.adapters.db import schema
from ballroom.bootstrap import voting_service
from ballroom.domain.voting import SmsMessage
from ballroom.services.ports import FixedClock

if TYPE_CHECKING:  # the fixtures' types; pytest loads conftest itself
    from tests.integration.conftest import HoldWriter

COUPLES = {"hilaria": "HILARIA", "robert": "ROBERT"}
NOW = datetime(2025, 10, 7, 20, tzinfo=UTC)


class FailingIds:
    """Ballot ids; the call numbered ``fail_at`` raises (a fault injected mid-command)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.calls = 0
        self.fail_at = 0

    def new_id(self) -> str:
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("injected: the id generator failed")
        return f"b-{next(self._counter)}"


def _stored_seqs(engine: sa.Engine, window: str) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(schema.vote_log.c.seq)
                .where(schema.vote_log.c.window_id == window)
                .order_by(schema.vote_log.c.seq)
            ).scalars()
        )


def test_a_command_failing_after_its_first_rows_restores_the_chain_head(
    engine: sa.Engine, hold_writer: HoldWriter
) -> None:
    ids = FailingIds()
    service = voting_service(engine, FixedClock(NOW), ids=ids, group_commit_ms=0)
    service.start()
    try:
        service.create_window("w", COUPLES)
        service.open_window("w")
        release, parked = hold_writer(service)
        # One group: a web ballot extends w's chain, then a batch of two texts for w whose
        # second id fails after the first text's row was already appended.
        ids.fail_at = ids.calls + 3
        web = service.submit_web_ballot(
            "w", "ann@example.com", {"hilaria": 4}, idempotency_key="k1"
        )
        texts = service.submit_sms(
            [SmsMessage("+12125550100", "robert"), SmsMessage("+12125550101", "hilaria")],
            idempotency_key="t1",
        )
        release.set()
        parked.join()
        assert web.result(timeout=30).seq == 1
        with pytest.raises(RuntimeError, match="injected"):
            texts.result(timeout=30)
        # The next ballot follows the web ballot directly: no gap, no link to a lost row.
        after = service.cast_web_ballot("w", "bob@example.com", {"robert": 2}, idempotency_key="k2")
        assert after.seq == 2
        assert service.verify_log("w") is None
        assert _stored_seqs(engine, "w") == [1, 2]
        assert service.recount("w") == service.tallies("w")
        # The failed texts used no cap room: the same batch, retried, counts both.
        again = service.ingest_sms(
            [SmsMessage("+12125550100", "robert"), SmsMessage("+12125550101", "hilaria")],
            idempotency_key="t1",
        )
        assert [outcome.accepted for outcome in again] == [True, True]
        assert [outcome.receipt.seq for outcome in again if outcome.receipt] == [3, 4]
    finally:
        service.stop()
    restarted = voting_service(engine, FixedClock(NOW))
    restarted.start()
    try:
        assert restarted.verify_log("w") is None
        assert restarted.tallies("w") == restarted.recount("w")
        assert restarted.tallies("w").couples["hilaria"].total == 5
    finally:
        restarted.stop()

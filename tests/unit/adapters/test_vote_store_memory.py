"""The in-memory vote log behaves as a store must, so service tests on it mean something:
a refused append keeps nothing and counts nothing, and a restart rebuilds from it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ballroom.adapters.vote_pipeline import CommitFailed
from ballroom.adapters.vote_store_memory import MemoryVoteLog, StoreRefused
from ballroom.bootstrap import voting_service
from ballroom.domain.voting import Channel, SmsMessage
from ballroom.services.ports import FixedClock, ImportBallot, LogBatch
from ballroom.services.voting import VotingService

START = datetime(2025, 10, 7, 20, 0, tzinfo=UTC)
COUPLES = {"hilaria": "HILARIA", "robert": "ROBERT"}


def _open(store: MemoryVoteLog) -> VotingService:
    service = voting_service(store, FixedClock(START), group_commit_ms=0)
    service.start()
    return service


def test_a_refused_append_counts_nothing_and_changes_no_cap() -> None:
    store = MemoryVoteLog()
    voting = _open(store)
    try:
        voting.create_window("w", COUPLES)
        voting.open_window("w")
        texts = [SmsMessage("+12125550100", "robert")] * 9
        assert all(o.accepted for o in voting.ingest_sms(texts, idempotency_key="a"))
        store.fail_next = StoreRefused("the disk is full")
        with pytest.raises(CommitFailed):
            voting.ingest_sms([SmsMessage("+12125550100", "robert")], idempotency_key="b")
        assert voting.tallies("w").couples["robert"].sms == 9
        # The tenth text still fits: the failed one gave its room back.
        (tenth, eleventh) = voting.ingest_sms(
            [SmsMessage("+12125550100", "robert")] * 2, idempotency_key="c"
        )
        assert tenth.accepted
        assert not eleventh.accepted
        assert voting.verify_log("w") is None
        assert voting.recount("w") == voting.tallies("w")
    finally:
        voting.stop()


def test_a_restart_rebuilds_from_the_store_and_a_retry_gets_its_first_receipt() -> None:
    store = MemoryVoteLog()
    voting = _open(store)
    voting.create_window("w", COUPLES)
    voting.open_window("w")
    first = voting.cast_web_ballot("w", "ana@example.com", {"robert": 4}, idempotency_key="k1")
    before = voting.tallies("w")
    voting.stop()
    again = _open(store)
    try:
        assert again.tallies("w") == before
        retried = again.cast_web_ballot("w", "ana@example.com", {"robert": 4}, idempotency_key="k1")
        assert retried == first
        assert again.chain_root("w") == first.hash
        assert again.verify_receipt(first.hash).ok
    finally:
        again.stop()


def test_a_batch_with_a_repeated_ballot_id_is_refused_whole() -> None:
    store = MemoryVoteLog()
    voting = _open(store)
    try:
        voting.create_window("w", COUPLES)
        voting.open_window("w")
        receipt = voting.cast_web_ballot("w", "ana@example.com", {"robert": 1}, idempotency_key="x")
        row = store._log["w"][0]
        repeat = (row[0], 2, row[2], "other", *row[4:9], "another-key", *row[10:])
        with pytest.raises(StoreRefused):
            store.append(LogBatch(rows=[repeat]))
        assert [e.ballot_id for e in voting.log_entries("w")] == [receipt.ballot_id]
    finally:
        voting.stop()


def test_an_import_refusal_is_kept_only_with_its_commit() -> None:
    store = MemoryVoteLog()
    voting = _open(store)
    try:
        voting.create_window("w", COUPLES)
        voting.open_window("w")
        ts = int(START.timestamp() * 1_000_000)
        withdrawal = ImportBallot("imp-1", "w", "ana@example.com", Channel.WEB, {"robert": 0}, ts)
        store.fail_next = StoreRefused("the disk is full")
        with pytest.raises(CommitFailed):
            voting.submit_import([withdrawal]).result()
        assert store.known((), (), (), ["imp-1"]).import_refusals == {}
        (outcome,) = voting.submit_import([withdrawal]).result()
        stored = store.known((), (), (), ["imp-1"]).import_refusals["imp-1"]
        assert (outcome.status, outcome.code) == ("refused", "invalid_input")
        assert (stored.window, stored.code, stored.message) == ("w", outcome.code, outcome.message)
        with pytest.raises(StoreRefused):  # an id is refused once, as a SQL store's key says
            store.append(LogBatch(import_refusals=[stored._replace(window="other")]))
    finally:
        voting.stop()

"""``services.importing``: chunked, pipelined import keeps file order, caps and outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.adapters.interchange import VoteRow, write_vote_rows
from ballroom.bootstrap import voting_service
from ballroom.errors import MalformedDocument
from ballroom.services.importing import (
    ballots_from_rows,
    check_file,
    import_ballots,
    import_file,
    import_summary,
    read_ballots,
    summarize,
)
from ballroom.services.ports import FixedClock, ImportOutcome
from ballroom.services.voting import VotingService

START = datetime(2025, 10, 8, 0, 0, tzinfo=UTC)


def _texts(count: int) -> list[VoteRow]:
    """``count`` texts from one phone for one couple, a second apart."""
    return [
        VoteRow(
            ballot_id=f"t{i}",
            ts=START.replace(second=i % 60, minute=i // 60),
            window="w1",
            voter="fan",
            channel="sms",
            couple="andy",
            votes=1,
        )
        for i in range(count)
    ]


@pytest.fixture
def service(sqlite_url: str) -> Iterator[VotingService]:
    engine = create_engine_for(sqlite_url)
    upgrade(engine)
    try:
        yield voting_service(engine, FixedClock(START), group_commit_ms=0)
    finally:
        engine.dispose()


def test_caps_hold_across_chunks_and_outcomes_keep_file_order(
    service: VotingService, tmp_path: Path
) -> None:
    rows = _texts(14)
    path = tmp_path / "votes.csv"
    write_vote_rows(path, rows)
    with service:
        ballots = list(ballots_from_rows(rows))
        # Chunks of 3 with two in flight: the cap of 10 still falls on the 11th text.
        outcomes = import_ballots(service, ballots, chunk_size=3)
        assert [o.ballot_id for o in outcomes] == [row.ballot_id for row in rows]
        assert [o.status for o in outcomes] == ["accepted"] * 10 + ["refused"] * 4
        assert {o.code for o in outcomes[10:]} == {"cap_exceeded"}
        assert service.tallies("w1").totals() == {"andy": 10}
        again = import_file(service, path)
    summary = summarize(again)
    assert (summary.ballots, summary.duplicate, summary.refused) == (14, 10, 4)
    assert summary.refused_by_code == {"cap_exceeded": 4}
    assert summary.as_dict()["accepted"] == 0


def test_a_bad_file_settles_what_was_handed_over(service: VotingService, tmp_path: Path) -> None:
    rows = _texts(8)
    rows.append(rows[0])  # ballot t0 again, after other ballots
    with service:
        with pytest.raises(MalformedDocument):
            import_ballots(service, ballots_from_rows(rows), chunk_size=2)
        # The chunks before the bad row were submitted and are committed, in order.
        assert service.tallies("w1").totals() == {"andy": 8}


def test_the_summary_counts_what_the_outcomes_say(service: VotingService, tmp_path: Path) -> None:
    rows = _texts(14)  # 10 accepted, 4 over the cap
    rows.append(
        VoteRow("w0", START, "w1", "fan", "web", "andy", 0)  # nothing to withdraw: refused
    )
    path = tmp_path / "votes.csv"
    write_vote_rows(path, rows)
    with service:
        summary, refused = import_summary(service, path)
        again = import_file(service, path)
    assert summary == summarize(
        [o._replace(status="accepted") if o.status == "duplicate" else o for o in again]
    )
    assert (summary.accepted, summary.refused) == (10, 5)
    assert [o.ballot_id for o in refused] == ["t10", "t11", "t12", "t13", "w0"]
    assert {o.code for o in refused} == {"cap_exceeded", "invalid_input"}


def _per_ballot(service: VotingService, path: Path) -> list[ImportOutcome]:
    check_file(path)
    return import_ballots(service, read_ballots(path, checked=True))


_WAYS = {"bulk": import_file, "per_ballot": _per_ballot}


@pytest.mark.parametrize("way", sorted(_WAYS))
def test_a_refused_withdrawal_stays_refused_when_the_file_is_imported_again(
    service: VotingService, tmp_path: Path, way: str
) -> None:
    later = START.replace(second=1)
    rows = [
        VoteRow("w0", START, "w1", "fan", "web", "andy", 0),  # nothing saved yet: refused
        VoteRow("b1", later, "w1", "fan", "web", "andy", 5),
    ]
    path = tmp_path / "votes.csv"
    write_vote_rows(path, rows)
    imported = _WAYS[way]
    with service:
        first = [(o.ballot_id, o.status, o.code) for o in imported(service, path)]
        again = [(o.ballot_id, o.status, o.code) for o in imported(service, path)]
        totals = service.tallies("w1").totals()
    assert first == [("w0", "refused", "invalid_input"), ("b1", "accepted", "")]
    assert again == [("w0", "refused", "invalid_input"), ("b1", "duplicate", "")]
    assert totals == {"andy": 5}


@pytest.mark.parametrize("way", sorted(_WAYS))
def test_a_refused_ballots_id_with_other_content_is_a_reused_id(
    service: VotingService, tmp_path: Path, way: str
) -> None:
    refused = tmp_path / "refused.csv"
    write_vote_rows(refused, [VoteRow("w0", START, "w1", "fan", "web", "andy", 0)])
    # The same id, now a ballot the rules would accept: refused as a reused id, as for a
    # stored ballot's id, and the first refusal still stands.
    other = tmp_path / "other.csv"
    write_vote_rows(other, [VoteRow("w0", START, "w1", "fan", "web", "andy", 3)])
    imported = _WAYS[way]
    with service:
        (first,) = imported(service, refused)
        (reused,) = imported(service, other)
        (again,) = imported(service, refused)
        totals = service.tallies("w1").totals()
    assert (first.status, first.code) == ("refused", "invalid_input")
    assert (reused.status, reused.code) == ("refused", "idempotency_mismatch")
    assert again == first
    assert totals == {"andy": 0}

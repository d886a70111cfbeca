"""The bulk import (columns decided in one call per chunk) against the per-ballot import.

``services/import_admission.py`` re-expresses the accepted case of the per-ballot rules; this
property is what keeps the two equal: random small files (revisions, withdrawals, rows of 0
votes, duplicates within and across imports, ballot ids reused with other content, over-cap
votes and texts, senders outside the SMS regions, ballots dated outside a window, windows
and couples the store lacks) imported both ways give the same outcomes, the same stored log
(every column), the same tallies and the same cap books, on SQLite and on PostgreSQL; live
texts counted before the imports share the text cap with them.

Imports are also replayed (either way): a prefix of the first file (an import killed after
some chunks), then each file twice. That leaves the store two single imports leave, and the
replays' outcomes are the single imports' with "accepted" read as "duplicate": a refusal,
a withdrawal refused for want of a saved ballot included, stays the same refusal.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.adapters.interchange import VoteRow, write_vote_rows
from ballroom.bootstrap import voting_service
from ballroom.domain.voting import SmsMessage
from ballroom.errors import MalformedDocument
from ballroom.services.importing import (
    check_file,
    import_ballots,
    import_outcomes,
    read_ballots,
)
from ballroom.services.ports import FixedClock, ImportOutcome
from ballroom.services.voting import VotingService

START = datetime(2025, 10, 8, 20, 0, tzinfo=UTC)
COUPLES = ("andy", "bea", "cal", "dot")
VOTERS = ("v1", "v2", "v3", "+12025550143", "+14165550143", "+17875550143")
PHONES = ("", "+12025550199", "+14165550199", "not a phone")
POSTGRES = os.environ.get(
    "BALLROOM_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


_Files = tuple[list[list[VoteRow]], list[list[VoteRow]]]


@st.composite
def _ballot(draw: st.DrawFn, number: int) -> list[VoteRow]:
    channel = draw(st.sampled_from(["web", "web", "sms"]))
    if channel == "sms" and draw(st.integers(0, 9)):
        couples = [draw(st.sampled_from(COUPLES))]
    else:  # a web ballot, or a text for two couples (refused)
        couples = draw(st.lists(st.sampled_from(COUPLES), min_size=1, max_size=3, unique=True))
    if channel == "sms":
        votes = st.integers(1, 10)
    elif draw(st.integers(0, 5)) == 0:
        votes = st.just(0)  # a withdrawal (refused when there is nothing to withdraw)
    else:
        votes = st.sampled_from([0, 1, 5, 10]) if draw(st.booleans()) else st.integers(0, 10)
    ts = START + timedelta(minutes=draw(st.integers(-20, 80)), microseconds=draw(st.integers(0, 9)))
    window = draw(st.sampled_from(["w1", "w1", "w2"]))
    voter = draw(st.sampled_from(VOTERS))
    phone = draw(st.sampled_from(PHONES))
    return [
        VoteRow(
            ballot_id=f"b{number}",
            ts=ts,
            window=window,
            voter=voter,
            channel=channel,
            couple=couple,
            votes=draw(votes),
            email=draw(st.sampled_from(["", "fan@example.com"])),
            phone=phone,
            ip="10.0.0.1",
            device=draw(st.sampled_from(["", "d1"])),
        )
        for couple in couples
    ]


@st.composite
def _files(draw: st.DrawFn) -> _Files:
    """Two imports: the second repeats some ballots of the first (same or changed)."""
    first = [draw(_ballot(n)) for n in range(draw(st.integers(1, 14)))]
    second: list[list[VoteRow]] = []
    for n in range(draw(st.integers(1, 14))):
        kind = draw(st.integers(0, 5))
        if kind == 0 and first:
            second.append(draw(st.sampled_from(first)))  # already stored: a duplicate
        elif kind == 1 and first:
            again = draw(st.sampled_from(first))
            # The same id with other content: refused as a different ballot.
            changed = [dataclasses.replace(row, votes=max(1, row.votes % 10)) for row in again]
            if changed == again:
                changed = [dataclasses.replace(row, voter="v9") for row in again]
            second.append(changed)
        else:
            second.append(draw(_ballot(100 + n)))
    seen: set[str] = set()
    unique = []
    for ballot in second:
        if ballot[0].ballot_id not in seen:
            seen.add(ballot[0].ballot_id)
            unique.append(ballot)
    return first, unique


class _CountedIds:
    def __init__(self) -> None:
        self._next = itertools.count(1)

    def new_id(self) -> str:
        return f"live-{next(self._next)}"


def _per_ballot(service: VotingService, path: Path, chunk: int) -> list[ImportOutcome]:
    check_file(path)
    return import_ballots(service, read_ballots(path, checked=True), chunk_size=chunk)


def _bulk(service: VotingService, path: Path, chunk: int) -> list[ImportOutcome]:
    outcomes: list[ImportOutcome] = []
    for part in import_outcomes(service, path, chunk_size=chunk):
        outcomes.extend(part)
    return outcomes


def _state(engine: sa.Engine, service: VotingService) -> dict[str, Any]:
    with engine.connect() as connection:
        log = connection.execute(
            sa.text(
                "SELECT window_id, seq, ballot_id, voter, channel, allocation, ts_us, hash,"
                " prev_hash, idempotency_key, email, phone, ip, device FROM vote_log"
                " ORDER BY window_id, seq"
            )
        ).all()
    writer: Any = service._writer
    books = [(book.web, book.web_seq, book.sms) for book in writer.books]
    tallies = {w.id: service.tallies(w.id).as_dict() for w in service.windows()}
    return {"log": [tuple(row) for row in log], "books": books, "tallies": tallies}


def _outcome(outcome: ImportOutcome) -> tuple[Any, ...]:
    receipt = outcome.receipt
    return (
        outcome.ballot_id,
        outcome.status,
        outcome.code,
        outcome.message,
        None if receipt is None else tuple(receipt),
    )


def _run(url: str, files: list[Path], way: str, chunk: int, cap: int, live: int) -> tuple[Any, ...]:
    engine = create_engine_for(url)
    upgrade(engine)
    try:
        # The clock inside w1's scheduled period: live texts count before the imports.
        service = voting_service(
            engine,
            FixedClock(START + timedelta(minutes=30)),
            group_commit_ms=0,
            cap=cap,
            ids=_CountedIds(),  # the same ids both ways: the same chain
        )
        with service:
            service.create_window("w1", {"andy": "ANDY", "bea": "BEA"})
            service.schedule_window("w1", START, START + timedelta(hours=1))
            if live:
                texts = [SmsMessage(VOTERS[3], "ANDY", message_id=f"m{n}") for n in range(live)]
                service.ingest_sms(texts, idempotency_key="live", window_id="w1")
            results: list[Any] = []
            for path in files:
                try:
                    if way == "bulk":
                        outcomes = _bulk(service, path, chunk)
                    else:
                        outcomes = _per_ballot(service, path, chunk)
                except MalformedDocument as error:
                    results.append(("malformed", str(error)))
                    continue
                results.append([_outcome(o) for o in outcomes])
            state = _state(engine, service)
        return tuple(results), state
    finally:
        engine.dispose()


@contextmanager
def _postgres_schemas(count: int) -> Iterator[list[str]]:
    admin = sa.create_engine(POSTGRES)
    schemas = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    try:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        yield [f"{POSTGRES}?options=-csearch_path%3D{schema}" for schema in schemas]
    finally:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _again(outcomes: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The outcomes of a file imported again: what was accepted is a duplicate, the rest as
    it was (the same refusal, the same duplicate)."""
    return [
        (ballot_id, "duplicate" if status == "accepted" else status, *rest)
        for ballot_id, status, *rest in outcomes
    ]


def _replayed(expected: tuple[Any, ...], killed_after: int) -> tuple[Any, ...]:
    """What importing a prefix of the first file, then each file twice, answers, from what
    importing each file once answered."""
    first, second = expected
    prefix = first[:killed_after]
    resumed = _again(prefix) + first[killed_after:]
    return (prefix, resumed, _again(first), second, _again(second))


def _check_same(
    files: _Files, chunk: int, cap: int, live: int, db: str, replay: str, killed_after: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, ballots in enumerate(files):
            path = Path(folder) / f"votes{number}.csv"
            write_vote_rows(path, [row for ballot in ballots for row in ballot])
            paths.append(path)
        first = files[0]
        killed_after = min(killed_after, len(first))
        prefix = Path(folder) / "prefix.csv"
        write_vote_rows(prefix, [row for ballot in first[:killed_after] for row in ballot])
        replays = [prefix, paths[0], paths[0], paths[1], paths[1]]
        if db == "sqlite":
            urls = [f"sqlite:///{Path(folder) / name}.db" for name in ("one", "bulk", "replay")]
            expected = _run(urls[0], paths, "one", chunk, cap, live)
            got = _run(urls[1], paths, "bulk", chunk, cap, live)
            replayed = _run(urls[2], replays, replay, chunk, cap, live)
        else:
            with _postgres_schemas(3) as urls:
                expected = _run(urls[0], paths, "one", chunk, cap, live)
                got = _run(urls[1], paths, "bulk", chunk, cap, live)
                replayed = _run(urls[2], replays, replay, chunk, cap, live)
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert replayed[0] == _replayed(expected[0], killed_after)
    assert replayed[1] == expected[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    files=_files(),
    chunk=st.sampled_from([1, 3, 5000]),
    cap=st.sampled_from([10, 4]),
    live=st.sampled_from([0, 0, 3, 9]),
    replay=st.sampled_from(["bulk", "one"]),
    killed_after=st.integers(1, 14),
)
def test_bulk_import_matches_the_per_ballot_import_on_sqlite(
    files: _Files, chunk: int, cap: int, live: int, replay: str, killed_after: int
) -> None:
    _check_same(files, chunk, cap, live, "sqlite", replay, killed_after)


@pytest.mark.postgres
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    files=_files(),
    chunk=st.sampled_from([2, 5000]),
    cap=st.sampled_from([10, 4]),
    live=st.sampled_from([0, 3]),
    replay=st.sampled_from(["bulk", "one"]),
    killed_after=st.integers(1, 14),
)
def test_bulk_import_matches_the_per_ballot_import_on_postgresql(
    files: _Files, chunk: int, cap: int, live: int, replay: str, killed_after: int
) -> None:
    _check_same(files, chunk, cap, live, "postgresql", replay, killed_after)

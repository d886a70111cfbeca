"""The integrity review's columnar reading of a stored log, on SQLite and on PostgreSQL.

``read_window_columns`` streams the ``vote_log`` rows in chunks into the ``VoteTable`` the
analysis takes; it must equal the table the row reading (``read_window_log``, the export's)
builds, and the control room's review built on it must say what the row reading would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from ballroom.adapters.interchange import write_vote_arrow
from ballroom.bootstrap import App, bootstrap, stored_log
from ballroom.domain.voting import Channel, VoteMeta, recount, us_from_datetime
from ballroom.errors import NotFound
from ballroom.integrity.analysis import analyze
from ballroom.integrity.electorate import DISNEY_NIGHT, Campaign, Scenario, generate
from ballroom.services.accounts import Principal, Role
from ballroom.services.importing import import_file
from ballroom.services.log_rows import (
    read_window_ballots,
    read_window_columns,
    read_window_log,
)
from ballroom.services.ports import FixedClock
from ballroom.services.voting import ImportBallot
from ballroom.settings import load_settings
from vote_tables import assert_same_table

START = datetime(2025, 10, 8, 0, 0, tzinfo=UTC)
WINDOW = "s34w04"  # Disney Night: numbered ballot ids
OTHER = "s34w05"  # the next week in the same store: ids that are not numbered
EMAILS = ("", "zoë@exämple.org", "名前@例え.jp", "jo+2@gmail.com", "Ann@Example.ORG")


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    wired = bootstrap(
        load_settings(db_url=database_url, group_commit_ms=0), clock=FixedClock(START)
    )
    with wired:
        wired.accounts.create_staff("boss", Role.PRODUCER, "boss-password")
        yield wired


@pytest.fixture
def boss(app: App) -> Principal:
    return app.accounts.log_in("boss", "boss-password").principal


def _mixed_night(app: App, boss: Principal, window: str, *, numbered: bool) -> None:
    """Web ballots and their revisions, texts, several couples a ballot, some identities
    empty and some e-mails not ASCII; couples late in the list turn up late in the log."""
    app.control.prepare_night(boss, window)
    couples = sorted(app.voting.window_status(window).couples)
    rng = np.random.default_rng(len(window) + numbered)
    ballots = []
    for number in range(1, 121):
        voter = f"v{int(rng.integers(40))}" if number % 5 else f"fan-ü{int(rng.integers(9))}"
        sms = rng.random() < 0.35
        reach = min(len(couples), 2 + number * len(couples) // 120)
        picked = [
            couples[int(i)] for i in rng.choice(reach, int(rng.integers(1, reach + 1)), False)
        ]
        ballots.append(
            ImportBallot(
                ballot_id=f"b{number}" if numbered else f"{window}-{rng.integers(10**6)}-{number}",
                window=window,
                voter=voter,
                channel=Channel.SMS if sms else Channel.WEB,
                allocation={picked[0]: 1} if sms else {c: int(rng.integers(1, 11)) for c in picked},
                ts_us=us_from_datetime(START + timedelta(seconds=17 * number)),
                meta=VoteMeta(
                    email=EMAILS[int(rng.integers(len(EMAILS)))],
                    phone="" if rng.random() < 0.5 else f"+1202555{int(rng.integers(10**4)):04d}",
                    ip="" if sms else f"198.51.100.{int(rng.integers(256))}",
                    device="" if rng.random() < 0.3 else f"d{int(rng.integers(30))}",
                ),
            )
        )
    outcomes = app.voting.submit_import(ballots).result()
    assert {o.status for o in outcomes} == {"accepted"}, outcomes


def test_the_columns_equal_the_row_built_table(app: App, boss: Principal) -> None:
    _mixed_night(app, boss, WINDOW, numbered=True)
    _mixed_night(app, boss, OTHER, numbered=False)
    for window in (WINDOW, OTHER):
        rows = read_window_log(stored_log(app.engine), window)
        expected = rows.vote_table()
        assert len(expected) > len(rows.entries) == 120  # several couples a ballot
        for fetch_rows in (1, 7, 50, 10_000):
            columns = read_window_columns(stored_log(app.engine), window, fetch_rows=fetch_rows)
            assert_same_table(expected, columns.table)
            assert columns.couples == rows.couples
            assert columns.ballot_seq.tolist() == [entry.seq for entry in rows.entries]
            assert set(columns.voters.values.to_pylist()) == rows.voters()
    assert read_window_columns(stored_log(app.engine), WINDOW).table.ballot.prefix == "b"
    assert read_window_columns(stored_log(app.engine), OTHER).table.ballot.prefix is None


def test_a_voters_ballots_read_back_by_their_place_in_the_log(app: App, boss: Principal) -> None:
    _mixed_night(app, boss, WINDOW, numbered=True)
    columns = read_window_columns(stored_log(app.engine), WINDOW, fetch_rows=16)
    voters = ["v3", "fan-ü2", "nobody"]
    by_voter = read_window_log(stored_log(app.engine), WINDOW, voters=voters)
    by_place = read_window_ballots(stored_log(app.engine), WINDOW, columns.seqs_of(voters))
    assert by_place.entries == by_voter.entries
    assert by_place.meta == by_voter.meta
    assert {entry.voter for entry in by_place.entries} == {"v3", "fan-ü2"}
    assert "v3" in columns.voters
    assert "nobody" not in columns.voters


def test_an_empty_window_and_an_unknown_one(app: App, boss: Principal) -> None:
    app.control.prepare_night(boss, WINDOW)
    columns = read_window_columns(stored_log(app.engine), WINDOW)
    assert_same_table(read_window_log(stored_log(app.engine), WINDOW).vote_table(), columns.table)
    assert len(columns.table) == 0
    assert len(columns.voters) == 0
    with pytest.raises(NotFound):
        read_window_columns(stored_log(app.engine), "s34w99")


def test_the_review_says_what_the_row_reading_says(
    app: App, boss: Principal, tmp_path: Path
) -> None:
    """A rehearsal-sized night (organic fans, alias farms, a bot, a campaign): the review's
    report and each flagged voter's details equal those computed from the row reading."""
    app.control.prepare_night(boss, WINDOW)
    electorate = generate(
        Scenario(
            voters=1500,
            couples=DISNEY_NIGHT,
            window=WINDOW,
            start=START,
            farms=2,
            bots=1,
            campaigns=(Campaign("hilaria", 0.05),),
            seed=11,
        )
    )
    write_vote_arrow(tmp_path / "night.csv", electorate.table)
    outcomes = import_file(app.voting, tmp_path / "night.csv")
    assert {o.status for o in outcomes} == {"accepted"}

    body = app.integrity.review(boss, WINDOW)

    log = read_window_log(stored_log(app.engine), WINDOW)
    table = log.vote_table()
    report = analyze(table, app.control.night_request(WINDOW), window=None, seed=0, draws=200)
    expected = report.as_dict()
    assert {key: body[key] for key in expected} == expected
    assert body["couples"] == report.couples
    assert body["counterfactual"] is not None
    assert len(body["flagged"]) == len(report.flagged_voters) > 10
    labels = table.voter.labels()
    for detail in body["flagged"]:
        voter = detail["voter"]
        code = labels.index(voter)
        mine = [entry for entry in log.entries if entry.voter == voter]
        first = log.meta[next(i for i, e in enumerate(log.entries) if e.voter == voter)]
        counted = {c: v for c, v in recount(WINDOW, mine, log.couples).totals().items() if v}
        reasons = [name for name, mask in report.findings.reasons.items() if mask[code]]
        assert detail["reasons"] == reasons
        assert detail["allocation"] == counted
        assert detail["votes"] == sum(counted.values())
        assert (detail["email"], detail["device"], detail["ip"]) == (
            first.email,
            first.device,
            first.ip,
        )
        clusters = [
            n
            for n, cluster in enumerate(report.findings.clusters)
            if cluster.flagged and voter in cluster.voters
        ]
        assert detail["clusters"] == clusters
        assert len(detail["evidence"]) == len(clusters)
    # A decision on a flagged voter finds them in the analysed log.
    voter = body["flagged"][0]["voter"]
    decision = app.integrity.decide(boss, WINDOW, voter, "clear", "checked by phone")
    assert decision.voter == voter
    with pytest.raises(NotFound):
        app.integrity.decide(boss, WINDOW, "nobody-at-all", "void", "no such voter")

"""The integrity review on a throwaway SQLite store: live analysis, decisions, exclusions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from ballroom.adapters.db.schema import vote_log
from ballroom.adapters.interchange import read_vote_table
from ballroom.bootstrap import App, bootstrap, stored_log
from ballroom.domain.voting import Channel, VoteMeta, us_from_datetime
from ballroom.errors import Conflict, Forbidden, InvalidInput, MissingField, NotFound, WrongType
from ballroom.integrity.analysis import analyze
from ballroom.services.accounts import Principal, Role
from ballroom.services.exports import export_window
from ballroom.services.log_rows import read_window_log
from ballroom.services.ports import FixedClock
from ballroom.services.voting import ImportBallot
from ballroom.settings import load_settings

START = datetime(2025, 10, 8, 0, 0, tzinfo=UTC)
WINDOW = "s34w04"
FARM = [f"farm{i}" for i in range(1, 5)]
NAMES = ("ann", "bob", "cleo", "dev", "eli", "fay", "gus", "hal", "ivy", "jon", "kit", "lou")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    wired = bootstrap(
        load_settings(db_url=f"sqlite:///{tmp_path / 'b.db'}", group_commit_ms=0),
        clock=FixedClock(START),
    )
    with wired:
        wired.accounts.create_staff("boss", Role.PRODUCER, "boss-password")
        yield wired


@pytest.fixture
def boss(app: App) -> Principal:
    return app.accounts.log_in("boss", "boss-password").principal


def _ballot(
    number: int,
    voter: str,
    allocation: dict[str, int],
    *,
    minute: float,
    email: str,
    channel: Channel = Channel.WEB,
    window: str = WINDOW,
) -> ImportBallot:
    return ImportBallot(
        ballot_id=f"{window}-b{number}",
        window=window,
        voter=voter,
        channel=channel,
        allocation=allocation,
        ts_us=us_from_datetime(START + timedelta(minutes=minute)),
        meta=VoteMeta(
            email=email,
            phone="",
            ip=f"198.51.{number % 250}.{(number * 7) % 250}",
            device=f"dev-{voter}",
        ),
    )


def _night(app: App, boss: Principal, window: str = WINDOW) -> None:
    """Prepare ``window``, import a farm of four "+" aliases and twelve real voters."""
    app.control.prepare_night(boss, window)
    couples = list(app.voting.window_status(window).couples)
    ballots = []
    number = 0
    for i, voter in enumerate(FARM):
        number += 1
        # One person's "+" aliases, all for robert.
        email = f"superfan+{i}@gmail.com"
        ballots.append(_ballot(number, voter, {"robert": 10}, minute=3 + 7.3 * i, email=email))
    for i in range(12):
        voter = f"real{i}"
        number += 1
        favourite = couples[i % len(couples)]
        email = f"{NAMES[i]}@example.org"
        ballots.append(_ballot(number, voter, {favourite: 10}, minute=2 + 5.1 * i, email=email))
    # farm1 changes its web ballot (only the last one counts) and also texts twice.
    number += 1
    ballots.append(
        _ballot(number, "farm1", {"robert": 6, "alix": 4}, minute=50, email="superfan+0@gmail.com")
    )
    for minute in (51, 52):
        number += 1
        ballots.append(
            _ballot(
                number,
                "farm1",
                {"hilaria": 1},
                minute=minute,
                email="superfan+0@gmail.com",
                channel=Channel.SMS,
            )
        )
    outcomes = app.voting.submit_import(ballots).result()
    assert all(o.status == "accepted" for o in outcomes), outcomes


def _results(app: App, boss: Principal) -> dict[str, object]:
    return app.control.compute_results(boss, WINDOW)


def _votes(result: dict[str, object]) -> dict[str, int]:
    return {s["couple"]: s["votes"] for s in result["standings"]}  # type: ignore[attr-defined, index]


def _key_every_score(app: App, boss: Principal, window: str = WINDOW) -> None:
    """Every judge keys a 7 for every couple and round: results need a complete sheet."""
    for hole in app.control.scores(boss, window)["missing"]:
        judge = Principal(
            role=Role.JUDGE, id=hole["judge"], name=hole["judge"], judge=hole["judge"]
        )
        app.control.key_score(judge, window, hole["couple"], hole["round"], 7)


def _close_and_lock(app: App, boss: Principal) -> None:
    app.control.close_window(boss, WINDOW)
    _key_every_score(app, boss)
    app.control.lock_scores(boss, WINDOW)


def test_the_review_reads_the_store_log_like_the_export(
    app: App, boss: Principal, tmp_path: Path
) -> None:
    _night(app, boss)
    export_window(stored_log(app.engine), WINDOW, tmp_path / "export")
    exported = analyze(read_vote_table(tmp_path / "export" / "votes.csv"))
    live = analyze(read_window_log(stored_log(app.engine), WINDOW).vote_table())
    assert live.flagged_voters == exported.flagged_voters == sorted(FARM)
    assert live.as_dict()["clusters"] == exported.as_dict()["clusters"]
    assert (live.voters, live.ballots, live.rows) == (exported.voters, exported.ballots, 20)
    voters = read_window_log(stored_log(app.engine), WINDOW, voters=["farm1", "nobody"])
    assert {e.voter for e in voters.entries} == {"farm1"}
    assert [e.seq for e in voters.entries] == sorted(e.seq for e in voters.entries)
    assert len(voters.entries) == 4


def test_review_flags_the_farm_with_evidence_and_counted_votes(app: App, boss: Principal) -> None:
    _night(app, boss)
    body = app.integrity.review(boss, WINDOW)
    assert body["flagged_voters"] == sorted(FARM)
    assert body["voters"] == 16
    farm1 = next(f for f in body["flagged"] if f["voter"] == "farm1")
    assert "mailbox" in farm1["reasons"]
    assert any("superfan" in line or "mailbox" in line for line in farm1["evidence"])
    # The last saved web ballot (6 + 4) plus two texts: what the live tally counted.
    assert farm1["allocation"] == {"robert": 6, "alix": 4, "hilaria": 2}
    assert farm1["votes"] == 12
    assert farm1["decision"] is None
    counterfactual = body["counterfactual"]
    assert counterfactual is not None
    assert counterfactual["flagged_votes"] == 12 + 30
    assert body["counterfactual_note"] is None
    assert body["results"] == {"computed": False, "revealed": False, "stale": False}


def test_void_leaves_the_voters_votes_out_of_the_results_and_is_audited(
    app: App, boss: Principal
) -> None:
    _night(app, boss)
    _close_and_lock(app, boss)
    before = _votes(_results(app, boss))
    tally_before = app.voting.tallies(WINDOW).totals()
    decision = app.integrity.decide(boss, WINDOW, "farm1", "void", "  one person, four aliases ")
    assert (decision.action, decision.reason, decision.actor) == (
        "void",
        "one person, four aliases",
        "boss",
    )
    assert decision.evidence
    assert app.integrity.review(boss, WINDOW)["results"]["stale"] is True
    after = _results(app, boss)
    votes = _votes(after)
    assert votes["robert"] == before["robert"] - 6
    assert votes["alix"] == before["alix"] - 4
    assert votes["hilaria"] == before["hilaria"] - 2
    assert after["voided"] == {"voters": 1, "votes": {"alix": 4, "hilaria": 2, "robert": 6}}
    # The log and the live tally are untouched: a decision is a separate record.
    assert app.voting.tallies(WINDOW).totals() == tally_before
    assert app.voting.verify_log(WINDOW) is None
    audit = app.control.audit(boss, limit=5)
    void = next(e for e in audit if e["action"] == "integrity_void")
    assert void["actor"] == "boss"
    assert void["target"] == WINDOW
    assert void["detail"]["voter"] == "farm1"
    assert void["detail"]["reason"] == "one person, four aliases"
    assert void["detail"]["decision"] == decision.id
    assert audit[0]["action"] == "compute_results"
    assert audit[0]["detail"]["voided_voters"] == 1

    app.integrity.decide(boss, WINDOW, "farm1", "clear", "the aliases belong to a family")
    cleared = _results(app, boss)
    assert _votes(cleared) == before
    assert "voided" not in cleared
    review = app.integrity.review(boss, WINDOW)
    assert review["results"]["stale"] is False
    assert [d["action"] for d in review["decisions"]] == ["clear", "void"]
    assert review["voided"] == []
    farm1 = next(f for f in review["flagged"] if f["voter"] == "farm1")
    assert farm1["decision"]["action"] == "clear"


def test_a_repeated_decision_is_recorded_once(app: App, boss: Principal) -> None:
    _night(app, boss)
    first = app.integrity.decide(boss, WINDOW, "farm2", "void", "alias")
    again = app.integrity.decide(boss, WINDOW, "farm2", "void", "alias")
    assert again == first
    actions = [e["action"] for e in app.control.audit(boss)]
    assert actions.count("integrity_void") == 1


@pytest.mark.parametrize(
    ("voter", "action", "reason", "error", "field"),
    [
        ("farm1", "delete", "why", InvalidInput, "action"),
        ("farm1", None, "why", InvalidInput, "action"),
        ("farm1", "void", None, MissingField, "reason"),
        ("farm1", "void", "   ", MissingField, "reason"),
        ("farm1", "void", 7, WrongType, "reason"),
        ("farm1", "void", "x" * 2001, InvalidInput, "reason"),
        (None, "void", "why", WrongType, "voter"),
        ("nobody", "void", "why", NotFound, "voter"),
        ("real3", "void", "a tactical voter", Conflict, "voter"),
        ("real3", "clear", "fine", Conflict, "voter"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    app: App,
    boss: Principal,
    voter: object,
    action: object,
    reason: object,
    error: type[Exception],
    field: str,
) -> None:
    _night(app, boss)
    with pytest.raises(error) as raised:
        app.integrity.decide(boss, WINDOW, voter, action, reason)
    assert raised.value.field == field  # type: ignore[attr-defined]
    assert app.integrity.decisions(boss, WINDOW) == []
    assert not [e for e in app.control.audit(boss) if e["action"].startswith("integrity")]


def test_only_producers_and_known_windows(app: App, boss: Principal) -> None:
    _night(app, boss)
    judge = Principal(role=Role.JUDGE, id="j", name="derek", judge="derek")
    with pytest.raises(Forbidden):
        app.integrity.review(judge, WINDOW)
    with pytest.raises(Forbidden):
        app.integrity.decide(judge, WINDOW, "farm1", "void", "why")
    with pytest.raises(NotFound) as raised:
        app.integrity.review(boss, "s34w99")
    assert raised.value.field == "window"
    with pytest.raises(NotFound):
        app.integrity.decide(boss, "s34w99", "farm1", "void", "why")


def test_published_results_are_final(app: App, boss: Principal) -> None:
    _night(app, boss)
    _close_and_lock(app, boss)
    _results(app, boss)
    app.control.reveal_results(boss, WINDOW)
    with pytest.raises(Conflict) as raised:
        app.integrity.decide(boss, WINDOW, "farm1", "void", "too late")
    assert raised.value.field == "window"
    assert app.integrity.decisions(boss, WINDOW) == []


def test_the_analysis_follows_the_live_log(app: App, boss: Principal) -> None:
    _night(app, boss)
    first = app.integrity.review(boss, WINDOW)
    assert app.integrity.review(boss, WINDOW)["log_version"] == first["log_version"]
    app.control.open_window(boss, WINDOW)
    app.voting.cast_web_ballot(WINDOW, "late", {"jen": 3}, idempotency_key="late-1")
    later = app.integrity.review(boss, WINDOW)
    assert later["log_version"] == first["log_version"] + 1
    assert later["voters"] == first["voters"] + 1


def test_voided_votes_leave_the_carried_votes_too(app: App, boss: Principal) -> None:
    # Week 1 has no elimination: its votes carry into week 2.
    premiere, next_week = "s34w01", "s34w02"
    app.control.prepare_night(boss, premiere)
    couples = list(app.voting.window_status(premiere).couples)
    ballots = [
        _ballot(
            i,
            f"alias{i}",
            {couples[0]: 10},
            minute=i * 4.7,
            email=f"a+{i}@gmail.com",
            window=premiere,
        )
        for i in range(1, 4)
    ] + [
        _ballot(
            10 + i,
            f"fan{i}",
            {couples[1]: 9},
            minute=i * 3.1,
            email=f"{NAMES[i]}@example.org",
            window=premiere,
        )
        for i in range(3)
    ]
    assert all(o.status == "accepted" for o in app.voting.submit_import(ballots).result())
    carried = app.control.night_request(next_week).carried_votes
    assert carried[couples[0]] == 30
    app.integrity.decide(boss, premiere, "alias2", "void", "alias of alias1")
    assert app.control.night_request(next_week).carried_votes[couples[0]] == 20
    assert app.control.night_request(next_week).carried_votes[couples[1]] == 27


def test_a_window_outside_the_season_is_analysed_without_a_counterfactual(
    app: App, boss: Principal
) -> None:
    app.voting.ensure_window("gala", ["red", "blue", "green"])
    ballots = [
        _ballot(i, f"g{i}", {"red": 5}, minute=i * 2.3, email=f"g+{i}@gmail.com", window="gala")
        for i in range(3)
    ]
    assert all(o.status == "accepted" for o in app.voting.submit_import(ballots).result())
    body = app.integrity.review(boss, "gala")
    assert body["flagged_voters"] == ["g0", "g1", "g2"]
    assert body["counterfactual"] is None
    assert "not a night of the season" in body["counterfactual_note"]
    decision = app.integrity.decide(boss, "gala", "g1", "void", "alias")
    assert app.integrity.decisions(boss, "gala") == [decision]
    with app.engine.connect() as connection:
        stored = connection.execute(
            sa.select(sa.func.count()).select_from(vote_log).where(vote_log.c.window_id == "gala")
        ).scalar_one()
    assert stored == 3
    assert json.loads(json.dumps(body))  # the whole body is JSON-ready

"""``ballroom import`` applies the live gateway's SMS region rule (US and Puerto Rico only), on
SQLite and PostgreSQL: refused texts are reported with their reason, in file order, and the
verdict on every number is the one the live gateway gives."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ballroom.adapters.interchange import VoteRow, write_vote_rows
from ballroom.bootstrap import voting_service
from ballroom.cli import main
from ballroom.domain.voting import SmsMessage, SmsRefusal
from ballroom.services.importing import ballots_from_rows, import_ballots
from ballroom.services.ports import FixedClock
from ballroom.services.voting import VotingService

START = datetime(2025, 10, 8, 0, 0, tzinfo=UTC)
NUMBERS = {
    "+1 212 555 0100": True,  # New York
    "+1 787 555 0100": True,  # Puerto Rico
    "+1 416 555 0100": False,  # Toronto
    "+1 604 555 0100": False,  # Vancouver
    "+1 876 555 0100": False,  # Jamaica
    "+1 809 555 0100": False,  # Dominican Republic
    "+1 340 555 0100": False,  # US Virgin Islands: a territory outside the regions
    "+44 20 7946 0000": False,  # London
}


def _text(number: int, *, voter: str, phone: str = "", window: str = "w1") -> VoteRow:
    return VoteRow(
        ballot_id=f"t{number}",
        ts=START + timedelta(seconds=number),
        window=window,
        voter=voter,
        channel="sms",
        couple="andy",
        votes=1,
        phone=phone,
    )


@pytest.fixture
def service(engine: sa.Engine) -> Iterator[VotingService]:
    with voting_service(engine, FixedClock(START), group_commit_ms=0) as running:
        yield running


def test_texts_from_outside_the_sms_regions_are_refused_in_file_order(
    service: VotingService,
) -> None:
    rows = [
        _text(1, voter="fan-1", phone="+1 212 555 0100"),
        _text(2, voter="fan-2", phone="+1 416 555 0100"),  # Canada, by the phone column
        _text(3, voter="+14165550199"),  # Canada, the number as the voter (a live export)
        _text(4, voter="+17875550100"),
        _text(5, voter="fan-5", phone="+1 876 555 0100"),  # Jamaica
        _text(6, voter="fan-6", phone="+1 604 555 0100"),  # chunk 3 is all refused
        _text(7, voter="fan-7"),  # no number at all: nothing to place it by
        _text(8, voter="+12125550100", phone="+1 416 555 0100"),  # the sender's phone decides
        _text(9, voter="fan-9", phone="not a number"),
        VoteRow("w1", START, "w1", "viewer", "web", "andy", 3),  # web ballots are not texts
    ]
    outcomes = import_ballots(service, ballots_from_rows(rows), chunk_size=2)
    assert [o.ballot_id for o in outcomes] == [f"t{n}" for n in range(1, 10)] + ["w1"]
    status = {o.ballot_id: (o.status, o.code) for o in outcomes}
    region = ("refused", "ineligible_voter")
    assert status == {
        "t1": ("accepted", ""),
        "t2": region,
        "t3": region,
        "t4": ("accepted", ""),
        "t5": region,
        "t6": region,
        "t7": ("accepted", ""),
        "t8": region,
        "t9": ("refused", "invalid_input"),
        "w1": ("accepted", ""),
    }
    messages = {o.ballot_id: o.message for o in outcomes}
    assert "+14165550100 is CA" in messages["t2"]
    assert "+18765550100 is JM" in messages["t5"]
    assert "open only in PR, US" in messages["t3"]
    assert service.tallies("w1").totals() == {"andy": 6}
    # Imported again: what counted is already there, what was refused is refused again.
    again = import_ballots(service, ballots_from_rows(rows), chunk_size=3)
    assert [(o.ballot_id, o.status) for o in again] == [
        (o.ballot_id, "duplicate" if o.status == "accepted" else "refused") for o in outcomes
    ]


def test_import_and_the_live_gateway_agree_on_every_number(service: VotingService) -> None:
    service.create_window("live", {"andy": "ANDY"})
    service.open_window("live")
    live = service.submit_sms(
        [SmsMessage(phone=number, body="andy") for number in NUMBERS],
        idempotency_key="regions",
        window_id="live",
    ).result(timeout=30)
    live_counts = [outcome.accepted for outcome in live]
    assert live_counts == list(NUMBERS.values())
    assert {o.reason for o in live if not o.accepted} == {SmsRefusal.REGION}
    rows = [
        _text(n, voter=f"fan-{n}", phone=number, window="imported")
        for n, number in enumerate(NUMBERS, start=1)
    ]
    imported = import_ballots(service, ballots_from_rows(rows))
    assert [o.status == "accepted" for o in imported] == live_counts
    assert {o.code for o in imported if o.status == "refused"} == {"ineligible_voter"}


def test_the_cli_reports_region_refusals_with_their_reason(
    database_url: str, tmp_path: Path
) -> None:
    votes = tmp_path / "votes.csv"
    write_vote_rows(
        votes,
        [
            _text(1, voter="+12125550100"),
            _text(2, voter="+14165550100"),
            _text(3, voter="fan", phone="+1 809 555 0100"),
        ],
    )
    listed = tmp_path / "refusals.csv"
    result = CliRunner().invoke(
        main, ["import", str(votes), "--db", database_url, "--json", "--refusals", str(listed)]
    )
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert (summary["ballots"], summary["accepted"], summary["refused"]) == (3, 1, 2)
    refusals = list(csv.DictReader(listed.read_text(encoding="utf-8").splitlines()))
    assert [(r["ballot_id"], r["code"]) for r in refusals] == [
        ("t2", "ineligible_voter"),
        ("t3", "ineligible_voter"),
    ]
    assert "text voting is open only in PR, US" in refusals[0]["message"]
    assert "is DO" in refusals[1]["message"]

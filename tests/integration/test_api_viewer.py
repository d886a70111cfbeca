"""What the viewer's pages ask the API: my ballot in this window, signing in again, the
window's live state, whether a receipt still counts, and the chain root once revealed."""

from __future__ import annotations

import json
from pathlib import Path

from api_support import WINDOW, Api, api, assert_error

from ballroom.bootstrap import stored_log
from ballroom.services.exports import export_window
from ballroom.services.verification import verify_export

__all__ = ["api"]  # the fixture, imported for pytest


def _mine(api: Api, voter: dict[str, str]) -> dict[str, object] | None:
    response = api.client.get(f"/api/v1/windows/{WINDOW}/ballots/mine", headers=voter)
    assert response.status_code == 200, response.text
    ballot: dict[str, object] | None = response.json()["ballot"]
    return ballot


def test_my_ballot_is_the_latest_saved_one_with_its_receipt(api: Api) -> None:
    api.open_night(api.producer())
    voter = api.voter("returning@example.com")
    other = api.voter("someone.else@example.com")
    assert _mine(api, voter) is None

    first = api.ballot(voter, {"robert": 3, "alix": 1}, "mine-1").json()
    api.ballot(other, {"jen": 10}, "other-1")
    assert _mine(api, voter) == first
    second = api.ballot(voter, {"hilaria": 2}, "mine-2").json()
    mine = _mine(api, voter)
    assert mine == second
    assert mine is not None
    assert mine["allocation"] == {"hilaria": 2}
    assert _mine(api, other) is not None

    # The first receipt is still in the log, but superseded; the second counts.
    assert api.client.get(f"/api/v1/receipts/{first['hash']}").json()["superseded"] is True
    assert api.client.get(f"/api/v1/receipts/{second['hash']}").json()["superseded"] is False


def test_my_ballot_survives_a_restart(api: Api) -> None:
    """The voter's current ballot is rebuilt from the log when the writer starts again."""
    api.open_night(api.producer())
    voter = api.voter("restart@example.com")
    api.ballot(voter, {"robert": 1}, "r-1")
    saved = api.ballot(voter, {"robert": 2}, "r-2").json()
    api.app.voting.stop()
    api.app.voting.start()
    assert _mine(api, voter) == saved


def test_my_ballot_needs_a_verified_voter(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    assert_error(api.client.get(f"/api/v1/windows/{WINDOW}/ballots/mine"), 401, "invalid_token")
    response = api.client.get(f"/api/v1/windows/{WINDOW}/ballots/mine", headers=producer)
    assert response.status_code == 403, response.text
    voter = api.voter()
    assert_error(
        api.client.get("/api/v1/windows/nope/ballots/mine", headers=voter), 404, "not_found"
    )


def test_a_returning_voter_signs_in_with_their_email_only(api: Api) -> None:
    api.voter("Back.Again@example.com")
    response = api.client.post("/api/v1/accounts/sign-in", json={"email": "back.again@example.com"})
    assert response.status_code == 202, response.text
    code = api.last_code("Back.Again@example.com")
    verified = api.client.post(
        "/api/v1/accounts/verify", json={"email": "back.again@example.com", "code": code}
    )
    assert verified.status_code == 200, verified.text

    # An address nobody signed up with gets the same reply (issue 17, item 5: replies must not
    # enumerate accounts), and an email saying how to sign up instead of a code.
    unknown = api.client.post("/api/v1/accounts/sign-in", json={"email": "new@example.com"})
    assert unknown.status_code == 202, unknown.text
    assert unknown.json() == {"email": "new@example.com", "status": "code_sent"}
    assert "has not signed up" in api.app.mailer.messages(recipient="new@example.com")[0].body
    assert_error(api.client.post("/api/v1/accounts/sign-in", json={}), 422, "missing_field")


def test_window_events_follow_the_phase(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    response = api.client.get(f"/api/v1/windows/{WINDOW}/events?limit=1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    event, data = response.text.strip().split("\n")
    assert event == "event: status"
    assert json.loads(data.removeprefix("data: "))["open"] is True
    api.client.post(f"/api/v1/windows/{WINDOW}/close", headers=producer)
    closed = api.client.get(f"/api/v1/windows/{WINDOW}/events?limit=1").text
    assert json.loads(closed.strip().split("\n")[1].removeprefix("data: "))["phase"] == "closed"
    assert_error(api.client.get("/api/v1/windows/nope/events"), 404, "not_found")


def test_revealed_results_carry_the_chain_root(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    saved = api.ballot(api.voter(), {"robert": 4}, "root-1").json()
    api.client.post(f"/api/v1/windows/{WINDOW}/close", headers=producer)
    api.key_every_score(producer)
    api.client.post(f"/api/v1/nights/{WINDOW}/lock", headers=producer)
    computed = api.client.post(f"/api/v1/nights/{WINDOW}/results", headers=producer)
    assert computed.status_code == 200, computed.text
    before = api.client.get(f"/api/v1/nights/{WINDOW}/results", headers=producer).json()
    assert "chain" not in before  # not published before the reveal
    api.client.post(f"/api/v1/nights/{WINDOW}/reveal", headers=producer)
    public = api.client.get(f"/api/v1/nights/{WINDOW}/results").json()
    assert public["chain"] == {"root": saved["hash"], "entries": 1}


def test_withdrawing_all_votes_is_a_logged_ballot_that_exports_and_verifies(
    api: Api, tmp_path: Path
) -> None:
    producer = api.producer()
    api.open_night(producer)
    voter = api.voter("changed.mind@example.com")
    # Nothing saved yet: an all-zero ballot has nothing to withdraw and is refused.
    assert_error(api.ballot(voter, {"robert": 0}, "w-0"), 422, "invalid_input", "allocation")
    api.ballot(voter, {"robert": 4, "alix": 2}, "w-1")
    withdrawn = api.ballot(voter, {"robert": 0, "alix": 0}, "w-2")
    assert withdrawn.status_code == 200, withdrawn.text
    receipt = withdrawn.json()
    assert receipt["allocation"] == {}
    assert api.ballot(voter, {"robert": 0, "alix": 0}, "w-2").json() == receipt  # a retry
    assert _mine(api, voter) == receipt
    tally = api.client.get(f"/api/v1/windows/{WINDOW}/tallies", headers=producer).json()
    assert tally["couples"]["robert"]["web"] == 0
    assert tally["ballots"] == 2  # the withdrawal is a ballot of the log
    # Withdrawn twice is nothing to withdraw; voting again works, within the cap.
    assert_error(api.ballot(voter, {}, "w-3"), 422, "invalid_input", "allocation")
    assert_error(api.ballot(voter, {"robert": 11}, "w-4"), 409, "cap_exceeded")
    assert api.ballot(voter, {"hilaria": 10}, "w-5").status_code == 200
    api.ballot(voter, {"hilaria": 0}, "w-6")
    checked = api.client.get(f"/api/v1/receipts/{receipt['hash']}").json()
    assert checked["allocation"] == {}
    assert checked["superseded"] is True

    # The export writes each withdrawal as a row of 0 votes; the check recomputes the chain.
    api.client.post(f"/api/v1/windows/{WINDOW}/close", headers=producer)
    root = api.app.voting.chain_root(WINDOW)
    for fmt in ("csv", "parquet"):
        export_window(stored_log(api.app.engine), WINDOW, tmp_path / fmt, fmt=fmt)
        verified = verify_export(tmp_path / fmt)
        assert verified["root"] == root
        assert verified["entries"] == 4
    rows = (tmp_path / "csv" / "votes.csv").read_text().splitlines()
    assert sum(1 for row in rows if row.split(",")[6] == "0") == 2
    recounted = api.app.voting.recount(WINDOW).as_dict()["couples"]
    assert all(count["total"] == 0 for count in recounted.values())

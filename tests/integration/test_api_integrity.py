"""The integrity panel's API on both stores: a live report, producers' audited decisions, and
results that leave voided voters out while the vote log stays as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_support import WINDOW, Api, api, assert_error

from ballroom.adapters.interchange import write_vote_arrow
from ballroom.integrity.electorate import Campaign, Electorate, Scenario, generate
from ballroom.services.importing import import_file

__all__ = ["api"]  # the fixture, imported for pytest

REPORT = f"/api/v1/windows/{WINDOW}/integrity"
DECIDE = f"{REPORT}/decisions"


def _electorate(api: Api, tmp_path: Path) -> Electorate:
    """Tonight open, and a generated night imported: real voters, an alias farm, a bot, and
    an all-but-one campaign against hilaria by real, distinct voters."""
    producer = api.producer()
    api.open_night(producer)
    electorate = generate(
        Scenario(
            voters=150,
            farms=1,
            farm_size=(6, 6),
            bots=1,
            bot_size=(30, 30),
            campaigns=(Campaign("hilaria", 0.1),),
            seed=7,
        )
    )
    path = tmp_path / "night.csv"
    write_vote_arrow(path, electorate.table)
    outcomes = import_file(api.app.voting, path)
    assert {o.status for o in outcomes} == {"accepted"}
    return electorate


def _producer(api: Api) -> dict[str, str]:
    return api.login("boss")


def _votes(result: dict[str, Any]) -> dict[str, int]:
    return {s["couple"]: s["votes"] for s in result["standings"]}


def test_report_flags_abuse_and_reports_the_campaign(api: Api, tmp_path: Path) -> None:
    electorate = _electorate(api, tmp_path)
    producer = _producer(api)
    response = api.client.get(REPORT, headers=producer)
    assert response.status_code == 200, response.text
    body = response.json()
    truth = electorate.truth
    assert set(body["flagged_voters"]) == set(truth.abusive)
    assert not set(body["flagged_voters"]) & truth.tactical
    assert {f["voter"] for f in body["flagged"]} == set(truth.abusive)
    assert all(f["evidence"] and f["votes"] > 0 for f in body["flagged"])
    (campaign,) = body["campaigns"]
    assert campaign["target"] == "hilaria"
    assert campaign["flagged_voters"] == 0
    assert campaign["voters"] == len(truth.tactical)
    assert {c["kind"] for c in body["clusters"]} >= {"multi-account", "bot"}
    counterfactual = body["counterfactual"]
    assert set(counterfactual) >= {"eliminated", "eliminated_without_flagged", "margin", "changes"}
    assert counterfactual["flagged_votes"] == sum(f["votes"] for f in body["flagged"])
    assert body["decisions"] == []
    assert body["window"] == WINDOW


def test_void_is_audited_and_leaves_the_results(api: Api, tmp_path: Path) -> None:
    electorate = _electorate(api, tmp_path)
    producer = _producer(api)
    body = api.client.get(REPORT, headers=producer).json()
    target = max(body["flagged"], key=lambda f: f["votes"])
    api.client.post(f"/api/v1/windows/{WINDOW}/close", headers=producer)
    api.key_every_score(producer)
    api.client.post(f"/api/v1/nights/{WINDOW}/lock", headers=producer)
    compute = f"/api/v1/nights/{WINDOW}/results"
    before = _votes(api.client.post(compute, headers=producer).json())
    tallies_before = api.client.get(f"/api/v1/windows/{WINDOW}/tallies").json()

    response = api.client.post(
        DECIDE,
        json={"voter": target["voter"], "action": "void", "reason": "one of six aliases"},
        headers=producer,
    )
    assert response.status_code == 200, response.text
    decision = response.json()
    assert decision["voter"] == target["voter"]
    assert decision["action"] == "void"
    assert decision["actor"] == "boss"
    assert decision["evidence"] == target["evidence"]

    review = api.client.get(REPORT, headers=producer).json()
    assert review["voided"] == [target["voter"]]
    assert review["results"]["stale"] is True
    assert review["decisions"][0]["id"] == decision["id"]

    after = api.client.post(compute, headers=producer).json()
    votes = _votes(after)
    assert {c: before[c] - votes[c] for c in before if before[c] != votes[c]} == target[
        "allocation"
    ]
    assert after["voided"] == {"voters": 1, "votes": target["allocation"]}
    # The log is the truth and stays whole: the public tallies still count every vote.
    assert api.client.get(f"/api/v1/windows/{WINDOW}/tallies").json() == tallies_before
    assert api.app.voting.verify_log(WINDOW) is None

    entries = api.client.get("/api/v1/audit", headers=producer).json()["entries"]
    void = next(e for e in entries if e["action"] == "integrity_void")
    assert void["actor"] == "boss"
    assert void["role"] == "producer"
    assert void["target"] == WINDOW
    assert void["detail"]["voter"] == target["voter"]
    assert void["detail"]["reason"] == "one of six aliases"
    assert void["at"]
    assert len(electorate.truth.abusive) == len(review["flagged"])


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"voter": "FLAGGED", "action": "delete", "reason": "x"}, 422, "invalid_input", "action"),
        ({"voter": "FLAGGED", "action": "void"}, 422, "missing_field", "reason"),
        ({"voter": "FLAGGED", "action": "void", "reason": " "}, 422, "missing_field", "reason"),
        ({"voter": "nobody-here", "action": "void", "reason": "x"}, 404, "not_found", "voter"),
        ({"voter": "TACTICAL", "action": "void", "reason": "x"}, 409, "conflict", "voter"),
        ({"voter": "FLAGGED", "action": "void", "reason": 5}, 422, "wrong_type", "reason"),
    ],
)
def test_bad_decisions_are_refused_with_codes(
    api: Api,
    tmp_path: Path,
    payload: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    electorate = _electorate(api, tmp_path)
    producer = _producer(api)
    stand_ins = {
        "FLAGGED": sorted(electorate.truth.abusive)[0],
        "TACTICAL": sorted(electorate.truth.tactical)[0],
    }
    body = {k: stand_ins.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    assert_error(api.client.post(DECIDE, json=body, headers=producer), status, code, field)
    assert api.client.get(REPORT, headers=producer).json()["decisions"] == []
    entries = api.client.get("/api/v1/audit", headers=producer).json()["entries"]
    assert not [e for e in entries if e["action"].startswith("integrity")]


def test_only_producers_and_known_windows(api: Api, tmp_path: Path) -> None:
    electorate = _electorate(api, tmp_path)
    producer = _producer(api)
    voter = sorted(electorate.truth.abusive)[0]
    decision = {"voter": voter, "action": "void", "reason": "alias"}
    assert_error(api.client.get(REPORT), 401, "invalid_token")
    assert_error(api.client.post(DECIDE, json=decision), 401, "invalid_token")
    judge = api.judge("derek", "derek")
    assert_error(api.client.get(REPORT, headers=judge), 403, "forbidden")
    assert_error(api.client.post(DECIDE, json=decision, headers=judge), 403, "forbidden")
    unknown = "/api/v1/windows/s34w99/integrity"
    assert_error(api.client.get(unknown, headers=producer), 404, "not_found", "window")
    assert_error(
        api.client.post(f"{unknown}/decisions", json=decision, headers=producer),
        404,
        "not_found",
        "window",
    )

"""Locking a night with missing scores (issue 17, item 10).

Before: locking with 32 of 33 scores missing answered 200, and the night was then computed
with zeros. Now a lock with missing scores is a 409 ``scores_incomplete`` naming them, unless
every missing score belongs to a judge the producer declares absent, each with a reason; the
declarations are stored with the lock, audited, and the results leave those judges out.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_support import WINDOW, Api, api, assert_error

__all__ = ["api"]  # the fixture, imported for pytest

SCORES = f"/api/v1/nights/{WINDOW}/scores"
LOCK = f"/api/v1/nights/{WINDOW}/lock"


@pytest.fixture
def producer(api: Api) -> dict[str, str]:
    headers = api.producer()
    api.open_night(headers)
    return headers


def _holes(api: Api, producer: dict[str, str]) -> list[dict[str, str]]:
    sheet = api.client.get(SCORES, headers=producer).json()
    holes: list[dict[str, str]] = sheet["missing"]
    return holes


def _key(
    api: Api, holes: list[dict[str, str]], skip: str | None = None, *, desk: str = "desk"
) -> None:
    desks: dict[str, dict[str, str]] = {}
    for hole in holes:
        if hole["judge"] == skip:
            continue
        if hole["judge"] not in desks:
            desks[hole["judge"]] = api.judge(f"{hole['judge']}-{desk}", judge=hole["judge"])
        body = {"couple": hole["couple"], "round": hole["round"], "score": 8}
        response = api.client.put(SCORES, json=body, headers=desks[hole["judge"]])
        assert response.status_code == 200, response.text


def _lock_entries(api: Api, producer: dict[str, str]) -> list[dict[str, Any]]:
    entries = api.client.get("/api/v1/audit", headers=producer).json()["entries"]
    return [e for e in entries if e["action"] == "lock_scores"]


def test_a_night_with_missing_scores_is_not_locked(api: Api, producer: dict[str, str]) -> None:
    holes = _holes(api, producer)
    first = holes[0]
    _key(api, [first])  # one score of 33 keyed
    response = api.client.post(LOCK, headers=producer)
    assert_error(response, 409, "scores_incomplete", "scores")
    assert f"{len(holes) - 1} score(s) still missing" in response.json()["message"]
    assert api.client.get(SCORES, headers=producer).json()["locked"] is False
    assert _lock_entries(api, producer) == []
    # A judge may still key: nothing was locked.
    _key(api, holes[1:], desk="later")
    assert api.client.post(LOCK, headers=producer).status_code == 200


def test_missing_scores_of_a_judge_declared_absent_with_a_reason_lock(
    api: Api, producer: dict[str, str]
) -> None:
    holes = _holes(api, producer)
    _key(api, holes, skip="bruno")
    reason = "Bruno was taken ill before the show"
    unexplained = api.client.post(
        LOCK, json={"absent": [{"judge": "bruno", "reason": "  "}]}, headers=producer
    )
    assert_error(unexplained, 422, "invalid_input", "absent.0.reason")
    stranger = api.client.post(
        LOCK, json={"absent": [{"judge": "len", "reason": reason}]}, headers=producer
    )
    assert_error(stranger, 422, "unknown_judge", "absent.0.judge")
    present = api.client.post(
        LOCK,
        json={"absent": [{"judge": "bruno", "reason": reason}, {"judge": "derek", "reason": "x"}]},
        headers=producer,
    )
    assert_error(present, 422, "invalid_input", "absent.1.judge")
    assert _lock_entries(api, producer) == []

    locked = api.client.post(
        LOCK, json={"absent": [{"judge": "bruno", "reason": reason}]}, headers=producer
    )
    assert locked.status_code == 200, locked.text
    assert locked.json()["absent"] == [{"judge": "bruno", "reason": reason}]
    (entry,) = _lock_entries(api, producer)
    assert entry["detail"]["absent"] == {"bruno": reason}
    assert entry["detail"]["missing"] == sum(1 for h in holes if h["judge"] == "bruno")

    api.client.post(f"/api/v1/windows/{WINDOW}/close", headers=producer)
    result = api.client.post(f"/api/v1/nights/{WINDOW}/results", headers=producer)
    assert result.status_code == 200, result.text

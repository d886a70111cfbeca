"""Nights, judges' scores, locks, results and the audit log over HTTP, on both stores."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from api_support import WINDOW, Api, api, assert_error

from ballroom.api import watch

__all__ = ["api"]  # the fixture, imported for pytest

SCORES = f"/api/v1/nights/{WINDOW}/scores"


def _night(api: Api) -> dict[str, object]:
    response = api.client.get("/api/v1/nights/current")
    assert response.status_code == 200, response.text
    night: dict[str, object] = response.json()
    return night


def _couples(api: Api) -> list[str]:
    return [c["id"] for c in _night(api)["couples"]]  # type: ignore[attr-defined, index]


def test_no_current_night_until_prepared(api: Api) -> None:
    assert_error(api.client.get("/api/v1/nights/current"), 404, "not_found")
    producer = api.producer()
    prepared = api.client.post(f"/api/v1/nights/{WINDOW}/current", headers=producer).json()
    assert prepared["theme"] == "Disney Night"
    assert prepared["current"] is True
    assert "hilaria" in _couples(api)
    assert_error(
        api.client.post("/api/v1/nights/s34w99/current", headers=producer), 404, "not_found"
    )
    judge = api.judge("derek")
    response = api.client.post(f"/api/v1/nights/{WINDOW}/current", headers=judge)
    assert_error(response, 403, "forbidden")


def test_judge_keys_own_scores_corrects_with_reason_until_lock(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    derek = api.judge("derek")
    keyed = api.client.put(SCORES, json={"couple": "hilaria", "score": 7}, headers=derek)
    assert keyed.status_code == 200, keyed.text
    assert keyed.json() == {
        "window": WINDOW,
        "judge": "derek",
        "couple": "hilaria",
        "round": "Dance",
        "score": 7.0,
        "corrected": False,
    }
    twice = api.client.put(SCORES, json={"couple": "hilaria", "score": 8}, headers=derek)
    assert_error(twice, 422, "duplicate_score")
    fixed = api.client.put(
        SCORES,
        json={"couple": "hilaria", "score": 8, "reason": "keyed the wrong paddle"},
        headers=derek,
    )
    assert fixed.json()["corrected"] is True

    sheet = api.client.get(SCORES, headers=producer).json()
    assert {"judge": "derek", "couple": "hilaria", "round": "Dance", "score": 8.0} in (
        sheet["scores"]
    )

    # A sheet with holes does not lock (issue 17, item 10); once every score is keyed it does.
    holes = api.client.post(f"/api/v1/nights/{WINDOW}/lock", headers=producer)
    assert_error(holes, 409, "scores_incomplete", "scores")
    api.key_every_score(producer)
    assert api.client.post(f"/api/v1/nights/{WINDOW}/lock", headers=producer).status_code == 200
    late = api.client.put(SCORES, json={"couple": "robert", "score": 9}, headers=derek)
    assert_error(late, 409, "score_locked")
    late_fix = api.client.put(
        SCORES, json={"couple": "hilaria", "score": 9, "reason": "too late"}, headers=derek
    )
    assert_error(late_fix, 409, "score_locked")
    again = api.client.post(f"/api/v1/nights/{WINDOW}/lock", headers=producer)
    assert_error(again, 409, "score_locked")

    actions = [
        e["action"] for e in api.client.get("/api/v1/audit", headers=producer).json()["entries"]
    ]
    # Newest first: the lock, the other judges' keys, Derek's correction, his key, the open.
    assert actions[0] == "lock_scores"
    assert actions[-4:] == ["correct_score", "key_score", "open_window", "prepare_night"]


def test_bad_scores_are_refused(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    derek = api.judge("derek")
    for body, status, code in (
        ({"couple": "hilaria", "score": 11}, 422, "score_out_of_range"),
        ({"couple": "hilaria", "score": 0}, 422, "score_out_of_range"),
        ({"couple": "hilaria", "score": 7.5}, 422, "score_out_of_range"),
        ({"couple": "hilaria", "score": "7"}, 422, "wrong_type"),
        ({"couple": "corey", "score": 7}, 422, "unknown_couple"),  # eliminated in week 2
        ({"couple": "hilaria", "round": "Freestyle", "score": 7}, 422, "invalid_input"),
        ({"couple": "hilaria", "score": 7, "judge": "bruno"}, 422, "wrong_type"),
    ):
        assert_error(api.client.put(SCORES, json=body, headers=derek), status, code)
    assert api.client.get(SCORES, headers=producer).json()["scores"] == []


def test_only_judges_of_tonights_panel_key_scores(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    guest = api.judge("kym")  # a guest judge of week 5, not on Disney Night's panel
    assert_error(
        api.client.put(SCORES, json={"couple": "robert", "score": 8}, headers=guest),
        403,
        "forbidden",
        "judge",
    )
    voter = api.voter()
    assert_error(
        api.client.put(SCORES, json={"couple": "robert", "score": 8}, headers=voter),
        403,
        "forbidden",
    )
    assert_error(
        api.client.put(SCORES, json={"couple": "robert", "score": 8}, headers=producer),
        403,
        "forbidden",
    )
    # Another night than tonight's.
    api.client.post("/api/v1/nights/s34w03/current", headers=producer)
    derek = api.judge("derek")
    assert_error(
        api.client.put(SCORES, json={"couple": "robert", "score": 8}, headers=derek),
        403,
        "forbidden",
        "window",
    )


def test_results_need_closed_window_and_lock_then_reveal(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    judges = {name: api.judge(name) for name in ("carrie-ann", "derek", "bruno")}
    couples = _couples(api)
    for rank, couple in enumerate(couples):
        for headers in judges.values():
            score = 10 - rank % 9
            response = api.client.put(
                SCORES, json={"couple": couple, "score": score}, headers=headers
            )
            assert response.status_code == 200, response.text
    fans = [api.voter(f"fan{i}@example.com") for i in range(3)]
    for i, fan in enumerate(fans):
        assert (
            api.ballot(fan, {c: 10 for c in couples if c != "hilaria"}, f"f{i}").status_code == 200
        )

    compute = f"/api/v1/nights/{WINDOW}/results"
    assert_error(api.client.post(compute, headers=producer), 409, "conflict", "window")
    api.client.post(f"/api/v1/windows/{WINDOW}/close", headers=producer)
    assert_error(api.client.post(compute, headers=producer), 409, "conflict", "window")
    api.client.post(f"/api/v1/nights/{WINDOW}/lock", headers=producer)
    assert_error(
        api.client.post(f"/api/v1/nights/{WINDOW}/reveal", headers=producer), 409, "conflict"
    )
    result = api.client.post(compute, headers=producer)
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["rules"] == "dwts"
    assert body["eliminated"] == ["hilaria"]  # no votes, middling scores: the campaign works
    assert body["explanation"]
    assert {s["couple"] for s in body["standings"]} == set(couples)
    votes = {s["couple"]: s["votes"] for s in body["standings"]}
    assert votes["hilaria"] == 0
    assert votes["robert"] == 30

    assert_error(api.client.get(compute), 404, "not_found")  # not revealed yet
    assert api.client.get(compute, headers=producer).json()["revealed"] is False
    assert api.client.post(f"/api/v1/nights/{WINDOW}/reveal", headers=producer).status_code == 200
    public = api.client.get(compute)
    assert public.status_code == 200
    assert public.json()["eliminated"] == ["hilaria"]
    nights = api.client.get("/api/v1/nights").json()["nights"]
    assert [n["window"] for n in nights if n["revealed"]] == [WINDOW]


def test_pages_docs_and_health_are_served_locally(api: Api) -> None:
    for page in ("/vote", "/judge", "/control", "/results", "/docs"):
        response = api.client.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        # Nothing may load from another host: every script and stylesheet is ours.
        assert "http://" not in response.text
        assert "https://" not in response.text
    assert api.client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    schema = api.client.get("/openapi.json").json()
    assert "/api/v1/windows/{window}/ballots" in schema["paths"]
    assert api.client.get("/healthz").json() == {"status": "ok"}


def test_results_refuse_a_sheet_with_a_missing_score(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    api.client.post(f"/api/v1/windows/{WINDOW}/close", headers=producer)
    holes = api.client.get(f"/api/v1/nights/{WINDOW}/scores", headers=producer).json()["missing"]
    skipped = next(hole for hole in holes if hole["judge"] == "bruno")
    judges: dict[str, dict[str, str]] = {}
    for hole in holes:
        if hole == skipped:
            continue  # every score keyed but one of Bruno's
        if hole["judge"] not in judges:
            judges[hole["judge"]] = api.judge(f"{hole['judge']}-desk", judge=hole["judge"])
        body = {"couple": hole["couple"], "round": hole["round"], "score": 8}
        response = api.client.put(SCORES, json=body, headers=judges[hole["judge"]])
        assert response.status_code == 200, response.text
    # The sheet does not even lock with the hole (issue 17, item 10), so nothing is computed.
    response = api.client.post(f"/api/v1/nights/{WINDOW}/lock", headers=producer)
    assert_error(response, 409, "scores_incomplete", "scores")
    assert f"{skipped['couple']} in {skipped['round']} from bruno" in response.json()["message"]
    response = api.client.post(f"/api/v1/nights/{WINDOW}/results", headers=producer)
    assert_error(response, 409, "conflict", "window")
    assert api.client.get(f"/api/v1/nights/{WINDOW}/results", headers=producer).status_code == 404


def _events(stream_text: str) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a server-sent event stream's text."""
    out = []
    for block in stream_text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        if "event" in lines:
            out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_the_score_sheet_streams_to_staff_as_judges_key(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch, "LOOK_EVERY_S", 0.05)
    producer = api.producer()
    api.open_night(producer)
    derek = api.judge("derek")
    first = api.client.get(f"{SCORES}/stream?limit=1", headers=derek)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("text/event-stream")
    assert _events(first.text) == [("scores", api.client.get(SCORES, headers=producer).json())]

    followed: list[str] = []
    control_room = threading.Thread(
        target=lambda: followed.append(
            api.client.get(f"{SCORES}/stream?limit=2", headers=producer).text
        )
    )
    control_room.start()
    # Keyed while the stream is open; should the stream's first sheet already hold it, the
    # second score is the change it waits for.
    api.client.put(SCORES, json={"couple": "hilaria", "score": 7}, headers=derek)
    control_room.join(3)
    if control_room.is_alive():
        api.client.put(SCORES, json={"couple": "robert", "score": 8}, headers=derek)
        control_room.join(10)
    assert not control_room.is_alive()
    (name, sheet), *_ = reversed(_events(followed[0]))
    assert name == "scores"
    assert {"judge": "derek", "couple": "hilaria", "round": "Dance", "score": 7.0} in sheet[
        "scores"
    ]
    assert_error(api.client.get(f"{SCORES}/stream?limit=1", headers=api.voter()), 403, "forbidden")
    assert_error(api.client.get(f"{SCORES}/stream?limit=1"), 401, "invalid_token")

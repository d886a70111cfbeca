"""Windows, web ballots, SMS batches, receipts and live tallies over HTTP, on both stores."""

from __future__ import annotations

import json
from datetime import timedelta

from api_support import START, WINDOW, Api, api, assert_error

__all__ = ["api"]  # the fixture, imported for pytest


def _tally(api: Api, producer: dict[str, str]) -> dict[str, dict[str, int]]:
    response = api.client.get(f"/api/v1/windows/{WINDOW}/tallies", headers=producer)
    assert response.status_code == 200, response.text
    couples: dict[str, dict[str, int]] = response.json()["couples"]
    return couples


def test_ballot_receipt_replace_and_idempotent_retry(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    voter = api.voter("fan@example.com")

    first = api.ballot(voter, {"robert": 10, "alix": 3, "hilaria": 0}, "key-1")
    assert first.status_code == 200, first.text
    receipt = first.json()
    assert receipt["allocation"] == {"alix": 3, "robert": 10}
    assert len(receipt["hash"]) == 64

    retry = api.ballot(voter, {"robert": 10, "alix": 3, "hilaria": 0}, "key-1")
    assert retry.json() == receipt  # the first answer, nothing counted twice
    assert _tally(api, producer)["robert"]["web"] == 10

    # A later save replaces the earlier ballot.
    second = api.ballot(voter, {"hilaria": 10}, "key-2")
    assert second.status_code == 200
    tally = _tally(api, producer)
    assert (tally["robert"]["web"], tally["hilaria"]["web"]) == (0, 10)

    checked = api.client.get(f"/api/v1/receipts/{receipt['hash']}")
    assert checked.status_code == 200
    assert checked.json()["ok"] is True
    assert checked.json()["allocation"] == receipt["allocation"]


def test_bad_ballots_are_4xx_and_change_nothing(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    voter = api.voter()
    assert api.ballot(voter, {"robert": 5}, "base").status_code == 200

    assert_error(api.ballot(voter, {"robert": 11}, "k1"), 409, "cap_exceeded", "allocation.robert")
    assert_error(api.ballot(voter, {"nobody": 1}, "k2"), 422, "unknown_couple")
    assert_error(api.ballot(voter, {"robert": -1}, "k3"), 422, "invalid_input")
    assert_error(api.ballot(voter, {"robert": "5"}, "k4"), 422, "wrong_type", "allocation.robert")
    assert_error(api.ballot(voter, {"robert": 2.5}, "k5"), 422, "wrong_type")
    # Without saved votes an empty ballot withdraws nothing (a voter's own: tests/integration/
    # test_api_viewer.py).
    newcomer = api.voter("newcomer@example.com")
    assert_error(api.ballot(newcomer, {}, "k6"), 422, "invalid_input")
    # The key is reused with another body: refused, not silently answered.
    assert_error(api.ballot(voter, {"robert": 4}, "base"), 409, "idempotency_mismatch")
    no_key = api.client.post(
        f"/api/v1/windows/{WINDOW}/ballots", json={"allocation": {"robert": 1}}, headers=voter
    )
    assert_error(no_key, 422, "missing_field", "Idempotency-Key")
    not_json = api.client.post(
        f"/api/v1/windows/{WINDOW}/ballots",
        content=b"{allocation",
        headers={**voter, "Idempotency-Key": "k7", "Content-Type": "application/json"},
    )
    assert_error(not_json, 400, "malformed_document")
    wrong_shape = api.client.post(
        f"/api/v1/windows/{WINDOW}/ballots",
        json=[1, 2],
        headers={**voter, "Idempotency-Key": "k8"},
    )
    assert wrong_shape.status_code == 422
    assert_error(api.ballot(voter, {"robert": 1}, "k9", window="s34w99"), 404, "not_found")
    assert _tally(api, producer)["robert"]["web"] == 5


def test_oversized_bodies_are_413(api: Api) -> None:
    voter = api.voter()
    big = json.dumps({"allocation": {f"c{i}": 1 for i in range(200_000)}}).encode()
    assert len(big) > api.app.settings.body_limit_bytes
    response = api.client.post(
        f"/api/v1/windows/{WINDOW}/ballots",
        content=big,
        headers={**voter, "Idempotency-Key": "big", "Content-Type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")

    def chunks() -> object:
        for _ in range(40):
            yield b" " * 65536

    streamed = api.client.post(
        f"/api/v1/windows/{WINDOW}/ballots",
        content=chunks(),  # type: ignore[arg-type]
        headers={**voter, "Idempotency-Key": "big2", "Content-Type": "application/json"},
    )
    assert_error(streamed, 413, "payload_too_large")


def test_closed_and_pending_windows_refuse_ballots(api: Api) -> None:
    producer = api.producer()
    api.client.post(f"/api/v1/nights/{WINDOW}/current", headers=producer)
    voter = api.voter()
    assert_error(api.ballot(voter, {"robert": 1}, "early"), 409, "window_closed")
    api.client.post(f"/api/v1/windows/{WINDOW}/open", headers=producer)
    assert api.ballot(voter, {"robert": 1}, "during").status_code == 200
    closed = api.client.post(f"/api/v1/windows/{WINDOW}/close", headers=producer)
    assert closed.json()["phase"] == "closed"
    assert_error(api.ballot(voter, {"robert": 2}, "late"), 409, "window_closed")
    assert_error(
        api.client.post(f"/api/v1/windows/{WINDOW}/open", headers=producer), 409, "conflict"
    )


def test_scheduled_window_follows_the_server_clock(api: Api) -> None:
    producer = api.producer()
    api.client.post(f"/api/v1/nights/{WINDOW}/current", headers=producer)
    opens, closes = START + timedelta(minutes=10), START + timedelta(hours=2)
    response = api.client.post(
        f"/api/v1/windows/{WINDOW}/schedule",
        json={"opens_at": opens.isoformat(), "closes_at": closes.isoformat()},
        headers=producer,
    )
    assert response.status_code == 200, response.text
    assert response.json()["phase"] == "scheduled"
    voter = api.voter()
    assert_error(api.ballot(voter, {"robert": 1}, "a"), 409, "window_closed")
    api.clock.advance(minutes=10)
    assert api.client.get(f"/api/v1/windows/{WINDOW}").json()["open"] is True
    assert api.ballot(voter, {"robert": 1}, "b").status_code == 200
    api.clock.advance(hours=2)
    assert_error(api.ballot(voter, {"robert": 2}, "c"), 409, "window_closed")
    naive = api.client.post(
        f"/api/v1/windows/{WINDOW}/schedule",
        json={"opens_at": "2025-10-08T00:00:00", "closes_at": "2025-10-08T02:00:00"},
        headers=producer,
    )
    assert naive.status_code == 422


def test_only_producers_run_windows_and_read_tallies(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    voter = api.voter()
    judge = api.judge("derek")
    for headers in (voter, judge):
        response = api.client.post(f"/api/v1/windows/{WINDOW}/close", headers=headers)
        assert_error(response, 403, "forbidden")
        response = api.client.get(f"/api/v1/windows/{WINDOW}/tallies", headers=headers)
        assert_error(response, 403, "forbidden")
    assert_error(api.client.post(f"/api/v1/windows/{WINDOW}/close"), 401, "invalid_token")
    # Staff cannot vote: a ballot needs a verified voter.
    assert_error(api.ballot(producer, {"robert": 1}, "staff"), 403, "unverified_voter")


def test_sms_batch_outcomes_caps_and_retry(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    texts = [
        {"id": f"SM-{n}", "from": "+1 555 010 0001", "to": "21523", "body": " hilaria!! "}
        for n in range(11)
    ]
    texts = [*texts, {"id": "SM-who", "from": "+15550100002", "to": "21523", "body": "who?"}]
    response = api.sms(texts, "batch-1")
    assert response.status_code == 200, response.text
    outcomes = response.json()["outcomes"]
    assert [o["accepted"] for o in outcomes] == [True] * 10 + [False, False]
    assert outcomes[10]["reason"] == "cap_exceeded"
    assert outcomes[11]["reason"] == "unknown_keyword"
    assert all(o["reply"] for o in outcomes)
    again = api.sms(texts, "batch-1")

    # A retry answers exactly the first answer: receipts, refusals with their couples, replies.
    assert again.status_code == 200, again.text
    assert again.json() == response.json()
    assert _tally(api, producer)["hilaria"]["sms"] == 10

    bad = api.sms(
        [{"id": "SM-x", "from": 15550100001, "to": "21523", "body": "HILARIA"}], "batch-2"
    )
    assert_error(bad, 422, "wrong_type")
    no_key = api.sms(texts, None)
    assert_error(no_key, 422, "missing_field", "Idempotency-Key")


def test_window_status_is_public(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    status = api.client.get(f"/api/v1/windows/{WINDOW}").json()
    assert status["open"] is True
    assert status["couples"]["hilaria"] == "HILARIA"
    assert status["cap"] == 10
    assert_error(api.client.get("/api/v1/windows/nope"), 404, "not_found")


def test_tally_stream_sends_server_sent_events(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    voter = api.voter()
    api.ballot(voter, {"jordan": 7}, "sse")
    response = api.client.get(f"/api/v1/windows/{WINDOW}/tallies/stream?limit=1", headers=producer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    event, data = response.text.strip().split("\n")
    assert event == "event: tally"
    assert json.loads(data.removeprefix("data: "))["couples"]["jordan"]["web"] == 7


def test_unknown_receipt_and_routes(api: Api) -> None:
    assert_error(api.client.get("/api/v1/receipts/" + "0" * 64), 404, "not_found")
    assert_error(api.client.get("/api/v1/receipts/xyz"), 422, "invalid_input", "hash")
    assert_error(api.client.get("/api/v1/nowhere"), 404, "not_found")
    assert_error(api.client.delete("/api/v1/nights"), 405, "method_not_allowed")

"""The ballot fast path answers exactly as the FastAPI route does, on both stores.

The first request with a fresh token goes through the route (the token is not cached yet);
the same request again, with the token now cached, goes through ``BallotFastPath``. Both
answers must agree: status, error code and field, and for a receipt its shape.
"""

from __future__ import annotations

from typing import Any

from api_support import WINDOW, Api, api

__all__ = ["api"]  # the fixture, imported for pytest

BALLOTS = f"/api/v1/windows/{WINDOW}/ballots"


def _fresh_voter(api: Api, n: int) -> tuple[str, dict[str, str]]:
    headers = api.voter(f"fast{n}@example.com")
    return headers["Authorization"].split(" ", 1)[1], headers


def _answer(response: Any) -> tuple[int, Any]:
    body = response.json()
    if response.status_code == 200:
        return 200, (sorted(body), body["allocation"], body["window"], body["channel"])
    return response.status_code, (body["code"], body.get("field"))


def _both_paths(api: Api, n: int, **request: Any) -> tuple[tuple[int, Any], tuple[int, Any]]:
    token, voter = _fresh_voter(api, n)
    headers = {**voter, **request.pop("headers", {})}
    window = request.pop("window", WINDOW)
    url = f"/api/v1/windows/{window}/ballots"
    assert api.app.accounts.cached_principal(token) is None
    by_route = api.client.post(url, headers={**headers, "Idempotency-Key": f"r{n}"}, **request)
    assert api.client.get("/api/v1/me", headers=voter).status_code == 200  # caches the token
    assert api.app.accounts.cached_principal(token) is not None  # so the next one is fast
    fast = api.client.post(url, headers={**headers, "Idempotency-Key": f"f{n}"}, **request)
    return _answer(by_route), _answer(fast)


def test_fast_path_answers_as_the_route(api: Api) -> None:
    api.open_night(api.producer())
    cases: list[dict[str, Any]] = [
        {"json": {"allocation": {"robert": 10, "alix": 3, "hilaria": 0}}},
        {"json": {"allocation": {"robert": 11}}},
        {"json": {"allocation": {"nobody": 1}}},
        {"json": {"allocation": {"robert": -1}}},
        {"json": {"allocation": {"robert": True}}},
        {"json": {"allocation": {"robert": 2.0}}},
        {"json": {"allocation": {"robert": "5"}}},
        {"json": {"allocation": {}}},
        {"json": {"allocation": {"robert": 1}, "extra": 1}},
        {"json": [1, 2]},
        {"json": {"allocation": {"robert": 1}}, "window": "s34w99"},
        {"content": b"{allocation", "headers": {"Content-Type": "application/json"}},
        {"content": b'{"allocation": {"robert": 1}}', "headers": {"Content-Type": "text/plain"}},
    ]
    answers = [_both_paths(api, n, **case) for n, case in enumerate(cases)]
    for case, (by_route, fast) in zip(cases, answers, strict=True):
        assert fast == by_route, case
    assert answers[0][0][0] == 200
    assert {status for (status, _), _ in answers[1:]} <= {400, 404, 409, 415, 422}


def test_fast_path_keeps_idempotency_and_the_key_rules(api: Api) -> None:
    api.open_night(api.producer())
    token, voter = _fresh_voter(api, 0)
    first = api.ballot(voter, {"robert": 4}, "same")  # by the route: caches the token
    assert api.app.accounts.cached_principal(token) is not None
    again = api.ballot(voter, {"robert": 4}, "same")  # fast path
    assert again.json() == first.json()
    other = api.ballot(voter, {"robert": 5}, "same")
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_mismatch")
    too_long = api.ballot(voter, {"robert": 1}, "k" * 201)  # the route's header limit
    assert (too_long.status_code, too_long.json()["code"]) == (422, "wrong_type")


def test_fast_path_refuses_a_token_logged_out_at_once(api: Api) -> None:
    api.open_night(api.producer())
    token, voter = _fresh_voter(api, 0)
    assert api.ballot(voter, {"robert": 1}, "a").status_code == 200
    assert api.app.accounts.cached_principal(token) is not None
    assert api.client.delete("/api/v1/sessions/current", headers=voter).status_code == 204
    refused = api.ballot(voter, {"robert": 2}, "b")
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_token")


def test_oversized_body_is_413_on_the_fast_path(api: Api) -> None:
    api.open_night(api.producer())
    _, voter = _fresh_voter(api, 0)
    assert api.ballot(voter, {"robert": 1}, "a").status_code == 200  # token now cached
    limit = api.app.settings.body_limit_bytes

    def chunks() -> Any:
        yield b'{"allocation": {"robert": 1}, "pad": "'
        yield b"x" * limit
        yield b'"}'

    response = api.client.post(
        BALLOTS,
        content=chunks(),
        headers={**voter, "Idempotency-Key": "big", "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")

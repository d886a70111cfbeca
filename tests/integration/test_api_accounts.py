"""Accounts over HTTP on SQLite and PostgreSQL: sign-up, codes, sessions, staff logins."""

from __future__ import annotations

from api_support import PASSWORD, Api, api, assert_error

from ballroom.adapters.db.schema_accounts import voters

__all__ = ["api"]  # the fixture, imported for pytest


def _sign_up(api: Api, email: str, age: object = 30, region: object = "US") -> object:
    return api.client.post("/api/v1/accounts", json={"email": email, "age": age, "region": region})


def _voter_rows(api: Api) -> int:
    with api.app.engine.connect() as connection:
        return len(connection.execute(voters.select()).all())


def test_sign_up_verify_and_me(api: Api) -> None:
    response = _sign_up(api, "Fan.One+dwts@Gmail.com")
    assert response.status_code == 202
    assert response.json()["status"] == "code_sent"
    code = api.last_code("Fan.One+dwts@Gmail.com")
    verified = api.client.post(
        "/api/v1/accounts/verify", json={"email": "fanone@gmail.com", "code": code}
    )
    assert verified.status_code == 200
    session = verified.json()
    assert session["role"] == "voter"
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {session['token']}"})
    assert me.status_code == 200
    assert me.json()["verified"] is True


def test_aliases_share_one_account(api: Api) -> None:
    first = _sign_up(api, "jane.doe@gmail.com").json()
    second = _sign_up(api, "JaneDoe+alias@googlemail.com").json()
    # The reply does not say the address is known (issue 17, item 5); the store has one row.
    assert set(first) == set(second) == {"email", "status"}
    assert _voter_rows(api) == 1


def test_ineligible_voters_are_refused_and_nothing_is_stored(api: Api) -> None:
    assert_error(_sign_up(api, "kid@example.com", age=17), 422, "ineligible_voter", "age")
    assert_error(_sign_up(api, "uk@example.com", region="GB"), 422, "ineligible_voter", "region")
    assert _voter_rows(api) == 0
    assert api.app.mailer.messages() == []


def test_bad_sign_up_fields_are_4xx_with_codes(api: Api) -> None:
    assert_error(_sign_up(api, "not-an-email"), 422, "wrong_type", "email")
    assert_error(_sign_up(api, "a@example.com", age="30"), 422, "wrong_type", "age")
    assert_error(_sign_up(api, "a@example.com", age=True), 422, "wrong_type", "age")
    response = api.client.post("/api/v1/accounts", json={"email": "a@example.com"})
    assert_error(response, 422, "missing_field", "age")
    response = api.client.post(
        "/api/v1/accounts",
        json={"email": "a@example.com", "age": 30, "region": "US", "admin": True},
    )
    assert_error(response, 422, "wrong_type", "admin")
    response = api.client.post(
        "/api/v1/accounts", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "malformed_document")
    assert _voter_rows(api) == 0


def test_wrong_codes_are_rate_limited(api: Api) -> None:
    _sign_up(api, "guess@example.com")
    right = api.last_code("guess@example.com")
    for _ in range(5):
        response = api.client.post(
            "/api/v1/accounts/verify", json={"email": "guess@example.com", "code": "000000"}
        )
        assert_error(response, 401, "invalid_code", "code")
    # Even the right code is refused once the attempts are spent.
    response = api.client.post(
        "/api/v1/accounts/verify", json={"email": "guess@example.com", "code": right}
    )
    assert_error(response, 429, "rate_limited", "code")


def test_a_code_is_single_use_and_expires(api: Api) -> None:
    _sign_up(api, "once@example.com")
    code = api.last_code("once@example.com")
    body = {"email": "once@example.com", "code": code}
    assert api.client.post("/api/v1/accounts/verify", json=body).status_code == 200
    assert_error(api.client.post("/api/v1/accounts/verify", json=body), 401, "invalid_code")
    _sign_up(api, "once@example.com")
    late = {"email": "once@example.com", "code": api.last_code("once@example.com")}
    api.clock.advance(minutes=16)
    assert_error(api.client.post("/api/v1/accounts/verify", json=late), 401, "invalid_code")


def test_codes_sent_per_hour_are_limited(api: Api) -> None:
    for _ in range(5):
        assert _sign_up(api, "spam@example.com").status_code == 202
    assert_error(_sign_up(api, "spam@example.com"), 429, "rate_limited", "email")
    api.clock.advance(hours=1, seconds=1)
    assert _sign_up(api, "spam@example.com").status_code == 202


def test_tokens_forged_revoked_and_expired(api: Api) -> None:
    producer = api.producer()
    assert api.client.get("/api/v1/me", headers=producer).status_code == 200
    token = producer["Authorization"].removeprefix("Bearer ")
    session_id, _, signature = token.partition(".")
    forged = {"Authorization": f"Bearer {session_id}.{signature[::-1]}"}
    assert_error(api.client.get("/api/v1/me", headers=forged), 401, "invalid_token")
    unknown = {"Authorization": "Bearer nothing"}
    assert_error(api.client.get("/api/v1/me", headers=unknown), 401, "invalid_token")
    assert_error(api.client.get("/api/v1/me"), 401, "invalid_token")
    response = api.client.get("/api/v1/me")
    assert response.headers["www-authenticate"] == "Bearer"

    api.clock.advance(hours=12, seconds=1)
    assert_error(api.client.get("/api/v1/me", headers=producer), 401, "token_expired")

    fresh = api.login("boss")
    assert api.client.delete("/api/v1/sessions/current", headers=fresh).status_code == 204
    assert_error(api.client.get("/api/v1/me", headers=fresh), 401, "invalid_token")


def test_staff_login_errors(api: Api) -> None:
    api.producer("boss")
    wrong = api.client.post("/api/v1/sessions", json={"name": "boss", "password": "nope-nope"})
    assert_error(wrong, 401, "invalid_credentials")
    nobody = api.client.post("/api/v1/sessions", json={"name": "ghost", "password": PASSWORD})
    assert_error(nobody, 401, "invalid_credentials")


def test_a_voter_token_is_not_a_producer(api: Api) -> None:
    voter = api.voter()
    assert_error(api.client.get("/api/v1/outbox", headers=voter), 403, "forbidden")
    assert_error(api.client.get("/api/v1/audit", headers=voter), 403, "forbidden")


def test_outbox_shows_codes_to_producers(api: Api) -> None:
    producer = api.producer()
    _sign_up(api, "mail@example.com")
    messages = api.client.get("/api/v1/outbox", headers=producer).json()["messages"]
    assert messages[0]["to"] == "mail@example.com"
    assert api.last_code("mail@example.com") in messages[0]["body"]

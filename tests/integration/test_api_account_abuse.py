"""What an attacker tried against accounts (issue 17, items 2, 5 and 6), over HTTP on both stores.

- Item 2: producer/judge logins had no attempt limit, and an unknown name cost two password
  hashes to a real name's one (a timing oracle for account names).
- Item 5: anyone could lock a voter out: five wrong codes from the attacker voided the victim's
  code, and sign-ups under ``+alias`` spellings spent the victim's hourly code limit; the sign-up
  reply's ``"new"`` told whether an address was registered.
- Item 6: concurrent sign-ups for one address sent more codes than the limit and answered 500.

Attackers come from their own address (a second test client with another peer address).
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from api_support import PASSWORD, Api, api, assert_error

from ballroom.services.accounts import CLIENT_CODES_PER_HOUR

__all__ = ["api"]  # the fixture, imported for pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

VICTIM = "victim@example.com"


@pytest.fixture
def attacker(api: Api) -> Iterator[TestClient]:
    """A client on another machine (peer address 203.0.113.66) of the same running app."""
    client = TestClient(api.client.app, client=("203.0.113.66", 40000))
    yield client
    client.close()


def _sign_up(client: Any, email: str) -> Any:
    return client.post("/api/v1/accounts", json={"email": email, "age": 30, "region": "US"})


def _verify(client: Any, email: str, code: str) -> Any:
    return client.post("/api/v1/accounts/verify", json={"email": email, "code": code})


def _login(client: Any, name: str, password: str) -> Any:
    return client.post("/api/v1/sessions", json={"name": name, "password": password})


# -- item 5: lockout and enumeration -------------------------------------------------------


def test_wrong_codes_from_an_attacker_do_not_void_the_victims_code(
    api: Api, attacker: TestClient
) -> None:
    assert _sign_up(api.client, VICTIM).status_code == 202
    code = api.last_code(VICTIM)
    for _ in range(8):
        response = _verify(attacker, VICTIM, "000000")
        assert response.status_code in (401, 429), response.text
    assert _verify(api.client, VICTIM, code).status_code == 200


def test_an_attackers_sign_ups_neither_void_the_victims_code_nor_spend_its_limit(
    api: Api, attacker: TestClient
) -> None:
    assert _sign_up(api.client, VICTIM).status_code == 202
    code = api.last_code(VICTIM)
    for n in range(8):
        _sign_up(attacker, f"victim+spam{n}@example.com")
    _sign_up(attacker, VICTIM)
    # The victim's emailed code still works, and the victim can still ask for new ones.
    assert _verify(api.client, VICTIM, code).status_code == 200
    for _ in range(4):
        assert _sign_up(api.client, VICTIM).status_code == 202


def test_the_sign_up_reply_is_the_same_for_new_and_known_addresses(api: Api) -> None:
    api.voter("known@example.com")
    known = _sign_up(api.client, "known@example.com")
    fresh = _sign_up(api.client, "fresh@example.com")
    assert known.status_code == fresh.status_code == 202
    assert set(known.json()) == set(fresh.json()) == {"email", "status"}
    assert known.json()["status"] == fresh.json()["status"] == "code_sent"


def test_one_client_still_cannot_guess_codes_or_mail_bomb(api: Api) -> None:
    _sign_up(api.client, "guess@example.com")
    for _ in range(5):
        assert_error(_verify(api.client, "guess@example.com", "000000"), 401, "invalid_code")
    right = api.last_code("guess@example.com")
    assert_error(_verify(api.client, "guess@example.com", right), 429, "rate_limited", "code")
    # One client signing up address after address is stopped at its hourly ceiling.
    sent = 1  # the code to guess@ above
    while (response := _sign_up(api.client, f"bomb{sent}@example.com")).status_code == 202:
        sent += 1
    assert sent == CLIENT_CODES_PER_HOUR
    assert_error(response, 429, "rate_limited", "email")


# -- item 6: concurrent sign-ups -----------------------------------------------------------


def test_concurrent_sign_ups_for_one_address_send_at_most_the_limit(api: Api) -> None:
    start = threading.Barrier(16)

    def sign_up(_: int) -> int:
        start.wait()
        return int(_sign_up(api.client, "race@example.com").status_code)

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(sign_up, range(16)))
    assert sorted(set(statuses)) == [202, 429], statuses
    assert statuses.count(202) == 5
    assert len(api.app.mailer.messages(recipient="race@example.com", limit=100)) == 5


def _at_once(count: int, call: Callable[[], Any]) -> list[int]:
    """``call`` from ``count`` threads released together; their status codes."""
    start = threading.Barrier(count)

    def one(_: int) -> int:
        start.wait()
        return int(call().status_code)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_concurrent_wrong_codes_are_counted_exactly(api: Api) -> None:
    _sign_up(api.client, "racer@example.com")
    statuses = _at_once(16, lambda: _verify(api.client, "racer@example.com", "000000"))
    assert sorted(statuses) == [401] * 5 + [429] * 11


def test_concurrent_failed_logins_are_counted_exactly(api: Api) -> None:
    api.producer("boss")
    statuses = _at_once(12, lambda: _login(api.client, "boss", "wrong-guess"))
    assert sorted(statuses) == [401] * 5 + [429] * 7


# -- item 2: staff logins --------------------------------------------------------------------


def test_staff_logins_are_limited_per_name_and_per_client(api: Api, attacker: TestClient) -> None:
    api.producer("boss")
    for _ in range(5):
        assert_error(_login(attacker, "boss", "wrong-guess"), 401, "invalid_credentials")
    assert_error(_login(attacker, "boss", PASSWORD), 429, "rate_limited")
    # The producer, from their own machine, is not locked out by the attacker's guesses.
    assert _login(api.client, "boss", PASSWORD).status_code == 201
    # One client guessing across many names is stopped too.
    for n in range(30):
        response = _login(attacker, f"name{n}", "wrong-guess")
        if response.status_code == 429:
            break
    assert_error(response, 429, "rate_limited")
    api.clock.advance(minutes=16)
    assert _login(attacker, "boss", PASSWORD).status_code == 201


def test_an_unknown_name_costs_the_same_hashing_as_a_real_one(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.producer("boss")
    calls: list[int] = []
    real: Callable[..., bytes] = hashlib.scrypt

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    assert_error(_login(api.client, "boss", "wrong-guess"), 401, "invalid_credentials")
    known = len(calls)
    calls.clear()
    assert_error(_login(api.client, "nobody", "wrong-guess"), 401, "invalid_credentials")
    assert len(calls) == known == 1

"""Shared pieces of the HTTP API tests: a wired app on a real store, and logins through it."""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from ballroom.api.app import create_app
from ballroom.bootstrap import App, bootstrap
from ballroom.services.ports import FixedClock
from ballroom.services.sms_gateway import signed_headers
from ballroom.settings import load_settings

with warnings.catch_warnings():
    # Starlette's test client warns that it prefers httpx2 (not installed); the client works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

WINDOW = "s34w04"
START = datetime(2025, 10, 8, 0, 0, tzinfo=UTC)  # Disney Night, 8 pm Eastern
PASSWORD = "correct-horse"


@dataclass
class Api:
    """A started app over a real store, its HTTP client, its clock and the codes it mailed."""

    app: App
    client: TestClient
    clock: FixedClock
    codes: itertools.count[int]

    def producer(self, name: str = "boss") -> dict[str, str]:
        """Auth headers of a (new) producer."""
        self.app.accounts.create_staff(name, "producer", PASSWORD)
        return self.login(name)

    def judge(self, name: str, judge: str | None = None) -> dict[str, str]:
        """Auth headers of a (new) judge account keying for panel judge ``judge``."""
        self.app.accounts.create_staff(name, "judge", PASSWORD, judge=judge)
        return self.login(name)

    def login(self, name: str) -> dict[str, str]:
        response = self.client.post("/api/v1/sessions", json={"name": name, "password": PASSWORD})
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def last_code(self, email: str) -> str:
        """The code in the newest outbox message to ``email`` (as a voter would read it)."""
        message = self.app.mailer.messages(limit=1, recipient=email)[0]
        return message.body.split("Your code is ", 1)[1][:6]

    def voter(self, email: str = "viewer@example.com") -> dict[str, str]:
        """Auth headers of a verified voter, signed up and verified through the API."""
        response = self.client.post(
            "/api/v1/accounts", json={"email": email, "age": 30, "region": "US"}
        )
        assert response.status_code == 202, response.text
        response = self.client.post(
            "/api/v1/accounts/verify", json={"email": email, "code": self.last_code(email)}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def open_night(self, producer: dict[str, str], window: str = WINDOW) -> None:
        """Prepare ``window`` as tonight and open its voting."""
        response = self.client.post(f"/api/v1/nights/{window}/current", headers=producer)
        assert response.status_code == 200, response.text
        response = self.client.post(f"/api/v1/windows/{window}/open", headers=producer)
        assert response.status_code == 200, response.text

    def key_every_score(self, producer: dict[str, str], window: str = WINDOW) -> None:
        """Each panel judge keys a 7 for every score still missing (results need them all)."""
        sheet = self.client.get(f"/api/v1/nights/{window}/scores", headers=producer).json()
        logins: dict[str, dict[str, str]] = {}
        for hole in sheet["missing"]:
            judge = hole["judge"]
            if judge not in logins:
                logins[judge] = self.judge(f"{judge}-desk", judge=judge)
            body = {"couple": hole["couple"], "round": hole["round"], "score": 7}
            response = self.client.put(
                f"/api/v1/nights/{window}/scores", json=body, headers=logins[judge]
            )
            assert response.status_code == 200, response.text

    def ballot(
        self, voter: dict[str, str], allocation: dict[str, Any], key: str, window: str = WINDOW
    ) -> Any:
        return self.client.post(
            f"/api/v1/windows/{window}/ballots",
            json={"allocation": allocation},
            headers={**voter, "Idempotency-Key": key},
        )

    def sms(
        self,
        texts: Any,
        key: str | None,
        *,
        secret: str | None = None,
        signed_at: float | None = None,
    ) -> Any:
        """Post ``texts`` to the SMS gateway as the aggregator does: signed with the shared
        secret (or ``secret``) at the server's time (or ``signed_at``)."""
        body = json.dumps(texts).encode()
        when = self.clock.now().timestamp() if signed_at is None else signed_at
        headers = signed_headers(secret or self.app.sms_gateway.secret, body, when)
        headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post("/api/v1/sms/inbound", content=body, headers=headers)


def start_api(url: str, **settings: Any) -> Iterator[Api]:
    """Wire, start and serve an app on ``url``; stop it afterwards."""
    clock = FixedClock(START)
    codes = itertools.count(100_000)
    app = bootstrap(
        load_settings(db_url=url, group_commit_ms=1.0, **settings),
        clock=clock,
        make_code=lambda: str(next(codes)),
    )
    with TestClient(create_app(app)) as client:
        yield Api(app=app, client=client, clock=clock, codes=codes)


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    """The app on SQLite and on the real PostgreSQL (one test run each)."""
    yield from start_api(database_url)


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> None:
    """The response is the one error shape with this status and code (and field)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert set(body) <= {"code", "message", "field"}
    if field is not None:
        assert body.get("field") == field, body

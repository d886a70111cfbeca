"""Who may call what: every operation of the OpenAPI schema against every kind of caller.

The table below names, for each operation the app publishes, who it is for. The test reads the
operations from the running app's own schema, so an endpoint added without a row here fails
(``test_every_operation_has_a_row``), and calls each one as each caller with a well-formed
request: a caller it is not for must be refused (401 without credentials, 403 with the wrong
role, 401 ``invalid_signature`` at the SMS gateway without the aggregator's signature), and a
caller it is for must get past authorization (whatever the outcome of the request itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import Enum
from typing import Any

import pytest
from api_support import WINDOW, Api, start_api

from ballroom.services.sms_gateway import signed_headers


class For(Enum):
    """Who an operation is for."""

    ANYONE = "anyone"
    SIGNED_IN = "any signed-in caller"
    VOTER = "a verified voter"
    STAFF = "a producer or a judge"
    JUDGE = "a judge"
    PRODUCER = "a producer"
    AGGREGATOR = "the SMS aggregator (signed callback)"


CALLERS = ("anonymous", "voter", "judge", "producer", "aggregator")
ALLOWED = {
    For.ANYONE: set(CALLERS),
    For.SIGNED_IN: {"voter", "judge", "producer"},
    For.VOTER: {"voter"},
    For.STAFF: {"judge", "producer"},
    For.JUDGE: {"judge"},
    For.PRODUCER: {"producer"},
    For.AGGREGATOR: {"aggregator"},
}
REFUSALS = {"invalid_token", "token_expired", "unauthorized", "forbidden", "unverified_voter"}
HASH = "0" * 64
SCHEDULE = {"opens_at": "2025-10-08T01:00:00Z", "closes_at": "2025-10-08T03:00:00Z"}
TEXT = [{"id": "SM-matrix", "from": "+12125550100", "to": "21523", "body": "ROBERT"}]

# (method, path) -> (who it is for, JSON body, query)
TABLE: dict[tuple[str, str], tuple[For, Any, dict[str, Any]]] = {
    ("POST", "/api/v1/accounts"): (
        For.ANYONE,
        {"email": "m@example.com", "age": 30, "region": "US"},
        {},
    ),
    ("POST", "/api/v1/accounts/sign-in"): (For.ANYONE, {"email": "m@example.com"}, {}),
    ("POST", "/api/v1/accounts/verify"): (
        For.ANYONE,
        {"email": "m@example.com", "code": "000000"},
        {},
    ),
    ("POST", "/api/v1/sessions"): (For.ANYONE, {"name": "nobody", "password": "not-it-1"}, {}),
    ("DELETE", "/api/v1/sessions/current"): (For.SIGNED_IN, None, {}),
    ("GET", "/api/v1/me"): (For.SIGNED_IN, None, {}),
    ("GET", "/api/v1/outbox"): (For.PRODUCER, None, {}),
    ("GET", "/api/v1/audit"): (For.PRODUCER, None, {}),
    ("GET", "/api/v1/nights"): (For.ANYONE, None, {}),
    ("GET", "/api/v1/nights/current"): (For.ANYONE, None, {}),
    ("GET", "/api/v1/nights/{window}"): (For.ANYONE, None, {}),
    ("POST", "/api/v1/nights/{window}/current"): (For.PRODUCER, None, {}),
    ("GET", "/api/v1/nights/{window}/scores"): (For.STAFF, None, {}),
    ("GET", "/api/v1/nights/{window}/scores/stream"): (For.STAFF, None, {"limit": 1}),
    ("PUT", "/api/v1/nights/{window}/scores"): (For.JUDGE, {"couple": "robert", "score": 8}, {}),
    ("POST", "/api/v1/nights/{window}/lock"): (For.PRODUCER, {"absent": []}, {}),
    ("POST", "/api/v1/nights/{window}/results"): (For.PRODUCER, None, {}),
    ("GET", "/api/v1/nights/{window}/results"): (For.ANYONE, None, {}),
    ("POST", "/api/v1/nights/{window}/reveal"): (For.PRODUCER, None, {}),
    ("GET", "/api/v1/windows/{window}"): (For.ANYONE, None, {}),
    ("GET", "/api/v1/windows/{window}/events"): (For.ANYONE, None, {"limit": 1}),
    ("GET", "/api/v1/windows/{window}/ballots/mine"): (For.VOTER, None, {}),
    ("POST", "/api/v1/windows/{window}/open"): (For.PRODUCER, None, {}),
    ("POST", "/api/v1/windows/{window}/close"): (For.PRODUCER, None, {}),
    ("POST", "/api/v1/windows/{window}/schedule"): (For.PRODUCER, SCHEDULE, {}),
    ("POST", "/api/v1/windows/{window}/ballots"): (For.VOTER, {"allocation": {"robert": 1}}, {}),
    ("POST", "/api/v1/sms/inbound"): (For.AGGREGATOR, TEXT, {}),
    ("GET", "/api/v1/windows/{window}/tallies"): (For.PRODUCER, None, {}),
    ("GET", "/api/v1/windows/{window}/tallies/stream"): (For.PRODUCER, None, {"limit": 1}),
    ("GET", "/api/v1/receipts/{ballot_hash}"): (For.ANYONE, None, {}),
    ("GET", "/api/v1/windows/{window}/integrity"): (For.PRODUCER, None, {}),
    ("POST", "/api/v1/windows/{window}/integrity/decisions"): (
        For.PRODUCER,
        {"voter": "nobody@example.com", "action": "void", "reason": "matrix"},
        {},
    ),
    ("GET", "/healthz"): (For.ANYONE, None, {}),
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'matrix.db'}"
    yield from start_api(url)


def _operations(api: Api) -> set[tuple[str, str]]:
    schema = api.client.get("/openapi.json").json()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_every_operation_has_a_row(api: Api) -> None:
    published = _operations(api)
    assert published - set(TABLE) == set(), "operations without a row in the matrix"
    assert set(TABLE) - published == set(), "rows for operations the app does not publish"


def _call(api: Api, caller: str, tokens: dict[str, dict[str, str]], op: tuple[str, str]) -> Any:
    method, template = op
    _, body, query = TABLE[op]
    path = template.format(window=WINDOW, ballot_hash=HASH)
    headers = dict(tokens.get(caller, {}))
    content = None if body is None else json.dumps(body).encode()
    if content is not None:
        headers["Content-Type"] = "application/json"
    if op[1].endswith(("/ballots", "/inbound")):
        headers["Idempotency-Key"] = f"matrix-{caller}"
    if caller == "aggregator" and content is not None:
        headers.update(
            signed_headers(api.app.sms_gateway.secret, content, api.clock.now().timestamp())
        )
    return api.client.request(method, path, content=content, headers=headers, params=query)


def test_each_operation_admits_exactly_the_callers_it_is_for(api: Api) -> None:
    producer = api.producer("matrix-boss")
    api.open_night(producer)
    tokens = {
        "voter": api.voter("matrix-fan@example.com"),
        "judge": api.judge("derek"),
        "producer": producer,
    }
    wrong: list[str] = []
    # Logging out last: it revokes the token it is called with.
    ordered = sorted(TABLE, key=lambda op: op == ("DELETE", "/api/v1/sessions/current"))
    for op in ordered:
        who = TABLE[op][0]
        for caller in CALLERS:
            response = _call(api, caller, tokens, op)
            code = response.json().get("code") if response.status_code >= 400 else None
            if op[1] == "/api/v1/sms/inbound":
                refused = code == "invalid_signature"
            else:
                refused = response.status_code in (401, 403) and code in REFUSALS
            if caller in ALLOWED[who] and refused:
                wrong.append(f"{caller} refused at {op} ({who.value}): {response.text[:120]}")
            if caller not in ALLOWED[who] and not refused:
                wrong.append(
                    f"{caller} let through at {op} ({who.value}): "
                    f"{response.status_code} {response.text[:120]}"
                )
    assert wrong == []

"""Fuzz every operation of the OpenAPI schema (schemathesis): no input may cause a 5xx.

Most SMS-gateway cases are signed with the gateway secret, so the fuzzer gets past the
signature check to the body; the rest test the check itself. A second, stateful run follows
the schema's links (tonight's night to its window, a ballot to its receipt and to "my ballot",
an SMS batch to its first receipt) with a voter's or a producer's token, so sequences of calls
are fuzzed, not only single ones.

The app runs on SQLite with a night prepared and open, so requests reach the services
rather than stopping at "not found". Bounded: 25 examples per operation.
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from ballroom.api.app import create_app
from ballroom.bootstrap import bootstrap
from ballroom.services.sms_gateway import signed_headers
from ballroom.settings import load_settings

pytestmark = pytest.mark.slow

# The schema is read when the module is collected, so the app exists then; its vote writer
# starts only in the fixture below. (schemathesis' from_fixture does not run on pytest 9.)
_FOLDER = tempfile.TemporaryDirectory(prefix="ballroom-fuzz-")
_APP = bootstrap(
    load_settings(db_url=f"sqlite:///{Path(_FOLDER.name) / 'fuzz.db'}", group_commit_ms=0.5)
)
_ASGI = create_app(_APP)
schema = schemathesis.openapi.from_asgi("/openapi.json", _ASGI)


@pytest.fixture(scope="module")
def producer_token() -> Iterator[str]:
    """Start the app with a producer and Disney Night open for voting."""
    _APP.accounts.create_staff("boss", "producer", "fuzz-password")
    _APP.start()
    session = _APP.accounts.log_in("boss", "fuzz-password")
    _APP.control.prepare_night(session.principal, "s34w04")
    _APP.control.open_window(session.principal, "s34w04")
    try:
        yield session.token
    finally:
        _APP.stop()
        _FOLDER.cleanup()


@pytest.fixture(scope="module")
def voter_token(producer_token: str) -> str:
    """A verified voter's token (signed up and verified through the service)."""
    del producer_token  # the app is started by it
    email = "fuzz.voter@example.com"
    _APP.accounts.sign_up(email, 30, "US")
    code = _APP.mailer.messages(limit=1, recipient=email)[0].body.split("Your code is ", 1)[1]
    return _APP.accounts.verify(email, code[:6]).token


def test_sequences_along_the_schemas_links_cause_no_server_error(
    producer_token: str, voter_token: str
) -> None:
    machine = schema.as_state_machine()
    called: set[tuple[str, str, int]] = set()

    class Sequences(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            token = voter_token if zlib.crc32(repr(case).encode()) % 2 else producer_token
            headers = {"Authorization": f"Bearer {token}"}
            if case.path == "/api/v1/sms/inbound":
                session = requests.Session()
                session.auth = _sign
                return {"headers": headers, "session": session}
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            del kwargs
            called.add((case.method, case.path, response.status_code))
            assert response.status_code < 500, (case.path, response.status_code, response.text)

    Sequences.run(
        settings=settings(
            max_examples=25,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
    # The links were followed: tonight's window was found from tonight's night (a fuzzed
    # window id is a 404).
    assert ("GET", "/api/v1/windows/{window}", 200) in called, sorted(called)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_input_causes_a_server_error(case: Any, producer_token: str) -> None:
    # Half the cases carry a producer's token so the authorised code paths are fuzzed too.
    headers = dict(case.headers or {})
    has_auth = "authorization" in {name.lower() for name in headers}
    if not has_auth and zlib.crc32(repr(case).encode()) % 2:
        headers["Authorization"] = f"Bearer {producer_token}"
    case.headers = headers
    if case.path.endswith(("/stream", "/events")):
        # An unbounded event stream never ends; the fuzzer asks for one event.
        case.query = {**(case.query or {}), "limit": 1}
    session = requests.Session()
    if case.path == "/api/v1/sms/inbound" and zlib.crc32(repr(case).encode()) % 3:
        # Most SMS cases are signed as the aggregator signs them, over the exact bytes sent,
        # so the body reaches the route's validation and the voting service.
        session.auth = _sign
    response = case.call(session=session)
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body.get("code"), str), body
        assert isinstance(body.get("message"), str), body


def _sign(request: requests.PreparedRequest) -> requests.PreparedRequest:
    body = request.body or b""
    raw = body.encode() if isinstance(body, str) else body
    request.headers.update(
        signed_headers(_APP.sms_gateway.secret, raw, _APP.clock.now().timestamp())
    )
    return request

"""Window actions take sane times only, and one that fails changes nothing (issue 17, item 4).

Before: ``closes_at`` in the year 9999 answered 500 yet was stored and audited, and from then on
the public ``GET /windows/{id}`` answered 500 for everyone, even after a restart; opening or
closing such a window answered 500 but took effect.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

import pytest
from api_support import START, WINDOW, Api, api, assert_error

__all__ = ["api"]  # the fixture, imported for pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SCHEDULE = f"/api/v1/windows/{WINDOW}/schedule"


def _schedule(api: Api, producer: dict[str, str], opens: str, closes: str) -> Any:
    return api.client.post(
        SCHEDULE, json={"opens_at": opens, "closes_at": closes}, headers=producer
    )


def _audited(api: Api, producer: dict[str, str], action: str) -> int:
    entries = api.client.get("/api/v1/audit", headers=producer).json()["entries"]
    return sum(1 for entry in entries if entry["action"] == action)


@pytest.fixture
def producer(api: Api) -> dict[str, str]:
    headers = api.producer()
    response = api.client.post(f"/api/v1/nights/{WINDOW}/current", headers=headers)
    assert response.status_code == 200, response.text
    return headers


@pytest.mark.parametrize(
    ("opens", "closes", "field"),
    [
        ("2025-10-08T01:00:00Z", "9999-12-31T23:59:59-05:00", "closes_at"),
        ("0001-01-01T00:00:00+14:00", "2025-10-08T02:00:00Z", "opens_at"),
        ("2025-10-08T01:00:00Z", "2027-10-08T02:00:00Z", "closes_at"),
        ("2025-09-01T00:00:00Z", "2025-10-08T02:00:00Z", "opens_at"),
    ],
)
def test_times_outside_a_sane_range_are_422_and_change_nothing(
    api: Api, producer: dict[str, str], opens: str, closes: str, field: str
) -> None:
    before = api.client.get(f"/api/v1/windows/{WINDOW}").json()
    assert_error(_schedule(api, producer, opens, closes), 422, "invalid_input", field)
    after = api.client.get(f"/api/v1/windows/{WINDOW}")
    assert after.status_code == 200, after.text
    assert after.json() == before
    assert _audited(api, producer, "schedule_window") == 0
    # Opening and closing still work and answer the window.
    assert api.client.post(f"/api/v1/windows/{WINDOW}/open", headers=producer).status_code == 200
    assert api.client.post(f"/api/v1/windows/{WINDOW}/close", headers=producer).status_code == 200


def test_a_sane_schedule_within_the_year_is_kept(api: Api, producer: dict[str, str]) -> None:
    opens = (START + timedelta(days=300)).isoformat()
    closes = (START + timedelta(days=300, hours=2)).isoformat()
    response = _schedule(api, producer, opens, closes)
    assert response.status_code == 200, response.text
    assert response.json()["phase"] == "scheduled"
    assert _audited(api, producer, "schedule_window") == 1


def test_an_action_that_fails_changes_nothing(
    api: Api, producer: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit entry and the change commit together: when the audit cannot be written the
    action answers 500 and the window is as it was."""
    before = api.client.get(f"/api/v1/windows/{WINDOW}").json()

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(api.app.control, "_audit", broken)
    quiet = TestClient(api.client.app, raise_server_exceptions=False)
    for path in ("open", "close"):
        response = quiet.post(f"/api/v1/windows/{WINDOW}/{path}", headers=producer)
        assert response.status_code == 500, response.text
    response = quiet.post(
        SCHEDULE,
        json={"opens_at": "2025-10-08T01:00:00Z", "closes_at": "2025-10-08T02:00:00Z"},
        headers=producer,
    )
    assert response.status_code == 500, response.text
    assert api.client.get(f"/api/v1/windows/{WINDOW}").json() == before
    monkeypatch.undo()
    api.app.stop()  # and after a restart, too
    api.app.start()
    assert api.client.get(f"/api/v1/windows/{WINDOW}").json() == before

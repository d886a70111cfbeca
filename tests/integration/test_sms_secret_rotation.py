"""Rotating the SMS gateway secret kept in the store, on SQLite and PostgreSQL: through the
HTTP guard both secrets count during the grace and the old one is refused after it; another
process picks the rotation up; the rotation is audited; a secret set in the settings is
rotated there instead."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from api_support import START, Api, api, assert_error, start_api

from ballroom.adapters.db.schema_accounts import audit_log, server_secrets
from ballroom.bootstrap import bootstrap
from ballroom.errors import Conflict, InvalidSignature
from ballroom.services.ports import FixedClock
from ballroom.services.sms_gateway import (
    RELOAD_S,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signed_headers,
)
from ballroom.settings import load_settings

__all__ = ["api"]  # the fixture, imported for pytest

TEXTS = [{"id": "SM-first", "from": "+15550100001", "to": "21523", "body": "HILARIA"}]


def _texts(key: str) -> list[dict[str, str]]:
    """One text with an aggregator id of its own (a new text, not a repeat of another)."""
    return [{**TEXTS[0], "id": f"SM-{key}"}]


@pytest.fixture
def night(api: Api) -> Api:
    api.open_night(api.producer())
    return api


def _counts(response: Any) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["outcomes"][0]["accepted"]


def test_both_secrets_count_during_the_grace_and_the_old_one_is_refused_after(
    night: Api,
) -> None:
    old = night.app.sms_gateway.secret
    rotated = night.app.rotate_sms_gateway_secret(grace_s=600, actor="cli:ops")
    new = rotated.current
    assert new != old
    assert (rotated.previous, rotated.previous_until) == (old, START.timestamp() + 600)
    _counts(night.sms(_texts("new-1"), "new-1", secret=new))
    _counts(night.sms(_texts("old-1"), "old-1", secret=old))
    night.clock.advance(seconds=599)
    _counts(night.sms(_texts("old-2"), "old-2", secret=old))
    night.clock.advance(seconds=1)  # the grace is over
    assert_error(
        night.sms(_texts("old-3"), "old-3", secret=old), 401, "invalid_signature", SIGNATURE_HEADER
    )
    _counts(night.sms(_texts("new-2"), "new-2", secret=new))


def test_no_grace_refuses_the_old_secret_at_once(night: Api) -> None:
    old = night.app.sms_gateway.secret
    new = night.app.rotate_sms_gateway_secret(grace_s=0, actor="cli:ops").current
    assert_error(
        night.sms(_texts("old"), "old", secret=old), 401, "invalid_signature", SIGNATURE_HEADER
    )
    _counts(night.sms(_texts("new"), "new", secret=new))


def test_a_server_running_elsewhere_picks_the_rotation_up(database_url: str) -> None:
    clock = FixedClock(START)
    server = bootstrap(load_settings(db_url=database_url), clock=clock)
    operator = bootstrap(load_settings(db_url=database_url), clock=clock)
    try:
        old = server.sms_gateway.secret
        assert operator.sms_gateway.secret == old
        new = operator.rotate_sms_gateway_secret(grace_s=3600, actor="cli:ops").current
        body = json.dumps(TEXTS).encode()

        def verify(secret: str) -> None:
            headers = signed_headers(secret, body, clock.now().timestamp())
            server.sms_gateway.verify(
                headers[SIGNATURE_HEADER].encode(),
                headers[TIMESTAMP_HEADER].encode(),
                body,
            )

        verify(old)
        clock.advance(seconds=RELOAD_S)
        verify(new)  # re-read from the store
        verify(old)  # still in its grace
        assert server.sms_gateway.secret == new
        # A second rotation within the grace keeps only the secret it replaces.
        newest = operator.rotate_sms_gateway_secret(grace_s=3600, actor="cli:ops").current
        clock.advance(seconds=RELOAD_S)
        verify(newest)
        verify(new)
        with pytest.raises(InvalidSignature):
            verify(old)
    finally:
        server.stop()
        operator.stop()


def test_a_rotation_is_audited_without_the_secret(database_url: str) -> None:
    for running in start_api(database_url):
        old = running.app.sms_gateway.secret
        new = running.app.rotate_sms_gateway_secret(grace_s=900, actor="cli:ops").current
        with running.app.engine.connect() as connection:
            (entry,) = connection.execute(sa.select(audit_log)).all()
            stored = connection.execute(
                sa.select(server_secrets).where(server_secrets.c.name == "sms_gateway_key")
            ).one()
        assert (entry.actor, entry.role, entry.action, entry.target) == (
            "cli:ops",
            "operator",
            "rotate_secret",
            "sms_gateway_key",
        )
        detail = json.loads(entry.detail)
        assert detail == {
            "grace_s": 900,
            "previous_until": (START + timedelta(seconds=900)).isoformat(),
        }
        assert old not in entry.detail
        assert new not in entry.detail
        assert (stored.value, stored.previous_value) == (new, old)
        assert stored.rotated_at == START.timestamp()
        # The control room's audit view shows it.
        producer = running.producer()
        shown = running.client.get("/api/v1/audit", headers=producer).json()["entries"]
        assert [e["action"] for e in shown] == ["rotate_secret"]


def test_a_secret_from_the_settings_is_rotated_in_the_settings(database_url: str) -> None:
    current, previous = "the-current-secret-from-env", "the-previous-secret-from-env"
    until = START + timedelta(minutes=30)
    for running in start_api(
        database_url,
        sms_gateway_secret=current,
        sms_gateway_previous_secret=previous,
        sms_gateway_previous_until=until.isoformat(),
    ):
        running.open_night(running.producer())
        with pytest.raises(Conflict) as refused:
            running.app.rotate_sms_gateway_secret(grace_s=60, actor="cli:ops")
        assert refused.value.field == "sms_gateway_secret"
        _counts(running.sms(_texts("current"), "current", secret=current))
        _counts(running.sms(_texts("previous"), "previous", secret=previous))
        running.clock.set(until)
        assert_error(
            running.sms(_texts("late"), "late", secret=previous),
            401,
            "invalid_signature",
            SIGNATURE_HEADER,
        )
        _counts(running.sms(_texts("still"), "still", secret=current))

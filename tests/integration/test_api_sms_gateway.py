"""The SMS gateway endpoint: only signed, fresh callbacks count, and only US/PR numbers vote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from api_support import START, Api, api, assert_error, start_api

from ballroom.adapters.db import schema
from ballroom.bootstrap import bootstrap
from ballroom.domain.eligibility import SMS_REGION_REPLY
from ballroom.services.sms_gateway import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers
from ballroom.settings import load_settings

__all__ = ["api"]  # the fixture, imported for pytest

PATH = "/api/v1/sms/inbound"
TEXTS = [
    {"id": f"SM-{n}", "from": "+15550100001", "to": "21523", "body": "HILARIA"} for n in range(2)
]


def _stored(api: Api) -> tuple[int, int]:
    """Rows in the vote log and in the refusals table."""
    with api.app.engine.connect() as connection:
        votes = connection.execute(sa.select(sa.func.count()).select_from(schema.vote_log))
        refused = connection.execute(sa.select(sa.func.count()).select_from(schema.sms_refusals))
        return votes.scalar_one(), refused.scalar_one()


def _post(api: Api, body: bytes, headers: dict[str, str]) -> Any:
    return api.client.post(
        PATH,
        content=body,
        headers={"Content-Type": "application/json", "Idempotency-Key": "k1", **headers},
    )


@pytest.fixture
def night(api: Api) -> Api:
    api.open_night(api.producer())
    return api


def test_a_signed_batch_counts(night: Api) -> None:
    response = night.sms(TEXTS, "k1")
    assert response.status_code == 200, response.text
    assert [o["accepted"] for o in response.json()["outcomes"]] == [True, True]
    assert _stored(night) == (2, 0)
    # Signed a little in the past or future (clock skew) is within the tolerance.
    now = START.timestamp()
    for key, signed_at in (("k2", now - 299), ("k3", now + 299)):
        texts = [{**text, "id": f"{text['id']}-{key}"} for text in TEXTS]
        response = night.sms(texts, key, signed_at=signed_at)
        assert [o["accepted"] for o in response.json()["outcomes"]] == [True, True]


def test_unsigned_forged_tampered_or_stale_batches_are_refused(night: Api) -> None:
    body = json.dumps(TEXTS).encode()
    now = START.timestamp()
    good = signed_headers(night.app.sms_gateway.secret, body, now)
    refusals = {
        "no headers": (body, {}, TIMESTAMP_HEADER),
        "no signature": (body, {TIMESTAMP_HEADER: good[TIMESTAMP_HEADER]}, SIGNATURE_HEADER),
        "no timestamp": (body, {SIGNATURE_HEADER: good[SIGNATURE_HEADER]}, TIMESTAMP_HEADER),
        "wrong secret": (
            body,
            signed_headers("not-the-shared-secret", body, now),
            SIGNATURE_HEADER,
        ),
        "tampered body": (body.replace(b"HILARIA", b"ROBERT"), good, SIGNATURE_HEADER),
        "moved timestamp": (
            body,
            {**good, TIMESTAMP_HEADER: str(int(now) + 1)},
            SIGNATURE_HEADER,
        ),
        "stale": (
            body,
            signed_headers(night.app.sms_gateway.secret, body, now - 301),
            TIMESTAMP_HEADER,
        ),
        "from the future": (
            body,
            signed_headers(night.app.sms_gateway.secret, body, now + 3600),
            TIMESTAMP_HEADER,
        ),
        "not a number": (body, {**good, TIMESTAMP_HEADER: "soon"}, TIMESTAMP_HEADER),
        "no scheme": (
            body,
            {**good, SIGNATURE_HEADER: good[SIGNATURE_HEADER].removeprefix("sha256=")},
            SIGNATURE_HEADER,
        ),
        "not JSON, unsigned": (b"{not json", {}, TIMESTAMP_HEADER),
    }
    for case, (content, headers, field) in refusals.items():
        response = _post(night, content, headers)
        assert response.status_code == 401, (case, response.text)
        assert_error(response, 401, "invalid_signature", field)
    assert _stored(night) == (0, 0)
    # The refused attempts used key k1 without consuming it: the aggregator's signed batch
    # under that key is counted as new.
    response = night.sms(TEXTS, "k1")
    assert [o["accepted"] for o in response.json()["outcomes"]] == [True, True]


def test_texts_from_outside_us_and_puerto_rico_are_refused_with_a_reply(night: Api) -> None:
    texts = [
        {"id": "SM-1", "from": "+1 416 555 0100", "to": "21523", "body": "HILARIA"},  # Toronto
        {"id": "SM-2", "from": "+44 20 7946 0000", "to": "21523", "body": "HILARIA"},  # London
        {"id": "SM-3", "from": "+1 876 555 0100", "to": "21523", "body": "HILARIA"},  # Jamaica
        {"id": "SM-4", "from": "+1 787 555 0100", "to": "21523", "body": "HILARIA"},  # Puerto Rico
        {"id": "SM-5", "from": "+1 212 555 0100", "to": "21523", "body": "HILARIA"},  # New York
    ]
    response = night.sms(texts, "regions")
    assert response.status_code == 200, response.text
    outcomes = response.json()["outcomes"]
    assert [o["accepted"] for o in outcomes] == [False, False, False, True, True]
    assert [o["reason"] for o in outcomes[:3]] == ["region"] * 3
    assert {o["reply"] for o in outcomes[:3]} == {SMS_REGION_REPLY}
    assert _stored(night) == (2, 3)
    # A retry answers the same, refusals rebuilt from the store included.
    again = night.sms(texts, "regions")
    assert again.json() == response.json()


def test_the_secret_is_the_setting_or_one_kept_in_the_store(
    database_url: str, tmp_path: Path
) -> None:
    secret = "a-secret-from-the-environment"
    for configured in start_api(database_url, sms_gateway_secret=secret):
        configured.open_night(configured.producer())
        assert configured.app.sms_gateway.secret == secret
        assert configured.sms(TEXTS, "env").status_code == 200
        other = configured.sms(TEXTS, "other", secret="x" * 32)
        assert_error(other, 401, "invalid_signature", SIGNATURE_HEADER)

    url = f"sqlite:///{tmp_path / 'kept.db'}"
    first = bootstrap(load_settings(db_url=url))
    second = bootstrap(load_settings(db_url=url))
    try:
        assert first.sms_gateway.secret == second.sms_gateway.secret
        assert len(first.sms_gateway.secret) >= 32
        assert first.sms_gateway.secret != first.accounts._key.decode()
    finally:
        first.stop()
        second.stop()

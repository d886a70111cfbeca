"""Replaying the SMS aggregator's signed callbacks counts nothing, whatever the key.

The attack (issue 17, item 1): a captured, correctly signed batch resent within the clock skew
with a fresh ``Idempotency-Key`` each time was counted again each time. Now each inbound text
carries the aggregator's own message id (as Twilio's ``MessageSid`` or Vonage's ``messageId``
do) and a text is counted once per id, for good; the signed content itself is remembered for
the whole tolerance, so a replay under another key is refused. Both survive a restart.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from api_support import START, Api, api, assert_error, start_api

from ballroom.adapters.db import schema
from ballroom.services.sms_gateway import signed_headers

__all__ = ["api"]  # the fixture, imported for pytest

PATH = "/api/v1/sms/inbound"
SENDERS = [f"+1212555{n:04d}" for n in range(50)]


def _texts(prefix: str = "SM") -> list[dict[str, str]]:
    return [
        {"id": f"{prefix}{n:032x}", "from": sender, "to": "21523", "body": "HILARIA"}
        for n, sender in enumerate(SENDERS)
    ]


def _votes(api: Api) -> int:
    with api.app.engine.connect() as connection:
        return int(
            connection.execute(sa.select(sa.func.count()).select_from(schema.vote_log)).scalar_one()
        )


def _post_signed(api: Api, body: bytes, headers: dict[str, str], key: str) -> Any:
    return api.client.post(
        PATH,
        content=body,
        headers={**headers, "Content-Type": "application/json", "Idempotency-Key": key},
    )


@pytest.fixture
def night(api: Api) -> Api:
    api.open_night(api.producer())
    return api


def test_a_captured_batch_resent_with_new_keys_counts_nothing(night: Api) -> None:
    body = json.dumps(_texts()).encode()
    captured = signed_headers(night.app.sms_gateway.secret, body, START.timestamp())
    first = _post_signed(night, body, captured, "aggregator-1")
    assert first.status_code == 200, first.text
    assert _votes(night) == 50
    for n in range(5):
        replay = _post_signed(night, body, captured, f"attacker-{n}")
        assert_error(replay, 409, "replayed_callback")
    assert _votes(night) == 50
    # The aggregator's own retry (same key, same signed request) still answers the first outcome.
    again = _post_signed(night, body, captured, "aggregator-1")
    assert again.status_code == 200, again.text
    assert again.json() == first.json()


def test_texts_redelivered_under_a_new_signature_and_key_count_once(night: Api) -> None:
    texts = _texts()
    first = night.sms(texts, "batch-1")
    assert all(o["accepted"] for o in first.json()["outcomes"])
    night.clock.advance(seconds=30)
    # Re-signed later (a fresh timestamp) and resent under new keys, alone or mixed with new
    # texts: only the new ones count; the old ones answer what they answered the first time.
    mixed = texts[:10] + _texts("NEW")[:5]
    response = night.sms(mixed, "batch-2")
    assert response.status_code == 200, response.text
    outcomes = response.json()["outcomes"]
    assert [o["index"] for o in outcomes] == list(range(15))
    assert [o["receipt"] for o in outcomes[:10]] == [
        o["receipt"] for o in first.json()["outcomes"][:10]
    ]
    assert _votes(night) == 55
    # The same id twice in one batch counts once.
    twice = night.sms([_texts("TWICE")[0]] * 2, "batch-3")
    receipts = [o["receipt"] for o in twice.json()["outcomes"]]
    assert receipts[0] is not None
    assert receipts[1] == receipts[0]
    assert _votes(night) == 56


def test_replays_stay_refused_after_a_restart(database_url: str) -> None:
    texts = _texts()
    body = json.dumps(texts).encode()
    for first in start_api(database_url):
        first.open_night(first.producer())
        secret = first.app.sms_gateway.secret
        captured = signed_headers(secret, body, START.timestamp())
        assert _post_signed(first, body, captured, "k1").status_code == 200
    for second in start_api(database_url):
        assert_error(_post_signed(second, body, captured, "k2"), 409, "replayed_callback")
        second.clock.advance(seconds=60)
        response = second.sms(texts, "k3")
        assert response.status_code == 200, response.text
        assert _votes(second) == 50


def test_every_text_must_carry_the_aggregators_message_id(night: Api) -> None:
    texts = [{"from": SENDERS[0], "to": "21523", "body": "HILARIA"}]
    assert_error(night.sms(texts, "no-id"), 422, "missing_field", "0.id")
    texts = [{"id": "", "from": SENDERS[0], "to": "21523", "body": "HILARIA"}]
    assert_error(night.sms(texts, "empty-id"), 422, "wrong_type", "0.id")
    for odd in ("SM\u0000x", "SM\ud800", "SM id", "-SM"):
        texts = [{"id": odd, "from": SENDERS[0], "to": "21523", "body": "HILARIA"}]
        assert_error(night.sms(texts, "odd-id"), 422, "wrong_type", "0.id")
    assert _votes(night) == 0

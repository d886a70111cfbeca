"""Rotating the SMS gateway secret: during the grace both secrets sign, after it only the new
one; a running checker re-reads rotated secrets when due, and keeps its own if the store fails."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ballroom.errors import InvalidSignature
from ballroom.services.sms_gateway import (
    RELOAD_S,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    GatewaySecrets,
    SmsGatewayAuth,
    signed_headers,
)

OLD, NEW = "the-old-secret-0123456789", "the-new-secret-9876543210"
START = 1_760_000_000.0
GRACE_END = START + 3600
BODY = b'[{"from": "+15550100001", "body": "HILARIA"}]'


class Clock:
    """The server's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def _verify(auth: SmsGatewayAuth, secret: str, now: float) -> None:
    headers = signed_headers(secret, BODY, now)
    auth.verify(headers[SIGNATURE_HEADER].encode(), headers[TIMESTAMP_HEADER].encode(), BODY)


def test_both_secrets_sign_during_the_grace_and_only_the_new_one_after() -> None:
    clock = Clock()
    auth = SmsGatewayAuth(GatewaySecrets(NEW, OLD, GRACE_END), clock)
    for moment in (START, GRACE_END - 1):
        clock.now = moment
        _verify(auth, NEW, moment)
        _verify(auth, OLD, moment)
    clock.now = GRACE_END
    _verify(auth, NEW, GRACE_END)
    with pytest.raises(InvalidSignature) as refused:
        _verify(auth, OLD, GRACE_END)
    assert refused.value.code == "invalid_signature"
    assert refused.value.field == SIGNATURE_HEADER
    with pytest.raises(InvalidSignature):
        _verify(auth, "neither-of-the-two-secrets", START)


def test_a_stale_signature_is_refused_whichever_secret_made_it() -> None:
    clock = Clock()
    auth = SmsGatewayAuth(GatewaySecrets(NEW, OLD, GRACE_END), clock, tolerance_s=300)
    for secret in (NEW, OLD):
        with pytest.raises(InvalidSignature) as refused:
            _verify(auth, secret, START - 301)
        assert refused.value.field == TIMESTAMP_HEADER


def test_a_plain_string_is_one_secret_without_a_previous() -> None:
    auth = SmsGatewayAuth(NEW, Clock())
    assert auth.secrets == GatewaySecrets(NEW)
    assert auth.secret == NEW
    assert not auth.reload_due()


def _store(state: list[GatewaySecrets]) -> Callable[[], GatewaySecrets]:
    return lambda: state[0]


def test_a_rotation_made_elsewhere_is_picked_up_when_the_reload_is_due() -> None:
    clock = Clock()
    stored = [GatewaySecrets(OLD)]
    auth = SmsGatewayAuth(stored[0], clock, reload=_store(stored))
    stored[0] = GatewaySecrets(NEW, OLD, GRACE_END)  # `ballroom sms secret --rotate`
    with pytest.raises(InvalidSignature):
        _verify(auth, NEW, START)  # not re-read yet
    clock.now = START + RELOAD_S
    assert auth.reload_due()
    _verify(auth, NEW, clock.now)
    _verify(auth, OLD, clock.now)
    assert not auth.reload_due()
    assert auth.secret == NEW


def test_a_store_that_fails_keeps_the_secrets_held(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()

    def broken() -> GatewaySecrets:
        raise ConnectionError("the store is down")

    auth = SmsGatewayAuth(GatewaySecrets(NEW, OLD, GRACE_END), clock, reload=broken)
    clock.now = START + RELOAD_S
    _verify(auth, NEW, clock.now)
    assert "could not re-read" in caplog.text
    assert not auth.reload_due()  # asked again RELOAD_S later, not on every callback
    # The grace still ends on time with the secrets held.
    clock.now = GRACE_END
    with pytest.raises(InvalidSignature):
        _verify(auth, OLD, GRACE_END)

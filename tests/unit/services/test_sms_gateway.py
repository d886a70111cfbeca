"""The SMS aggregator's signatures: HMAC-SHA256 of timestamp and raw body, fresh only."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballroom.errors import InvalidSignature, Unauthorized
from ballroom.services.sms_gateway import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SmsGatewayAuth,
    signature,
    signed_headers,
)

SECRET = "shared-with-the-aggregator"
NOW = 1_760_000_000.0
BODY = b'[{"from":"+15550100001","to":"21523","body":"HILARIA"}]'


def _auth(tolerance_s: float = 300.0) -> SmsGatewayAuth:
    return SmsGatewayAuth(SECRET, lambda: NOW, tolerance_s=tolerance_s)


def _verify(auth: SmsGatewayAuth, headers: dict[str, str], body: bytes = BODY) -> None:
    signed = headers.get(SIGNATURE_HEADER)
    stamp = headers.get(TIMESTAMP_HEADER)
    auth.verify(
        None if signed is None else signed.encode(),
        None if stamp is None else stamp.encode(),
        body,
    )


def test_the_signature_is_an_hmac_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1760000000." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, "1760000000", BODY) == f"sha256={expected}"
    assert signed_headers(SECRET, BODY, NOW + 0.9) == {
        TIMESTAMP_HEADER: "1760000000",
        SIGNATURE_HEADER: f"sha256={expected}",
    }


def test_a_fresh_signature_passes_and_its_hex_case_does_not_matter() -> None:
    headers = signed_headers(SECRET, BODY, NOW - 300)
    _verify(_auth(), headers)
    upper = {**headers, SIGNATURE_HEADER: "SHA256=" + headers[SIGNATURE_HEADER][7:].upper()}
    _verify(_auth(), upper)


@pytest.mark.parametrize(
    ("headers", "body", "field"),
    [
        ({}, BODY, TIMESTAMP_HEADER),
        ({TIMESTAMP_HEADER: "1760000000"}, BODY, SIGNATURE_HEADER),
        (signed_headers("another-secret", BODY, NOW), BODY, SIGNATURE_HEADER),
        (signed_headers(SECRET, BODY, NOW), BODY + b" ", SIGNATURE_HEADER),
        (signed_headers(SECRET, BODY, NOW - 301), BODY, TIMESTAMP_HEADER),
        (signed_headers(SECRET, BODY, NOW + 301), BODY, TIMESTAMP_HEADER),
        ({**signed_headers(SECRET, BODY, NOW), TIMESTAMP_HEADER: "-5"}, BODY, TIMESTAMP_HEADER),
        ({**signed_headers(SECRET, BODY, NOW), TIMESTAMP_HEADER: "1e9"}, BODY, TIMESTAMP_HEADER),
        ({TIMESTAMP_HEADER: "1760000000", SIGNATURE_HEADER: "sha256=zz"}, BODY, SIGNATURE_HEADER),
        ({TIMESTAMP_HEADER: "1760000000", SIGNATURE_HEADER: "md5=00"}, BODY, SIGNATURE_HEADER),
    ],
)
def test_refusals_are_401_invalid_signature_naming_the_header(
    headers: dict[str, str], body: bytes, field: str
) -> None:
    with pytest.raises(InvalidSignature) as raised:
        _verify(_auth(), headers, body)
    assert isinstance(raised.value, Unauthorized)
    assert raised.value.code == "invalid_signature"
    assert raised.value.field == field


def test_non_ascii_header_bytes_are_refused_not_crashed() -> None:
    with pytest.raises(InvalidSignature):
        _auth().verify("sha256=\u00e9\u00e9".encode("latin-1"), b"1760000000", BODY)


@given(st.binary(max_size=200), st.integers(-300, 300))
def test_any_body_signed_within_the_tolerance_passes(body: bytes, skew: int) -> None:
    _verify(_auth(), signed_headers(SECRET, body, NOW + skew), body)


@given(st.binary(min_size=1, max_size=200), st.integers(0, 199), st.integers(1, 255))
def test_any_changed_byte_is_refused(body: bytes, where: int, flip: int) -> None:
    headers = signed_headers(SECRET, body, NOW)
    index = where % len(body)
    tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    with pytest.raises(InvalidSignature):
        _verify(_auth(), headers, tampered)

"""Authenticating the SMS aggregator's callbacks: an HMAC-SHA256 of the raw body, timestamped.

The aggregator and the server share a secret (setting ``sms_gateway_secret``, or one generated
and kept in the store; ``ballroom sms secret`` prints it). Each callback carries two headers:

- ``X-Ballroom-Timestamp``: the moment it was signed, in whole Unix seconds;
- ``X-Ballroom-Signature``: ``sha256=`` and the lowercase hex HMAC-SHA256, keyed with the
  secret, of the ASCII timestamp, a ``.``, and the raw request body, byte for byte.

Signing the timestamp with the body stops a captured callback from being replayed once it is
older than the tolerance (5 minutes by default, by the server's clock, either way for clock
skew); within it, the batch's ``Idempotency-Key`` makes a replay count nothing twice.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from ballroom.errors import InvalidSignature

SIGNATURE_HEADER = "X-Ballroom-Signature"
TIMESTAMP_HEADER = "X-Ballroom-Timestamp"
DEFAULT_TOLERANCE_S = 300.0
_SCHEME = b"sha256="
_MAX_TIMESTAMP_DIGITS = 12  # whole seconds until the year 33658


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Ballroom-Signature`` value for ``body`` signed at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signed_headers(secret: str, body: bytes, now: float) -> dict[str, str]:
    """The two headers an aggregator sends with ``body`` at Unix time ``now``."""
    timestamp = str(int(now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


class SmsGatewayAuth:
    """Checks callbacks against the shared secret, by the server's clock ``now``."""

    def __init__(
        self, secret: str, now: Callable[[], float], *, tolerance_s: float = DEFAULT_TOLERANCE_S
    ) -> None:
        self.secret = secret
        self._key = secret.encode()
        self._now = now
        self.tolerance_s = tolerance_s

    def verify(self, signed: bytes | None, timestamp: bytes | None, body: bytes) -> None:
        """Return when the headers' values sign ``body`` freshly; ``InvalidSignature`` naming
        the header at fault otherwise (headers as raw bytes, as the server receives them)."""
        if not timestamp:
            raise InvalidSignature(
                f"the {TIMESTAMP_HEADER} header is required", field=TIMESTAMP_HEADER
            )
        if not signed:
            raise InvalidSignature(
                f"the {SIGNATURE_HEADER} header is required", field=SIGNATURE_HEADER
            )
        stamp = timestamp.strip()
        if not (stamp.isdigit() and len(stamp) <= _MAX_TIMESTAMP_DIGITS):
            raise InvalidSignature(
                f"{TIMESTAMP_HEADER} must be whole Unix seconds", field=TIMESTAMP_HEADER
            )
        expected = hmac.new(self._key, stamp + b"." + body, hashlib.sha256).hexdigest().encode()
        given = signed.strip()
        # Compare before judging the age, so a forger learns nothing from which check failed.
        valid = given[: len(_SCHEME)].lower() == _SCHEME and hmac.compare_digest(
            given[len(_SCHEME) :].lower(), expected
        )
        if not valid:
            raise InvalidSignature(
                "the signature does not match the body and the shared secret",
                field=SIGNATURE_HEADER,
            )
        age = self._now() - int(stamp)
        if abs(age) > self.tolerance_s:
            raise InvalidSignature(
                f"the request was signed {int(abs(age))} s from now; at most "
                f"{int(self.tolerance_s)} s are accepted",
                field=TIMESTAMP_HEADER,
            )

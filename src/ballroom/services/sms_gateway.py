"""Authenticating the SMS aggregator's callbacks: an HMAC-SHA256 of the raw body, timestamped.

The aggregator and the server share a secret (setting ``sms_gateway_secret``, or one generated
and kept in the store; ``ballroom sms secret`` prints it). Each callback carries two headers:

- ``X-Ballroom-Timestamp``: the moment it was signed, in whole Unix seconds;
- ``X-Ballroom-Signature``: ``sha256=`` and the lowercase hex HMAC-SHA256, keyed with the
  secret, of the ASCII timestamp, a ``.``, and the raw request body, byte for byte.

Signing the timestamp with the body stops a captured callback from being replayed once it is
older than the tolerance (5 minutes by default, by the server's clock, either way for clock
skew). Within it, the signed content is remembered with the ``Idempotency-Key`` it first came
with, so the same content under another key is refused as a replay; and each text carries
the aggregator's message id, counted once whatever batch or key brings it again. The key
only lets the aggregator retry one request and get its first answer.

Rotation: ``ballroom sms secret --rotate [--grace S]`` makes a new stored secret current and
keeps the old one accepted for the grace (an hour by default), as aggregators switch over
gradually; then the old one is refused like any wrong secret. A running server re-reads the
store's secrets every few seconds (:data:`RELOAD_S`). A secret set by the operator
(``sms_gateway_secret``) is current instead of the store's, and is rotated in the settings:
``sms_gateway_previous_secret`` stays accepted until ``sms_gateway_previous_until``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ballroom.errors import InvalidSignature

log = logging.getLogger("ballroom.sms")

SIGNATURE_HEADER = "X-Ballroom-Signature"
TIMESTAMP_HEADER = "X-Ballroom-Timestamp"
DEFAULT_TOLERANCE_S = 300.0
_SCHEME = b"sha256="
_MAX_TIMESTAMP_DIGITS = 12  # whole seconds until the year 33658
RELOAD_S = 5.0
"""How often a server re-reads the stored secrets, so a rotation made elsewhere takes effect."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Ballroom-Signature`` value for ``body`` signed at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signed_headers(secret: str, body: bytes, now: float) -> dict[str, str]:
    """The two headers an aggregator sends with ``body`` at Unix time ``now``."""
    timestamp = str(int(now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


@dataclass(frozen=True)
class GatewaySecrets:
    """The secrets a callback may be signed with: the current one and, during a rotation's
    grace (until ``previous_until``, Unix seconds), the one it replaced."""

    current: str
    previous: str | None = None
    previous_until: float | None = None
    # Encoded once: every callback is checked against them.
    _current_only: tuple[bytes, ...] = field(init=False, repr=False, compare=False)
    _both: tuple[bytes, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        current = (self.current.encode(),)
        object.__setattr__(self, "_current_only", current)
        previous = () if self.previous is None else (self.previous.encode(),)
        object.__setattr__(self, "_both", current + previous)

    def keys(self, now: float) -> tuple[bytes, ...]:
        """The HMAC keys accepted at ``now``, the current one first."""
        if self.previous_until is None or now >= self.previous_until:
            return self._current_only
        return self._both


class SmsGatewayAuth:
    """Checks callbacks against the shared secrets, by the server's clock ``now``.

    ``reload`` (the store's secrets, for a server whose secret is not set by the operator) is
    called again when :data:`RELOAD_S` have passed, so a rotation made by the CLI reaches a
    running server; :meth:`verify` does that itself, while the HTTP guard reloads off the
    event loop (:meth:`reload_due`, :meth:`refresh`) and then calls :meth:`check`.
    """

    def __init__(
        self,
        secrets: str | GatewaySecrets,
        now: Callable[[], float],
        *,
        tolerance_s: float = DEFAULT_TOLERANCE_S,
        reload: Callable[[], GatewaySecrets] | None = None,
        reload_s: float = RELOAD_S,
    ) -> None:
        self._secrets = secrets if isinstance(secrets, GatewaySecrets) else GatewaySecrets(secrets)
        self._now = now
        self.tolerance_s = tolerance_s
        self._reload = reload
        self._reload_s = reload_s
        self._loaded_at = now()

    @property
    def secret(self) -> str:
        """The current secret: the one to give the aggregator."""
        return self._secrets.current

    @property
    def secrets(self) -> GatewaySecrets:
        """The current secret and the previous one, if any, with the end of its grace."""
        return self._secrets

    def reload_due(self) -> bool:
        """Whether the secrets should be read again (never for fixed ones)."""
        return self._reload is not None and abs(self._now() - self._loaded_at) >= self._reload_s

    def refresh(self) -> None:
        """Read the secrets again now. A store that does not answer keeps the ones held (a
        hiccup must not refuse the aggregator), and is asked again :data:`RELOAD_S` later."""
        if self._reload is None:
            return
        self._loaded_at = self._now()
        try:
            self._secrets = self._reload()
        except Exception:  # the store's errors are many (driver, pool, network): any of them
            log.exception("could not re-read the SMS gateway secrets; keeping the ones held")

    def verify(self, signed: bytes | None, timestamp: bytes | None, body: bytes) -> None:
        """:meth:`check`, after re-reading the secrets when that is due."""
        if self.reload_due():
            self.refresh()
        self.check(signed, timestamp, body)

    def check(self, signed: bytes | None, timestamp: bytes | None, body: bytes) -> None:
        """Return when the headers' values sign ``body`` freshly with an accepted secret;
        ``InvalidSignature`` naming the header at fault otherwise (headers as raw bytes, as the
        server receives them). Reads nothing: the secrets held are used."""
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
        given = signed.strip()
        now = self._now()
        valid = False
        if given[: len(_SCHEME)].lower() == _SCHEME:
            digest = given[len(_SCHEME) :].lower()
            signed_text = stamp + b"." + body
            for key in self._secrets.keys(now):
                expected = hmac.new(key, signed_text, hashlib.sha256).hexdigest().encode()
                if hmac.compare_digest(digest, expected):
                    valid = True
                    break
        # Compare before judging the age, so a forger learns nothing from which check failed.
        if not valid:
            raise InvalidSignature(
                "the signature does not match the body and the shared secret",
                field=SIGNATURE_HEADER,
            )
        age = now - int(stamp)
        if abs(age) > self.tolerance_s:
            raise InvalidSignature(
                f"the request was signed {int(abs(age))} s from now; at most "
                f"{int(self.tolerance_s)} s are accepted",
                field=TIMESTAMP_HEADER,
            )

"""Tables that keep attackers' second tries from working, on the one ``metadata``.

``sms_callbacks`` remembers each signed SMS callback (the digest of its timestamp and body) for
as long as its signature stays fresh, with the ``Idempotency-Key`` it first came with: the same
signed content under another key is a replay (``ballroom.adapters.signed_callbacks``).
``attempts`` holds recent sign-ups, code checks and logins per subject, so the limits on them
hold across restarts and processes (``ballroom.adapters.attempts``).
"""

from __future__ import annotations

import sqlalchemy as sa

from ballroom.adapters.db.schema import metadata

sms_callbacks = sa.Table(
    "sms_callbacks",
    metadata,
    # sha256 hex of "<timestamp>.<raw body>", the very bytes the signature covers.
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("idempotency_key", sa.String(256), nullable=False),
    # The signed timestamp, in microseconds: the row may go once no signature that old passes.
    sa.Column("signed_at_us", sa.BigInteger, nullable=False, index=True),
)

attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # Which limit counts it ("login:pair", "code:client", ...; ballroom.adapters.attempts).
    sa.Column("scope", sa.String(32), nullable=False),
    # sha256 hex of the subject (a name, an address, a client, or a pair of them): no
    # address or IP is kept in the clear, and every key has one length.
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Index("ix_attempts_scope_subject_at", "scope", "subject", "at"),
)

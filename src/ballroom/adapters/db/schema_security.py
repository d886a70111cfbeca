"""Tables that keep attackers' second tries from working, on the one ``metadata``.

``sms_callbacks`` remembers each signed SMS callback (the digest of its timestamp and body) for
as long as its signature stays fresh, with the ``Idempotency-Key`` it first came with: the same
signed content under another key is a replay (``ballroom.adapters.signed_callbacks``).
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

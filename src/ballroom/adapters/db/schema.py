"""The ONE SQLAlchemy ``metadata`` of ballroom, and the voting tables on it.

Other table groups (``schema_accounts``) add themselves to this metadata. Times of the vote
path are integers: microseconds since the epoch, UTC (``*_us``), exact on both stores and the
same number that is hashed into the vote log.

The vote log is the truth: per-voter cap state, tallies and idempotency answers are rebuilt
from ``vote_log`` (plus ``sms_batches`` for whole SMS batches) when the writer starts.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

windows = sa.Table(
    "windows",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("season", sa.String(64), nullable=False, server_default=""),
    sa.Column("label", sa.String(200), nullable=False, server_default=""),
    # pending | open | closed | scheduled; the clock and the times below decide the rest.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("opens_at_us", sa.BigInteger, nullable=True),
    sa.Column("closes_at_us", sa.BigInteger, nullable=True),
    sa.Column("scheduled_open_us", sa.BigInteger, nullable=True),
    sa.Column("scheduled_close_us", sa.BigInteger, nullable=True),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
)

window_couples = sa.Table(
    "window_couples",
    metadata,
    sa.Column("window_id", sa.String(64), sa.ForeignKey("windows.id"), primary_key=True),
    sa.Column("couple_id", sa.String(64), primary_key=True),
    sa.Column("keyword", sa.String(64), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

vote_log = sa.Table(
    "vote_log",
    metadata,
    sa.Column("window_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("ballot_id", sa.String(64), nullable=False, unique=True),
    sa.Column("voter", sa.String(254), nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),
    # Compact JSON object couple -> votes, sorted by couple id.
    sa.Column("allocation", sa.Text, nullable=False),
    sa.Column("ts_us", sa.BigInteger, nullable=False),
    # Indexed on PostgreSQL only (``ix_vote_log_hash``); on SQLite receipts are found through
    # the sidecar of ``ballroom.adapters.receipt_index`` (migration 0006).
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    # Web: the client's key; SMS: "<batch key>#<index>"; import: "import:<ballot id>".
    sa.Column("idempotency_key", sa.String(300), nullable=False, unique=True),
    sa.Column("email", sa.String(254), nullable=False, server_default=""),
    sa.Column("phone", sa.String(32), nullable=False, server_default=""),
    sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    sa.Column("device", sa.String(200), nullable=False, server_default=""),
)

sms_batches = sa.Table(
    "sms_batches",
    metadata,
    sa.Column("idempotency_key", sa.String(256), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    # How many texts it held: a retry rebuilds the outcomes from the rows keyed "<key>#<i>".
    sa.Column("messages", sa.Integer, nullable=False),
    sa.Column("ts_us", sa.BigInteger, nullable=False),
)

sms_refusals = sa.Table(
    "sms_refusals",
    metadata,
    sa.Column("idempotency_key", sa.String(300), primary_key=True),
    sa.Column("window_id", sa.String(64), nullable=True, index=True),
    sa.Column("phone", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column(
        "ts_us", sa.BigInteger, nullable=False
    ),  # The couple a refused text named (cap_exceeded), so a retry answers identically.
    sa.Column("couple", sa.String(64), nullable=True),
)

import_refusals = sa.Table(
    "import_refusals",
    metadata,
    # A ballot refused by an import (``ballroom import``), so a re-import refuses it again
    # instead of deciding it against a later state. Its id is unique across windows, as in
    # vote_log: an id found here with other content is a reused id.
    sa.Column("window_id", sa.String(64), primary_key=True),
    sa.Column("ballot_id", sa.Text, primary_key=True),
    # sha256 of what the rules decide the ballot on (adapters.vote_codec.import_fingerprint).
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index("uq_import_refusals_ballot_id", "ballot_id", unique=True),
)

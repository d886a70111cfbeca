"""Tables of accounts, sessions, the mail outbox, keyed scores, results and the audit log.

They live on the one ``metadata`` of ``ballroom.adapters.db.schema`` so a single Alembic
history creates everything. Times are stored as seconds since the epoch (UTC) in floats:
the same on SQLite and PostgreSQL, and compared without time-zone surprises.
"""

from __future__ import annotations

import sqlalchemy as sa

from ballroom.adapters.db.schema import metadata

voters = sa.Table(
    "voters",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    # The cap identity: one account per normalised address, so "+" aliases share one cap.
    sa.Column("identity", sa.String(254), nullable=False, unique=True),
    sa.Column("age", sa.Integer, nullable=False),
    sa.Column("region", sa.String(8), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("verified_at", sa.Float, nullable=True),
)

verification_codes = sa.Table(
    "verification_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("voter_id", sa.String(40), sa.ForeignKey("voters.id"), nullable=False, index=True),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("used_at", sa.Float, nullable=True),
)

staff = sa.Table(
    "staff",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    # For a judge: the judge id of the season's panel whose scores this account keys.
    sa.Column("judge", sa.String(100), nullable=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("subject", sa.String(40), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float, nullable=True),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

server_secrets = sa.Table(
    "server_secrets",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
    # After a rotation: the replaced value, accepted until previous_until (a grace period).
    sa.Column("previous_value", sa.String(200), nullable=True),
    sa.Column("previous_until", sa.Float, nullable=True),
    sa.Column("rotated_at", sa.Float, nullable=True),
)

nights = sa.Table(
    "nights",
    metadata,
    # The voting window id doubles as the night's id (e.g. s34w04).
    sa.Column("window", sa.String(64), primary_key=True),
    sa.Column("season", sa.String(40), nullable=False),
    sa.Column("week", sa.Integer, nullable=False),
    sa.Column("current", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("locked_at", sa.Float, nullable=True),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("computed_at", sa.Float, nullable=True),
    sa.Column("revealed_at", sa.Float, nullable=True),
    # JSON object judge -> reason: the judges declared absent when the scores were locked.
    sa.Column("absent_judges", sa.Text, nullable=True),
)

keyed_scores = sa.Table(
    "keyed_scores",
    metadata,
    sa.Column("window", sa.String(64), sa.ForeignKey("nights.window"), primary_key=True),
    sa.Column("couple", sa.String(64), primary_key=True),
    sa.Column("dance", sa.String(100), primary_key=True),
    sa.Column("judge", sa.String(100), primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("keyed_at", sa.Float, nullable=False),
    sa.Column("corrections", sa.Integer, nullable=False, server_default="0"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
)

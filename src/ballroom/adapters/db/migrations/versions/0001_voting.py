"""Voting: windows, their couples, the hash-chained vote log, SMS batches and refusals.

Revision ID: 0001_voting
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_voting"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "windows",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("season", sa.String(64), nullable=False, server_default=""),
        sa.Column("label", sa.String(200), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opens_at_us", sa.BigInteger, nullable=True),
        sa.Column("closes_at_us", sa.BigInteger, nullable=True),
        sa.Column("scheduled_open_us", sa.BigInteger, nullable=True),
        sa.Column("scheduled_close_us", sa.BigInteger, nullable=True),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_windows"),
    )
    op.create_table(
        "window_couples",
        sa.Column("window_id", sa.String(64), nullable=False),
        sa.Column("couple_id", sa.String(64), nullable=False),
        sa.Column("keyword", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.ForeignKeyConstraint(
            ["window_id"], ["windows.id"], name="fk_window_couples_window_id_windows"
        ),
        sa.PrimaryKeyConstraint("window_id", "couple_id", name="pk_window_couples"),
    )
    op.create_table(
        "vote_log",
        sa.Column("window_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("ballot_id", sa.String(64), nullable=False),
        sa.Column("voter", sa.String(254), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("allocation", sa.Text, nullable=False),
        sa.Column("ts_us", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(300), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, server_default=""),
        sa.Column("phone", sa.String(32), nullable=False, server_default=""),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("device", sa.String(200), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("window_id", "seq", name="pk_vote_log"),
        sa.UniqueConstraint("ballot_id", name="uq_vote_log_ballot_id"),
        sa.UniqueConstraint("idempotency_key", name="uq_vote_log_idempotency_key"),
    )
    op.create_index("ix_vote_log_hash", "vote_log", ["hash"])
    op.create_table(
        "sms_batches",
        sa.Column("idempotency_key", sa.String(256), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("messages", sa.Integer, nullable=False),
        sa.Column("ts_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name="pk_sms_batches"),
    )
    op.create_table(
        "sms_refusals",
        sa.Column("idempotency_key", sa.String(300), nullable=False),
        sa.Column("window_id", sa.String(64), nullable=True),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("ts_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name="pk_sms_refusals"),
    )
    op.create_index("ix_sms_refusals_window_id", "sms_refusals", ["window_id"])


def downgrade() -> None:
    op.drop_table("sms_refusals")
    op.drop_table("sms_batches")
    op.drop_index("ix_vote_log_hash", table_name="vote_log")
    op.drop_table("vote_log")
    op.drop_table("window_couples")
    op.drop_table("windows")

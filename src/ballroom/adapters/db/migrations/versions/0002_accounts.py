"""Accounts, sessions, the mail outbox, nights with keyed scores and results, the audit log.

Revision ID: 0002_accounts
Revises: 0001_voting
Create Date: 2025-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_accounts"
down_revision = "0001_voting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voters",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("identity", sa.String(254), nullable=False),
        sa.Column("age", sa.Integer, nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("verified_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_voters"),
        sa.UniqueConstraint("identity", name="uq_voters_identity"),
    )
    op.create_table(
        "verification_codes",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("voter_id", sa.String(40), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("used_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_verification_codes"),
        sa.ForeignKeyConstraint(
            ["voter_id"], ["voters.id"], name="fk_verification_codes_voter_id_voters"
        ),
    )
    op.create_index("ix_verification_codes_voter_id", "verification_codes", ["voter_id"])
    op.create_table(
        "staff",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("judge", sa.String(100), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff"),
        sa.UniqueConstraint("name", name="uq_staff_name"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(40), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("revoked_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_server_secrets"),
    )
    op.create_table(
        "nights",
        sa.Column("window", sa.String(64), nullable=False),
        sa.Column("season", sa.String(40), nullable=False),
        sa.Column("week", sa.Integer, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("locked_at", sa.Float, nullable=True),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("computed_at", sa.Float, nullable=True),
        sa.Column("revealed_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("window", name="pk_nights"),
    )
    op.create_table(
        "keyed_scores",
        sa.Column("window", sa.String(64), nullable=False),
        sa.Column("couple", sa.String(64), nullable=False),
        sa.Column("dance", sa.String(100), nullable=False),
        sa.Column("judge", sa.String(100), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("keyed_at", sa.Float, nullable=False),
        sa.Column("corrections", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("window", "couple", "dance", "judge", name="pk_keyed_scores"),
        sa.ForeignKeyConstraint(
            ["window"], ["nights.window"], name="fk_keyed_scores_window_nights"
        ),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )


def downgrade() -> None:
    for table in (
        "audit_log",
        "keyed_scores",
        "nights",
        "server_secrets",
        "outbox",
        "sessions",
        "staff",
        "verification_codes",
        "voters",
    ):
        op.drop_table(table)

"""Producers' integrity decisions (void or clear a flagged voter), audited, log untouched.

Revision ID: 0004_integrity_decisions
Revises: 0003_sms_refusal_couple
Create Date: 2025-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_integrity_decisions"
down_revision = "0003_sms_refusal_couple"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integrity_decisions",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("window", sa.String(64), nullable=False),
        sa.Column("voter", sa.String(254), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False, server_default="[]"),
        sa.PrimaryKeyConstraint("id", name="pk_integrity_decisions"),
    )
    op.create_index(
        "ix_integrity_decisions_window_voter", "integrity_decisions", ["window", "voter"]
    )


def downgrade() -> None:
    op.drop_index("ix_integrity_decisions_window_voter", table_name="integrity_decisions")
    op.drop_table("integrity_decisions")

"""Recent attempts per subject, for the limits on sign-ups, code checks and logins.

Revision ID: 0008_attempts
Revises: 0007_sms_callbacks
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_attempts"
down_revision = "0007_sms_callbacks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_attempts"),
    )
    op.create_index("ix_attempts_at", "attempts", ["at"])
    op.create_index("ix_attempts_scope_subject_at", "attempts", ["scope", "subject", "at"])


def downgrade() -> None:
    op.drop_index("ix_attempts_scope_subject_at", table_name="attempts")
    op.drop_index("ix_attempts_at", table_name="attempts")
    op.drop_table("attempts")

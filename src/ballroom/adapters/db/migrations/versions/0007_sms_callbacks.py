"""Signed SMS callbacks are remembered while fresh, so a replay under a new key is refused.

Revision ID: 0007_sms_callbacks
Revises: 0006_sqlite_receipt_sidecar
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sms_callbacks"
down_revision = "0006_sqlite_receipt_sidecar"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_callbacks",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(256), nullable=False),
        sa.Column("signed_at_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_sms_callbacks"),
    )
    op.create_index("ix_sms_callbacks_signed_at_us", "sms_callbacks", ["signed_at_us"])


def downgrade() -> None:
    op.drop_index("ix_sms_callbacks_signed_at_us", table_name="sms_callbacks")
    op.drop_table("sms_callbacks")

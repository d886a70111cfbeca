"""Server secrets can be rotated: the replaced value stays accepted until a grace expires.

Revision ID: 0005_secret_rotation
Revises: 0004_integrity_decisions
Create Date: 2025-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_secret_rotation"
down_revision = "0004_integrity_decisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch_alter_table: SQLite cannot ALTER most things in place; adding columns is fine.
    with op.batch_alter_table("server_secrets") as batch:
        batch.add_column(sa.Column("previous_value", sa.String(200), nullable=True))
        batch.add_column(sa.Column("previous_until", sa.Float, nullable=True))
        batch.add_column(sa.Column("rotated_at", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("server_secrets") as batch:
        batch.drop_column("rotated_at")
        batch.drop_column("previous_until")
        batch.drop_column("previous_value")

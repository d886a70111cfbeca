"""A locked night keeps the judges declared absent, with their reasons.

Revision ID: 0009_night_absences
Revises: 0008_attempts
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_night_absences"
down_revision = "0008_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("nights") as batch:
        batch.add_column(sa.Column("absent_judges", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nights") as batch:
        batch.drop_column("absent_judges")

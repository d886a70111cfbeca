"""SMS refusals keep the couple the text named, so a retried batch gets the identical answer.

Revision ID: 0003_sms_refusal_couple
Revises: 0002_accounts
Create Date: 2025-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sms_refusal_couple"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch_alter_table: SQLite cannot ALTER most things in place; adding a column is fine.
    with op.batch_alter_table("sms_refusals") as batch:
        batch.add_column(sa.Column("couple", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sms_refusals") as batch:
        batch.drop_column("couple")

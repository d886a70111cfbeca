"""An import's refused ballots are stored, so importing the file again refuses them again.

Revision ID: 0010_import_refusals
Revises: 0009_night_absences
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_import_refusals"
down_revision = "0009_night_absences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_refusals",
        sa.Column("window_id", sa.String(64), nullable=False),
        sa.Column("ballot_id", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("window_id", "ballot_id", name="pk_import_refusals"),
    )
    # An id is refused once, whatever the window (vote_log's ballot ids are unique too).
    op.create_index("uq_import_refusals_ballot_id", "import_refusals", ["ballot_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_import_refusals_ballot_id", table_name="import_refusals")
    op.drop_table("import_refusals")

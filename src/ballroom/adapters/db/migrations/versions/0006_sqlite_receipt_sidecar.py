"""On SQLite the receipt-hash index leaves the vote log for a sidecar kept behind it.

The random B-tree on ``vote_log.hash`` was a large share of every group commit's insert on
SQLite (benchmarks/README.md, round 4). It serves one lookup, ``GET /receipts/{hash}``, which
``ballroom.adapters.receipt_index.SidecarReceiptIndex`` now answers from its own file, filled
in large batches off the hot path. PostgreSQL maintains the index in the server process and
keeps it.

Revision ID: 0006_sqlite_receipt_sidecar
Revises: 0005_secret_rotation
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0006_sqlite_receipt_sidecar"
down_revision = "0005_secret_rotation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_vote_log_hash", table_name="vote_log")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_vote_log_hash", "vote_log", ["hash"])

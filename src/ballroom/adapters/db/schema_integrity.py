"""The producers' integrity decisions, on the one ``metadata`` of ``ballroom.adapters.db.schema``.

A decision never touches the vote log: it is a separate, append-only record (the latest one
per window and voter is in force), written in the same transaction as its audit entry. Times
are seconds since the epoch (UTC) in floats, like the other control-room tables.
"""

from __future__ import annotations

import sqlalchemy as sa

from ballroom.adapters.db.schema import metadata

integrity_decisions = sa.Table(
    "integrity_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("window", sa.String(64), nullable=False),
    sa.Column("voter", sa.String(254), nullable=False),
    # "void" (the voter's votes leave the night's results) or "clear" (they stay).
    sa.Column("action", sa.String(8), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    # The evidence the producer saw when deciding (JSON list of sentences).
    sa.Column("evidence", sa.Text, nullable=False, server_default="[]"),
    sa.Index("ix_integrity_decisions_window_voter", "window", "voter"),
)

"""The vote-log store for an engine: SQLite or PostgreSQL (the ``VoteLog`` port)."""

from __future__ import annotations

import sqlalchemy as sa

from ballroom.adapters.vote_store_postgres import PostgresVoteLog
from ballroom.adapters.vote_store_sql import SqlVoteLog
from ballroom.adapters.vote_store_sqlite import SqliteVoteLog


def vote_log_for(engine: sa.Engine) -> SqlVoteLog:
    """The store that keeps the vote log in ``engine``'s database."""
    if engine.dialect.name == "postgresql":
        return PostgresVoteLog(engine)
    return SqliteVoteLog(engine)

"""The SQL stores: one engine factory, one metadata, Alembic migrations applied in-process."""

from ballroom.adapters.db.engine import DEFAULT_DB_URL, create_engine_for, upgrade

__all__ = ["DEFAULT_DB_URL", "create_engine_for", "upgrade"]

"""Engines for SQLite (the zero-config default) and PostgreSQL, and the schema upgrade.

SQLite runs in WAL mode with ``synchronous=FULL``: a commit returns only after the WAL is
fsynced, so an acknowledged vote survives ``kill -9`` and power loss. PostgreSQL URLs are
mapped to the psycopg 3 driver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url

from ballroom.errors import InvalidInput

DEFAULT_DB_URL = "sqlite:///ballroom.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = 65_536
_MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://``; others as given."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as error:
        raise InvalidInput(f"not a database URL: {url!r}", field="db") from error
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql",
            field="db",
        )
    return parsed.render_as_string(hide_password=False)


def create_engine_for(url: str = DEFAULT_DB_URL, **kwargs: Any) -> sa.Engine:
    """An engine for ``url`` with the durability settings the vote log relies on."""
    engine = sa.create_engine(normalise_url(url), **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # 64 MB of page cache (default 2 MB): the vote log's random indexes (receipt hash, ballot
    # id) otherwise evict and rewrite the same pages on every group commit.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def upgrade(engine: sa.Engine, revision: str = "heads") -> None:
    """Apply the Alembic migrations up to ``revision`` (all by default); idempotent."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

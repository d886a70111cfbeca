"""Alembic environment: always run in-process by ``ballroom.adapters.db.upgrade``."""

from __future__ import annotations

import contextlib

from alembic import context

from ballroom.adapters.db.schema import metadata

with contextlib.suppress(ImportError):  # the accounts tables join the same metadata
    import ballroom.adapters.db.schema_accounts  # noqa: F401

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from a bare `alembic` command
    raise SystemExit("run migrations through ballroom.adapters.db.upgrade(engine)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

"""Recent attempts per subject, counted in the store: the limits that stop guessing.

An attempt is recorded under each limit it counts toward (a scope, and the subject it is
counted per: a name, an address, a client, or a pair of them) before it is judged, inside the
caller's transaction, and the limits are then read back including it. Recording first makes
the counts exact under concurrency: on SQLite the first write takes the store's write lock,
and on PostgreSQL a transaction-scoped advisory lock per (scope, subject) makes racing
attempts at one subject wait for each other. Rows older than the longest window are deleted
as new ones arrive.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ballroom.adapters.db.schema_security import attempts

_SUBJECT_SEPARATOR = "\x1f"
_KEEP_S = 86_400.0
"""Rows are kept a day: longer than any window a limit uses."""


@dataclass(frozen=True)
class Limit:
    """At most ``most`` attempts per subject within ``window_s`` seconds."""

    scope: str
    most: int
    window_s: float


def subject(*parts: str) -> str:
    """The stored form of a subject made of ``parts``: sha256 hex of them, joined."""
    joined = _SUBJECT_SEPARATOR.join(parts)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def record(
    connection: sa.Connection, counted: Sequence[tuple[Limit, str]], at: float
) -> tuple[list[int], Limit | None]:
    """Record one attempt under each (limit, subject) at ``at``; answer the new rows' ids and
    the first limit it takes past its most (``None`` when within every one). The caller rolls
    back to leave a refused attempt uncounted, or keeps it."""
    if connection.dialect.name == "postgresql":
        for key in sorted({_lock_key(limit.scope, who) for limit, who in counted}):
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
    connection.execute(sa.delete(attempts).where(attempts.c.at < at - _KEEP_S))
    ids = [
        int(
            connection.execute(
                attempts.insert()
                .values(scope=limit.scope, subject=who, at=at)
                .returning(attempts.c.id)
            ).scalar_one()
        )
        for limit, who in counted
    ]
    for limit, who in counted:
        seen = connection.execute(
            sa.select(sa.func.count())
            .select_from(attempts)
            .where(attempts.c.scope == limit.scope)
            .where(attempts.c.subject == who)
            .where(attempts.c.at > at - limit.window_s)
        ).scalar_one()
        if seen > limit.most:
            return ids, limit
    return ids, None


def forget(connection: sa.Connection, ids: Sequence[int]) -> None:
    """Delete the attempts ``ids`` (one that succeeded does not count against a limit)."""
    if ids:
        connection.execute(sa.delete(attempts).where(attempts.c.id.in_(list(ids))))


def _lock_key(scope: str, who: str) -> int:
    """A signed 64-bit advisory-lock key for (scope, subject)."""
    digest = hashlib.sha256(f"{scope}{_SUBJECT_SEPARATOR}{who}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)

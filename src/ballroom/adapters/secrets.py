"""Server secrets kept in the store (``server_secrets``): made once, rotated with a grace.

A secret the operator does not set (the session key, the SMS gateway's shared secret) is
generated on first use and kept, so tokens and the aggregator's signatures outlive restarts.
Rotating one makes a fresh value current and keeps the value it replaces as ``previous``
until ``previous_until`` (Unix seconds), so a peer that still signs with it is not cut off
mid-switch. Only one previous value is kept: rotating again within the grace drops it. Each
rotation is written to the audit log in the same transaction (never the values).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from ballroom.adapters.db.schema_accounts import audit_log, server_secrets
from ballroom.errors import Conflict

SESSION_KEY = "session_key"
SMS_GATEWAY_KEY = "sms_gateway_key"


@dataclass(frozen=True)
class StoredSecret:
    """A secret's current value and, during a rotation's grace, the value it replaced."""

    value: str
    previous: str | None = None
    previous_until: float | None = None
    """Unix seconds from which ``previous`` is no longer accepted."""


def new_secret_value() -> str:
    """A fresh random secret: 32 bytes, URL-safe text."""
    return secrets.token_urlsafe(32)


def stored_secret(engine: sa.Engine, name: str) -> StoredSecret:
    """The secret ``name`` (``session_key``, ``sms_gateway_key``), made on first use."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(server_secrets).where(server_secrets.c.name == name)
        ).first()
    if row is not None:
        return StoredSecret(row.value, row.previous_value, row.previous_until)
    value = new_secret_value()
    try:
        with engine.begin() as connection:
            connection.execute(server_secrets.insert().values(name=name, value=value))
    except sa.exc.IntegrityError:
        # Another process made it first: use theirs.
        return stored_secret(engine, name)
    return StoredSecret(value)


def rotate_secret(
    engine: sa.Engine,
    name: str,
    *,
    now: float,
    grace_s: float,
    actor: str,
    new_value: str | None = None,
) -> StoredSecret:
    """Make a new value of ``name`` current; the old one stays accepted ``grace_s`` seconds
    (none when 0). ``actor`` goes to the audit log. ``Conflict`` when another rotation of the
    same secret won the race (run it again)."""
    if grace_s < 0:
        raise ValueError("grace_s must not be negative")  # the CLI bounds it
    before = stored_secret(engine, name)
    value = new_value if new_value is not None else new_secret_value()
    until = now + grace_s if grace_s > 0 else None
    after = StoredSecret(value, before.value if until is not None else None, until)
    with engine.begin() as connection:
        # Compare-and-set on the value read above: of two rotations at once, one wins.
        changed = connection.execute(
            server_secrets.update()
            .where(server_secrets.c.name == name, server_secrets.c.value == before.value)
            .values(
                value=after.value,
                previous_value=after.previous,
                previous_until=after.previous_until,
                rotated_at=now,
            )
        ).rowcount
        if changed != 1:
            raise Conflict(f"the {name} was rotated by someone else just now; run it again")
        connection.execute(
            audit_log.insert().values(
                at=now,
                actor=actor,
                role="operator",
                action="rotate_secret",
                target=name,
                detail=json.dumps(
                    {
                        "grace_s": grace_s,
                        "previous_until": None
                        if until is None
                        else datetime.fromtimestamp(until, UTC).isoformat(),
                    },
                    sort_keys=True,
                ),
            )
        )
    return after

"""The signed SMS callbacks seen while their signatures are fresh, kept in the store.

A signature covers the timestamp and the body, so a captured callback stays valid for the
whole tolerance (5 minutes either way by default). Within it, the same signed content must not
count twice whatever ``Idempotency-Key`` it comes with: :meth:`SignedCallbacks.claim` records
the first key that brought a digest, in its own committed transaction, and answers it to every
later arrival. A row is deleted once no signature that old can pass, so the table holds at most
the tolerance's worth of callbacks. Being in the store, a replay is refused after a restart too.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ballroom.adapters.db.schema_security import sms_callbacks


class SignedCallbacks:
    """First keys of signed callbacks, by digest, for ``keep_s`` seconds past their stamp."""

    def __init__(self, engine: sa.Engine, now: Callable[[], float], keep_s: float) -> None:
        self._engine = engine
        self._now = now
        self._keep_us = int(keep_s * 1_000_000)
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._insert = dialect.insert

    def claim(self, digest: str, key: str, signed_at: int) -> str:
        """The key that first brought the callback ``digest`` signed at ``signed_at`` (Unix
        seconds): ``key`` itself when it is new, or when the same request is retried."""
        now_us = int(self._now() * 1_000_000)
        fresh = self._insert(sms_callbacks).values(
            digest=digest, idempotency_key=key, signed_at_us=signed_at * 1_000_000
        )
        with self._engine.begin() as connection:
            connection.execute(
                sa.delete(sms_callbacks).where(
                    sms_callbacks.c.signed_at_us < now_us - self._keep_us
                )
            )
            # One statement decides, so two racing arrivals cannot both be first.
            connection.execute(fresh.on_conflict_do_nothing(index_elements=["digest"]))
            first = connection.execute(
                sa.select(sms_callbacks.c.idempotency_key).where(sms_callbacks.c.digest == digest)
            ).scalar_one()
        return str(first)

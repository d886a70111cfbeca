"""The ports services talk to for time and identifiers, with real and fixed implementations.

The server's clock decides whether a window is open, so every service takes a ``Clock``;
tests pass a :class:`FixedClock` they move by hand.
"""

from __future__ import annotations

import itertools
import operator
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the time, always zoned (UTC)."""

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class IdGenerator(Protocol):
    """Makes identifiers that are unique across processes and restarts."""

    def new_id(self) -> str:
        """A fresh identifier."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current moment."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, replays)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware start")  # programming error
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The moment the clock was last set to."""
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``; return the new moment."""
        with self._lock:
            self._now += timedelta(**delta)
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment``."""
        with self._lock:
            self._now = moment


class ProcessIds:
    """Short ids: a random per-process prefix and a counter, cheap enough for the hot path.

    96 random bits per process make a collision across restarts negligible, and the log's
    unique index on ballot ids turns one into a refused commit, never a silent merge.
    """

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix if prefix is not None else secrets.token_hex(12)
        ids = map(operator.add, itertools.repeat(f"{self.prefix}-"), map(str, itertools.count(1)))
        # ``<prefix>-<n>`` from iterators written in C: one call per text on the bulk path,
        # cheaper than a Python method, and atomic under the GIL.
        self.new_id: Callable[[], str] = ids.__next__
